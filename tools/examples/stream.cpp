// Streams a greedy continuation of a prompt with libengine's C++ API:
//   stream_cpp MODEL TOKENIZER [PROMPT] [MAX_NEW_TOKENS]
#include <engine/engine.hpp>

#include <exception>
#include <iostream>
#include <string>

int main(int argc, char** argv) {
  if (argc < 3) {
    std::cerr << "usage: " << argv[0] << " MODEL TOKENIZER [PROMPT] [MAX_NEW_TOKENS]\n";
    return 2;
  }
  try {
    engine::set_log_level(engine::LogLevel::warn);
    const auto model = engine::Model::load(argv[1]);  // loaded once; threads may share it
    const auto tokenizer = engine::load_tokenizer(argv[2]);
    engine::check_tokenizer_fits(*model, *tokenizer, argv[2]);
    engine::Session session(model);  // KV cache: one per concurrent generation

    engine::GenerationOptions options;
    options.max_new_tokens = argc > 4 ? std::stoi(argv[4]) : 64;
    options.sampling.temperature = 0.0f;  // greedy
    const std::string prompt = argc > 3 ? argv[3] : "Once upon a time";

    std::cout << prompt << std::flush;
    const engine::GenerationResult result = engine::generate(
        session, *tokenizer, prompt, options, [](int /*token*/, std::string_view piece) {
          std::cout << piece << std::flush;
          return true;  // false stops the generation
        });
    std::cout << '\n';
    std::cerr << result.tokens.size() << " tokens ("
              << engine::finish_reason_name(result.finish_reason) << ")\n";
  } catch (const std::exception& e) {  // engine::Error, or a bad MAX_NEW_TOKENS
    std::cerr << argv[0] << ": " << e.what() << '\n';
    return 1;
  }
}

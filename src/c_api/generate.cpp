// engine_generate(): the C++ generate() behind a C callback and plain structs.
#include "c_api/conversions.hpp"
#include "c_api/handles.hpp"
#include "c_api/status.hpp"
#include "engine/generation/generator.hpp"

using engine::c_api::guarded;
using engine::c_api::require;
using engine::c_api::to_c;
using engine::c_api::to_cpp;

extern "C" {

engine_generate_options engine_generate_options_default(void) {
  const engine::GenerationOptions d;
  return {.max_new_tokens = d.max_new_tokens,
          .temperature = d.sampling.temperature,
          .top_k = d.sampling.top_k,
          .top_p = d.sampling.top_p,
          .seed = d.sampling.seed};
}

engine_status engine_generate(engine_session* session, const engine_tokenizer* tokenizer,
                              const char* prompt, const engine_generate_options* options,
                              engine_token_callback on_token, void* user,
                              engine_generate_result* result) {
  return guarded([&] {
    require(session, "session");
    require(tokenizer, "tokenizer");
    require(prompt, "prompt");
    engine::Session& s = session->session;
    engine::check_tokenizer_fits(s.model(), *tokenizer->tokenizer, tokenizer->path);
    engine::TokenCallback callback;
    if (on_token)
      callback = [&](int token, std::string_view piece) {
        return on_token(user, token, piece.data(), piece.size()) == 0;
      };
    const engine::GenerationResult r =
        engine::generate(s, *tokenizer->tokenizer, prompt,
                         to_cpp(options ? *options : engine_generate_options_default()), callback);
    if (result)
      *result = {.prompt_tokens = static_cast<int>(r.prompt_tokens.size()),
                 .generated_tokens = static_cast<int>(r.tokens.size()),
                 .finish_reason = to_c(r.finish_reason),
                 .prompt_seconds = r.prompt_seconds,
                 .decode_seconds = r.decode_seconds};
  });
}

}  // extern "C"

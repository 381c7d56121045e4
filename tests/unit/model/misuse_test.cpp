// Library misuse from C++: out-of-range options, prompts that do not fit, a full context, a model
// file deleted after loading, a throwing callback, a tokenizer of another model. Each gives an
// engine::Error (or keeps working) and leaves the session usable.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <initializer_list>
#include <stdexcept>
#include <string>

#include "engine/engine.hpp"
#include "test_paths.hpp"

namespace engine {
namespace {

GenerationOptions greedy(int max_new_tokens) {
  GenerationOptions options;
  options.max_new_tokens = max_new_tokens;
  options.sampling.temperature = 0.0f;
  return options;
}

// A prompt of n + 1 tokens: BOS, then "the" n times.
std::string the_times(int n) {
  std::string prompt = "the";
  for (int i = 1; i < n; ++i) prompt += " the";
  return prompt;
}

// The code of the engine::Error `body` throws (fails the test if it throws none).
template <class Body>
ErrorCode error_code(Body body) {
  try {
    body();
  } catch (const Error& e) {
    return e.code();
  }
  ADD_FAILURE() << "no engine::Error thrown";
  return ErrorCode::unsupported;
}

class Misuse : public ::testing::Test {
 protected:
  std::shared_ptr<const Model> model_ = Model::load(test::require_model("stories260K.bin"));
  std::unique_ptr<Tokenizer> tokenizer_ = load_tokenizer(test::require_model("tok512.bin"));
};

// Options are checked before the model runs: nothing is streamed.
TEST_F(Misuse, OptionsOutOfRangeAreInvalidArguments) {
  Session session(model_);
  for (const auto change : std::initializer_list<void (*)(GenerationOptions&)>{
           [](auto& o) { o.max_new_tokens = -1; },
           [](auto& o) { o.sampling.temperature = -1.0f; },
           [](auto& o) { o.sampling.temperature = std::nanf(""); },
           [](auto& o) { o.sampling.temperature = INFINITY; },
           [](auto& o) { o.sampling.top_k = -1; },
           [](auto& o) { o.sampling.top_p = 0.0f; },
           [](auto& o) { o.sampling.top_p = 1.0001f; },
           [](auto& o) { o.sampling.top_p = std::nanf(""); },
       }) {
    GenerationOptions options;
    change(options);
    int streamed = 0;
    EXPECT_EQ(error_code([&] {
                generate(session, *tokenizer_, "Once", options,
                         [&](int, std::string_view) { return ++streamed > 0; });
              }),
              ErrorCode::invalid_argument);
    EXPECT_EQ(streamed, 0);
  }
  EXPECT_EQ(error_code([] { set_num_threads(1 << 30); }), ErrorCode::invalid_argument);
  for (int threads : {-1, 1 << 30})
    EXPECT_EQ(error_code([&] { Session(model_, {.threads = threads}); }),
              ErrorCode::invalid_argument)
        << threads;
}

TEST_F(Misuse, PromptLongerThanContextLeavesTheSessionUsable) {
  Session session(model_);
  EXPECT_EQ(error_code([&] {
              generate(session, *tokenizer_, the_times(session.context_length()), greedy(4));
            }),
            ErrorCode::context_full);
  EXPECT_EQ(session.position(), 0);
  EXPECT_EQ(generate(session, *tokenizer_, "Once", greedy(4)).tokens.size(), 4u);
}

// Generation ends at a full context (the last token is sampled, never fed); the next generate()
// starts over in the same session. A prompt longer than the shortened context does not fit.
TEST_F(Misuse, FullContextStopsGenerationAndTheSessionStartsOver) {
  const auto small = Model::load(test::require_model("stories260K.bin"), DType::f32, 16);
  Session session(small);
  const GenerationResult result = generate(session, *tokenizer_, "Once upon a time", greedy(100));
  EXPECT_EQ(result.finish_reason, FinishReason::context);
  EXPECT_EQ(session.position(), 16);
  EXPECT_EQ(result.prompt_tokens.size() + result.tokens.size(), 17u);
  EXPECT_EQ(generate(session, *tokenizer_, "Once upon a time", greedy(100)).tokens, result.tokens);
  EXPECT_EQ(error_code([&] { generate(session, *tokenizer_, the_times(16), greedy(4)); }),
            ErrorCode::context_full);
  EXPECT_EQ(generate(session, *tokenizer_, the_times(15), greedy(4)).finish_reason,
            FinishReason::context);
}

// Deleting the file after loading does not affect the model: the matrices are copied at load
// and the norms read from the mapping, which keeps the deleted file's bytes (f32 and bf16).
TEST_F(Misuse, ModelFileDeletedAfterLoadingStillGenerates) {
  for (DType weight_type : {DType::f32, DType::bf16}) {
    const auto copy = std::filesystem::temp_directory_path() /
                      ("engine_misuse_" + std::to_string(::getpid()) + ".bin");
    std::filesystem::copy_file(test::require_model("stories260K.bin"), copy,
                               std::filesystem::copy_options::overwrite_existing);
    const auto loaded = Model::load(copy.string(), weight_type);
    const auto same_type = Model::load(test::require_model("stories260K.bin"), weight_type);
    std::filesystem::remove(copy);
    ASSERT_FALSE(std::filesystem::exists(copy));

    Session from_deleted(loaded), reference(same_type);
    EXPECT_EQ(generate(from_deleted, *tokenizer_, "Once upon a time", greedy(40)).tokens,
              generate(reference, *tokenizer_, "Once upon a time", greedy(40)).tokens)
        << dtype_name(weight_type);
  }
}

// A Session holds its model: dropping every other reference is fine.
TEST_F(Misuse, SessionOutlivesTheCallersModelPointer) {
  Session reference(model_);
  const auto want = generate(reference, *tokenizer_, "Lily", greedy(20)).tokens;
  auto model = Model::load(test::require_model("stories260K.bin"));
  Session session(model);
  model.reset();
  EXPECT_EQ(generate(session, *tokenizer_, "Lily", greedy(20)).tokens, want);
}

// An exception from the callback reaches the caller; the session's next generation is as new.
TEST_F(Misuse, ThrowingCallbackLeavesTheSessionUsable) {
  Session session(model_);
  EXPECT_THROW(generate(session, *tokenizer_, "Once", greedy(20),
                        [](int, std::string_view) -> bool { throw std::runtime_error("stop"); }),
               std::runtime_error);
  Session fresh(model_);
  EXPECT_EQ(generate(session, *tokenizer_, "Once", greedy(20)).tokens,
            generate(fresh, *tokenizer_, "Once", greedy(20)).tokens);
}

// A 32000-token tokenizer on a 512-token model: check_tokenizer_fits says so, and generating
// anyway is an error (a token out of range), not a crash.
TEST_F(Misuse, TokenizerOfAnotherModel) {
  const std::string path = test::require_model("tokenizer.bin");
  const auto big = load_tokenizer(path);
  EXPECT_EQ(error_code([&] { check_tokenizer_fits(*model_, *big, path); }), ErrorCode::mismatch);
  Session session(model_);
  EXPECT_EQ(error_code([&] { generate(session, *big, "Once upon a time", greedy(4)); }),
            ErrorCode::invalid_argument);
}

}  // namespace
}  // namespace engine

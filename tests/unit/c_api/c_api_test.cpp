// The C API (engine.h): handles, streaming generation and how every misuse becomes a status code
// plus a message, never a crash or an exception.
#include "engine/engine.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "c_api_stream.hpp"
#include "engine/engine.hpp"
#include "test_paths.hpp"

namespace {

using engine::test::greedy;
using engine::test::Stream;

// Owns the handles one test needs; loading is checked so tests can assume valid handles.
struct Handles {
  engine_model* model = nullptr;
  engine_tokenizer* tokenizer = nullptr;
  engine_session* session = nullptr;

  Handles() {
    EXPECT_EQ(engine_model_load(engine::test::require_model("stories260K.bin").c_str(), &model),
              ENGINE_OK);
    EXPECT_EQ(engine_tokenizer_load(engine::test::require_model("tok512.bin").c_str(), &tokenizer),
              ENGINE_OK);
    EXPECT_EQ(engine_session_create(model, &session), ENGINE_OK);
  }
  ~Handles() {
    engine_session_free(session);
    engine_tokenizer_free(tokenizer);
    engine_model_free(model);
  }
};

TEST(CApi, VersionIsTheHeaderVersion) {
  EXPECT_STREQ(engine_version(), engine::version());
  EXPECT_EQ(std::string(engine_version()), std::to_string(ENGINE_VERSION_MAJOR) + "." +
                                               std::to_string(ENGINE_VERSION_MINOR) + "." +
                                               std::to_string(ENGINE_VERSION_PATCH));
}

TEST(CApi, DefaultsAreTheCppDefaults) {
  const engine_generate_options c = engine_generate_options_default();
  const engine::GenerationOptions cpp;
  EXPECT_EQ(c.max_new_tokens, cpp.max_new_tokens);
  EXPECT_EQ(c.temperature, cpp.sampling.temperature);
  EXPECT_EQ(c.top_k, cpp.sampling.top_k);
  EXPECT_EQ(c.top_p, cpp.sampling.top_p);
  EXPECT_EQ(c.seed, cpp.sampling.seed);
}

TEST(CApi, FreeingNullIsANoOp) {
  engine_model_free(nullptr);
  engine_tokenizer_free(nullptr);
  engine_session_free(nullptr);
}

// The C stream carries exactly the C++ generate() text and tokens.
TEST(CApi, GreedyStreamEqualsCpp) {
  Handles h;
  Stream stream;
  const engine_generate_options options = greedy(30);
  engine_generate_result result{};
  ASSERT_EQ(engine_generate(h.session, h.tokenizer, "Once upon a time", &options, &Stream::on_token,
                            &stream, &result),
            ENGINE_OK)
      << engine_last_error();
  EXPECT_STREQ(engine_last_error(), "");

  const auto model = engine::Model::load(engine::test::require_model("stories260K.bin"));
  const auto tokenizer = engine::load_tokenizer(engine::test::require_model("tok512.bin"));
  engine::Session session(model);
  engine::GenerationOptions cpp_options;
  cpp_options.max_new_tokens = 30;
  cpp_options.sampling.temperature = 0;
  const auto want = engine::generate(session, *tokenizer, "Once upon a time", cpp_options);

  EXPECT_EQ(stream.text, want.text);
  EXPECT_EQ(stream.tokens, want.tokens);
  EXPECT_EQ(result.prompt_tokens, static_cast<int>(want.prompt_tokens.size()));
  EXPECT_EQ(result.generated_tokens, static_cast<int>(want.tokens.size()));
  EXPECT_EQ(result.finish_reason, ENGINE_FINISH_LENGTH);
  EXPECT_GE(result.prompt_seconds, 0.0);
}

TEST(CApi, CallbackReturningNonZeroStops) {
  Handles h;
  Stream stream;
  stream.stop_after = 3;
  const engine_generate_options options = greedy(50);
  engine_generate_result result{};
  ASSERT_EQ(engine_generate(h.session, h.tokenizer, "Once", &options, &Stream::on_token, &stream,
                            &result),
            ENGINE_OK);
  EXPECT_EQ(stream.tokens.size(), 3u);
  EXPECT_EQ(result.generated_tokens, 3);
  EXPECT_EQ(result.finish_reason, ENGINE_FINISH_STOPPED);
}

// Every generation starts a new conversation; a freed model stays alive inside its sessions.
TEST(CApi, GenerateStartsOverAndSessionsOutliveTheirModelHandle) {
  Handles h;
  engine_model_free(h.model);
  h.model = nullptr;
  const engine_generate_options options = greedy(10);
  Stream first, again;
  ASSERT_EQ(
      engine_generate(h.session, h.tokenizer, "Lily", &options, &Stream::on_token, &first, nullptr),
      ENGINE_OK);
  ASSERT_EQ(
      engine_generate(h.session, h.tokenizer, "Lily", &options, &Stream::on_token, &again, nullptr),
      ENGINE_OK);
  EXPECT_EQ(first.text, again.text);
  EXPECT_FALSE(first.text.empty());
}

TEST(CApi, NullCallbackOptionsAndResultAreAllowed) {
  Handles h;
  EXPECT_EQ(engine_generate(h.session, h.tokenizer, "", nullptr, nullptr, nullptr, nullptr),
            ENGINE_OK)
      << engine_last_error();
}

// Expects `status` to be `want` with a message containing `needle`.
void expect_error(engine_status status, engine_status want, const std::string& needle) {
  EXPECT_EQ(status, want);
  const std::string message = engine_last_error();
  EXPECT_NE(message.find(needle), std::string::npos) << "message: " << message;
}

// A windowed session streams what the C++ generate() gives on a session with that window.
TEST(CApi, WindowedSessionEqualsCpp) {
  Handles h;
  engine_session* windowed = nullptr;
  ASSERT_EQ(engine_session_create_windowed(h.model, 16, &windowed), ENGINE_OK)
      << engine_last_error();
  Stream stream;
  const engine_generate_options options = greedy(60);
  engine_generate_result result{};
  ASSERT_EQ(engine_generate(windowed, h.tokenizer, "Once upon a time", &options, &Stream::on_token,
                            &stream, &result),
            ENGINE_OK)
      << engine_last_error();
  engine_session_free(windowed);

  const auto model = engine::Model::load(engine::test::require_model("stories260K.bin"));
  const auto tokenizer = engine::load_tokenizer(engine::test::require_model("tok512.bin"));
  engine::Session session(model, {.window = 16});
  engine::GenerationOptions cpp_options;
  cpp_options.max_new_tokens = 60;
  cpp_options.sampling.temperature = 0;
  const auto want = engine::generate(session, *tokenizer, "Once upon a time", cpp_options);
  EXPECT_EQ(stream.tokens, want.tokens);
  EXPECT_EQ(result.generated_tokens, static_cast<int>(want.tokens.size()));

  expect_error(engine_session_create_windowed(h.model, 0, &windowed), ENGINE_ERROR_INVALID_ARGUMENT,
               "window");
  EXPECT_EQ(windowed, nullptr);
  expect_error(engine_session_create_windowed(nullptr, 16, &windowed),
               ENGINE_ERROR_INVALID_ARGUMENT, "model");
}

TEST(CApi, NullHandlesAndPointersAreInvalidArguments) {
  Handles h;
  engine_model* model = reinterpret_cast<engine_model*>(1);
  expect_error(engine_model_load(nullptr, &model), ENGINE_ERROR_INVALID_ARGUMENT, "path");
  EXPECT_EQ(model, nullptr);
  expect_error(engine_model_load("x", nullptr), ENGINE_ERROR_INVALID_ARGUMENT, "out");
  engine_tokenizer* tokenizer = nullptr;
  expect_error(engine_tokenizer_load(nullptr, &tokenizer), ENGINE_ERROR_INVALID_ARGUMENT, "path");
  engine_session* session = nullptr;
  expect_error(engine_session_create(nullptr, &session), ENGINE_ERROR_INVALID_ARGUMENT, "model");
  EXPECT_EQ(session, nullptr);
  expect_error(engine_session_create(h.model, nullptr), ENGINE_ERROR_INVALID_ARGUMENT, "out");
  expect_error(engine_generate(nullptr, h.tokenizer, "x", nullptr, nullptr, nullptr, nullptr),
               ENGINE_ERROR_INVALID_ARGUMENT, "session");
  expect_error(engine_generate(h.session, nullptr, "x", nullptr, nullptr, nullptr, nullptr),
               ENGINE_ERROR_INVALID_ARGUMENT, "tokenizer");
  expect_error(engine_generate(h.session, h.tokenizer, nullptr, nullptr, nullptr, nullptr, nullptr),
               ENGINE_ERROR_INVALID_ARGUMENT, "prompt");
}

TEST(CApi, BadFilesAreIoAndFormatErrors) {
  engine_model* model = nullptr;
  expect_error(engine_model_load("/nonexistent/model.bin", &model), ENGINE_ERROR_IO,
               "/nonexistent/model.bin");
  EXPECT_EQ(model, nullptr);
  // A tokenizer file is no checkpoint.
  const std::string tok = engine::test::require_model("tok512.bin");
  expect_error(engine_model_load(tok.c_str(), &model), ENGINE_ERROR_BAD_FORMAT, tok);
  EXPECT_EQ(model, nullptr);
  engine_tokenizer* tokenizer = nullptr;
  expect_error(engine_tokenizer_load("/nonexistent/tok.bin", &tokenizer), ENGINE_ERROR_IO,
               "/nonexistent/tok.bin");
  EXPECT_EQ(tokenizer, nullptr);
}

TEST(CApi, OptionsOutOfRangeAreInvalidArguments) {
  Handles h;
  const auto with = [](auto change) {
    engine_generate_options options = engine_generate_options_default();
    change(options);
    return options;
  };
  const float nan = std::nanf("");
  const std::pair<engine_generate_options, const char*> cases[] = {
      {with([](auto& o) { o.max_new_tokens = -1; }), "max new tokens"},
      {with([](auto& o) { o.temperature = -0.5f; }), "temperature"},
      {with([&](auto& o) { o.temperature = nan; }), "temperature"},
      {with([](auto& o) { o.temperature = INFINITY; }), "temperature"},
      {with([](auto& o) { o.top_k = -3; }), "top-k"},
      {with([](auto& o) { o.top_p = 0.0f; }), "top-p"},
      {with([](auto& o) { o.top_p = 1.5f; }), "top-p"},
      {with([&](auto& o) { o.top_p = nan; }), "top-p"},
  };
  for (const auto& [options, needle] : cases) {
    Stream stream;
    expect_error(engine_generate(h.session, h.tokenizer, "Once", &options, &Stream::on_token,
                                 &stream, nullptr),
                 ENGINE_ERROR_INVALID_ARGUMENT, needle);
    EXPECT_TRUE(stream.tokens.empty());
  }
  expect_error(engine_set_num_threads(1 << 30), ENGINE_ERROR_INVALID_ARGUMENT, "threads");
  expect_error(engine_set_log_level(ENGINE_LOG_OFF + 1), ENGINE_ERROR_INVALID_ARGUMENT, "level");
  expect_error(engine_set_log_level(-1), ENGINE_ERROR_INVALID_ARGUMENT, "level");
  EXPECT_EQ(engine_set_log_level(ENGINE_LOG_INFO), ENGINE_OK);
}

// A prompt that does not fit is refused before the model runs; the session stays usable.
TEST(CApi, PromptLongerThanContextIsContextFull) {
  Handles h;
  std::string prompt;
  for (int i = 0; i < 600; ++i) prompt += " the";
  const engine_generate_options options = greedy(5);
  expect_error(
      engine_generate(h.session, h.tokenizer, prompt.c_str(), &options, nullptr, nullptr, nullptr),
      ENGINE_ERROR_CONTEXT_FULL, "context");
  engine_generate_result result{};
  EXPECT_EQ(engine_generate(h.session, h.tokenizer, "Once", &options, nullptr, nullptr, &result),
            ENGINE_OK);
  EXPECT_EQ(result.generated_tokens, 5);
}

TEST(CApi, TokenizerOfAnotherModelIsAMismatch) {
  Handles h;
  engine_tokenizer* big = nullptr;
  const std::string path = engine::test::require_model("tokenizer.bin");  // 32000 tokens
  ASSERT_EQ(engine_tokenizer_load(path.c_str(), &big), ENGINE_OK);
  expect_error(engine_generate(h.session, big, "Once", nullptr, nullptr, nullptr, nullptr),
               ENGINE_ERROR_MISMATCH, path);
  engine_tokenizer_free(big);
}

// Each thread has its own last error; a successful call clears it.
TEST(CApi, LastErrorIsPerThreadAndClearedBySuccess) {
  EXPECT_EQ(engine_set_log_level(-1), ENGINE_ERROR_INVALID_ARGUMENT);
  std::string other;
  std::thread([&] { other = engine_last_error(); }).join();
  EXPECT_EQ(other, "");
  EXPECT_STRNE(engine_last_error(), "");
  EXPECT_EQ(engine_set_log_level(ENGINE_LOG_INFO), ENGINE_OK);
  EXPECT_STREQ(engine_last_error(), "");
}

}  // namespace

// The C API's chat: templates render as Python's jinja2 did (the fixtures), and a chat's turns
// are engine::Chat's (same tokens, same cache reuse), with the C error contract.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "c_api_stream.hpp"
#include "engine/chat/chat.hpp"
#include "engine/engine.h"
#include "test_paths.hpp"

namespace {

using engine::test::greedy;
using engine::test::Stream;
using Json = nlohmann::ordered_json;  // keeps the fixtures' key order, as jinja2 saw it

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// What a C string result holds, released.
std::string take(char* text) {
  std::string copy = text ? text : "";
  engine_string_free(text);
  return copy;
}

TEST(CApiChat, TemplatesRenderAsJinja2) {
  const Json doc =
      Json::parse(read_text((std::filesystem::path(ENGINE_TEST_MODELS_DIR).parent_path() /
                             "tests/data/chat/renderings.json")
                                .string()));
  int compared = 0;
  for (const Json& r : doc["renderings"]) {
    const std::string file = r["template"];
    // Templates that read no clock (the fixtures fixed strftime_now's time).
    if (file.find("Qwen") == std::string::npos && file.find("TinyLlama") == std::string::npos)
      continue;
    if (!r.contains("output")) continue;
    const Json& specials = doc["specials"][file];
    engine_chat_template* t = nullptr;
    ASSERT_EQ(engine_chat_template_create(
                  read_text(engine::test::require_model("chat-templates/" + file)).c_str(),
                  specials["bos_token"].get<std::string>().c_str(),
                  specials["eos_token"].get<std::string>().c_str(), &t),
              ENGINE_OK)
        << engine_last_error();
    char* out = nullptr;
    const std::string messages = doc["conversations"][r["conversation"].get<std::string>()].dump();
    EXPECT_EQ(engine_chat_template_render(t, messages.c_str(), r["add_generation_prompt"], &out),
              ENGINE_OK)
        << engine_last_error();
    EXPECT_EQ(take(out), r["output"].get<std::string>()) << file << " / " << r["conversation"];
    engine_chat_template_free(t);
    ++compared;
  }
  EXPECT_GE(compared, 30);
}

// A chat on stories260K in ChatML, through the C API and through engine::Chat.
TEST(CApiChat, TurnsAreTheCppChatsAndReuseTheCache) {
  const std::string path = engine::test::require_model("stories260K.gguf");
  engine_model* model = nullptr;
  engine_tokenizer* tokenizer = nullptr;
  engine_chat_template* chatml = nullptr;
  engine_chat* chat = nullptr;
  ASSERT_EQ(engine_model_load(path.c_str(), &model), ENGINE_OK);
  ASSERT_EQ(engine_tokenizer_load(path.c_str(), &tokenizer), ENGINE_OK);
  ASSERT_EQ(engine_chat_template_builtin("chatml", "", "", &chatml), ENGINE_OK);
  ASSERT_EQ(engine_chat_create(model, tokenizer, chatml, "Be brief.", 0, &chat), ENGINE_OK)
      << engine_last_error();
  // The chat holds what it needs: the other handles can go first.
  engine_chat_template_free(chatml);
  engine_tokenizer_free(tokenizer);
  engine_model_free(model);

  const auto cpp_model = engine::Model::load(path);
  const auto cpp_tokenizer = engine::load_tokenizer(path);
  engine::Session session(cpp_model);
  engine::Chat cpp_chat(session, *cpp_tokenizer, engine::ChatTemplate::builtin("chatml", "", ""),
                        "Be brief.");
  engine::GenerationOptions options;
  options.max_new_tokens = 6;
  options.sampling.temperature = 0;

  const engine_generate_options c_options = greedy(6);
  for (const char* user : {"Hello", "What next?"}) {
    Stream stream;
    engine_chat_result result{};
    ASSERT_EQ(engine_chat_send(chat, user, &c_options, Stream::on_token, &stream, &result),
              ENGINE_OK)
        << engine_last_error();
    const engine::ChatReply reply = cpp_chat.send(user, options);
    EXPECT_EQ(stream.tokens, reply.tokens) << user;
    EXPECT_EQ(stream.text, reply.text) << user;
    EXPECT_EQ(result.generated_tokens, static_cast<int>(reply.tokens.size()));
    EXPECT_EQ(result.prompt_tokens, reply.prompt_tokens);
    EXPECT_EQ(result.reused_tokens, reply.reused_tokens);
    EXPECT_EQ(result.prefilled_tokens, reply.prefilled_tokens);
    EXPECT_EQ(result.dropped_messages, reply.dropped_messages);
  }
  const Json messages = Json::parse(take([&] {
    char* out = nullptr;
    EXPECT_EQ(engine_chat_messages(chat, &out), ENGINE_OK);
    return out;
  }()));
  // stories260K's context of 128 tokens holds only the last turns: both dropped the same.
  ASSERT_EQ(messages.size(), cpp_chat.messages().size());
  for (std::size_t i = 0; i < messages.size(); ++i) {
    EXPECT_EQ(messages[i]["role"], cpp_chat.messages()[i].role);
    EXPECT_EQ(messages[i]["content"], cpp_chat.messages()[i].content);
  }

  ASSERT_EQ(engine_chat_reset(chat), ENGINE_OK);
  char* out = nullptr;
  ASSERT_EQ(engine_chat_messages(chat, &out), ENGINE_OK);
  EXPECT_EQ(Json::parse(take(out)).size(), 1u);  // the system message
  engine_chat_free(chat);
}

TEST(CApiChat, FreeingNullIsANoOp) {
  engine_chat_free(nullptr);
  engine_chat_template_free(nullptr);
  engine_string_free(nullptr);
}

TEST(CApiChat, BadInputIsAnErrorStatus) {
  engine_chat_template* t = nullptr;
  EXPECT_EQ(engine_chat_template_create("{% for %}", "", "", &t), ENGINE_ERROR_BAD_FORMAT);
  EXPECT_EQ(t, nullptr);
  EXPECT_NE(std::string(engine_last_error()).find("1:"), std::string::npos) << engine_last_error();
  EXPECT_EQ(engine_chat_template_builtin("nope", "", "", &t), ENGINE_ERROR_INVALID_ARGUMENT);
  const std::string stories = engine::test::require_model("stories260K.gguf");
  EXPECT_EQ(engine_chat_template_from_file(stories.c_str(), &t), ENGINE_ERROR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(engine_last_error()).find("carries no chat template"), std::string::npos);
  EXPECT_EQ(engine_chat_template_create(nullptr, "", "", &t), ENGINE_ERROR_INVALID_ARGUMENT);

  ASSERT_EQ(engine_chat_template_builtin("chatml", nullptr, nullptr, &t), ENGINE_OK);
  char* out = nullptr;
  EXPECT_EQ(engine_chat_template_render(t, "not json", 1, &out), ENGINE_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(out, nullptr);

  engine_model* model = nullptr;
  engine_tokenizer* tokenizer = nullptr;
  ASSERT_EQ(engine_model_load(stories.c_str(), &model), ENGINE_OK);
  ASSERT_EQ(engine_tokenizer_load(stories.c_str(), &tokenizer), ENGINE_OK);
  engine_chat* chat = nullptr;
  EXPECT_EQ(engine_chat_create(model, tokenizer, nullptr, nullptr, 0, &chat),
            ENGINE_ERROR_INVALID_ARGUMENT);
  EXPECT_EQ(engine_chat_create(model, tokenizer, t, nullptr, -1, &chat),
            ENGINE_ERROR_INVALID_ARGUMENT);
  ASSERT_EQ(engine_chat_create(model, tokenizer, t, nullptr, 0, &chat), ENGINE_OK);
  EXPECT_EQ(engine_chat_send(chat, nullptr, nullptr, nullptr, nullptr, nullptr),
            ENGINE_ERROR_INVALID_ARGUMENT);
  engine_generate_options negative = greedy(-1);
  EXPECT_EQ(engine_chat_send(chat, "Hi", &negative, nullptr, nullptr, nullptr),
            ENGINE_ERROR_INVALID_ARGUMENT);
  // A message longer than the context: refused, and not added to the conversation.
  const std::string long_text(4000, 'a');
  EXPECT_EQ(engine_chat_send(chat, long_text.c_str(), nullptr, nullptr, nullptr, nullptr),
            ENGINE_ERROR_CONTEXT_FULL);
  ASSERT_EQ(engine_chat_messages(chat, &out), ENGINE_OK);
  EXPECT_EQ(take(out), "[]");
  engine_chat_free(chat);
  engine_chat_template_free(t);
  engine_tokenizer_free(tokenizer);
  engine_model_free(model);
}

}  // namespace

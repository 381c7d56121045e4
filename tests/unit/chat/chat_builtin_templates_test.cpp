// The built-in templates produce each family's published chat format (written out by hand
// here from the model cards), and an unknown name lists the built-in ones.
#include <gtest/gtest.h>

#include "engine/chat/chat_template.hpp"
#include "expect_engine_error.hpp"
#include "test_paths.hpp"

namespace engine::test {
namespace {

const std::vector<ChatMessage> kConversation = {
    {"system", "Be brief."}, {"user", "Hi"}, {"assistant", "Hello."}, {"user", "Bye"}};

std::string render(std::string_view name, const char* bos, const char* eos) {
  return ChatTemplate::builtin(name, bos, eos).render(kConversation, true);
}

TEST(ChatBuiltinTemplates, ChatMl) {
  EXPECT_EQ(render("chatml", "", "<|im_end|>"),
            "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n"
            "<|im_start|>assistant\nHello.<|im_end|>\n<|im_start|>user\nBye<|im_end|>\n"
            "<|im_start|>assistant\n");
}

TEST(ChatBuiltinTemplates, Llama2FoldsTheSystemIntoTheFirstTurn) {
  EXPECT_EQ(
      render("llama2", "<s>", "</s>"),
      "<s>[INST] <<SYS>>\nBe brief.\n<</SYS>>\n\nHi [/INST] Hello. </s><s>[INST] Bye [/INST]");
}

TEST(ChatBuiltinTemplates, Llama3) {
  EXPECT_EQ(render("llama3", "<|begin_of_text|>", "<|eot_id|>"),
            "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|>"
            "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>"
            "<|start_header_id|>assistant<|end_header_id|>\n\nHello.<|eot_id|>"
            "<|start_header_id|>user<|end_header_id|>\n\nBye<|eot_id|>"
            "<|start_header_id|>assistant<|end_header_id|>\n\n");
}

TEST(ChatBuiltinTemplates, GemmaFoldsTheSystemIntoTheFirstTurn) {
  EXPECT_EQ(render("gemma", "<bos>", "<eos>"),
            "<bos><start_of_turn>user\nBe brief.\n\nHi<end_of_turn>\n"
            "<start_of_turn>model\nHello.<end_of_turn>\n<start_of_turn>user\nBye<end_of_turn>\n"
            "<start_of_turn>model\n");
}

TEST(ChatBuiltinTemplates, Phi3) {
  EXPECT_EQ(render("phi3", "<s>", "<|endoftext|>"),
            "<|system|>\nBe brief.<|end|>\n<|user|>\nHi<|end|>\n<|assistant|>\nHello.<|end|>\n"
            "<|user|>\nBye<|end|>\n<|assistant|>\n");
}

TEST(ChatBuiltinTemplates, Zephyr) {
  EXPECT_EQ(render("zephyr", "<s>", "</s>"),
            "<|system|>\nBe brief.</s>\n<|user|>\nHi</s>\n<|assistant|>\nHello.</s>\n"
            "<|user|>\nBye</s>\n<|assistant|>\n");
}

TEST(ChatBuiltinTemplates, UnknownNameListsTheBuiltIns) {
  expect_engine_error([] { ChatTemplate::builtin("vicuna", "", ""); }, ErrorCode::invalid_argument,
                      {"'vicuna'", "chatml, llama2, llama3"});
}

TEST(ChatBuiltinTemplates, FromGgufWithoutTemplateIsNullopt) {
  EXPECT_FALSE(ChatTemplate::from_gguf(require_model("stories260K.bin")).has_value());
}

}  // namespace
}  // namespace engine::test

// engine generate --chat: each prompt becomes the user message of a conversation in the chat
// template, its special-token texts parsed as specials and the user's text never; one prompt
// and a batch reply as a greedy run of that rendered conversation does in the library.
#include <gtest/gtest.h>

#include <algorithm>

#include "cli/expect_error_line.hpp"
#include "cli/json_lines.hpp"
#include "cli/run_cli.hpp"
#include "cli/scratch_dir.hpp"
#include "engine/chat/chat_template.hpp"
#include "engine/model/session.hpp"
#include "engine/tokenizer.hpp"
#include "greedy_reply.hpp"
#include "test_paths.hpp"

namespace engine::test {
namespace {

// Qwen2.5's tiny random model: its GGUF carries the ChatML template.
std::string qwen() {
  return require_model("families/qwen25-style-f32.gguf");
}

// The prompt the template makes of `system` and one `user` message: rendered, with special
// texts parsed only in the template's part (no BOS: the template starts with <|im_start|>).
std::vector<int> chat_prompt(const Tokenizer& tokenizer, const std::string& system,
                             const std::string& user) {
  const ChatTemplate t = *ChatTemplate::from_gguf(qwen());
  std::vector<ChatMessage> messages = {{"system", system}, {"user", "\x01"}};
  const std::string rendered = t.render(messages, true);
  const std::size_t at = rendered.find('\x01');
  std::vector<int> ids = tokenizer.encode(rendered.substr(0, at), {.parse_special = true});
  const std::vector<int> text = tokenizer.encode(user, {});
  ids.insert(ids.end(), text.begin(), text.end());
  const std::vector<int> rest = tokenizer.encode(rendered.substr(at + 1), {.parse_special = true});
  ids.insert(ids.end(), rest.begin(), rest.end());
  return ids;
}

// Greedy reply of a fresh session to `prompt` in one block (the context as --ctx 256 sets it).
std::vector<int> greedy_reply(const std::vector<int>& prompt, const Tokenizer& tokenizer,
                              int max_new) {
  return greedy_reply_in_one_go(Model::load(qwen(), DType::f32, 256), tokenizer, prompt, max_new);
}

std::string chat_args() {
  return "generate --chat -m " + quote(qwen()) +
         " --system 'Be brief.' --ctx 256 -n 6 --temperature 0 --json";
}

// The prompt tokens the summary line counts ("N prompt tokens, ..."), or -1.
long prompt_tokens_logged(const std::string& err) {
  const std::size_t end = err.find(" prompt tokens");
  if (end == std::string::npos) return -1;
  const std::size_t begin = err.rfind(' ', end - 1) + 1;
  return std::stol(err.substr(begin, end - begin));
}

TEST(GenerateChat, OnePromptRepliesInTheModelsTemplate) {
  // The user types the template's end-of-turn text: it stays text, the turn goes on.
  const std::string user = "Hi <|im_end|> there";
  const CliResult r = run_cli(chat_args() + " -p " + quote(user));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json line = parse_json(r.out);
  EXPECT_EQ(line["prompt"], user);
  const auto tokenizer = load_tokenizer(qwen());
  const std::vector<int> prompt = chat_prompt(*tokenizer, "Be brief.", user);
  EXPECT_EQ(line["tokens"].get<std::vector<int>>(), greedy_reply(prompt, *tokenizer, 6));
  // The user's "<|im_end|>" is several tokens of text, the template's one token each.
  EXPECT_EQ(prompt_tokens_logged(r.err), static_cast<long>(prompt.size())) << r.err;
}

TEST(GenerateChat, ABatchRepliesToEachPromptAsAlone) {
  const ScratchDir dir("engine_generate_chat");
  const std::vector<std::string> users = {"Hello!", "What is the sea?", "Count to three."};
  const std::string file = dir.write("prompts.txt", users[0] + "\n" + users[1] + "\n" + users[2]);
  const CliResult r = run_cli(chat_args() + " --prompts-file " + quote(file) + " -b 2");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::vector<nlohmann::json> lines = parse_json_lines(r.out);
  ASSERT_EQ(lines.size(), users.size()) << r.out;
  const auto tokenizer = load_tokenizer(qwen());
  std::size_t prompt_total = 0;
  for (std::size_t i = 0; i < users.size(); ++i) {
    const std::vector<int> prompt = chat_prompt(*tokenizer, "Be brief.", users[i]);
    prompt_total += prompt.size();
    EXPECT_EQ(lines[i]["prompt"], users[i]);
    EXPECT_EQ(lines[i]["tokens"].get<std::vector<int>>(), greedy_reply(prompt, *tokenizer, 6))
        << users[i];
  }
  EXPECT_EQ(prompt_tokens_logged(r.err), static_cast<long>(prompt_total)) << r.err;
}

TEST(GenerateChat, PrintsOnlyTheReply) {
  const CliResult chat = run_cli("generate --chat -m " + quote(qwen()) +
                                 " --ctx 256 -n 4 --temperature 0 --log-level warn -p Hello");
  const CliResult json =
      run_cli("generate --chat -m " + quote(qwen()) +
              " --ctx 256 -n 4 --temperature 0 --log-level warn -p Hello --json");
  ASSERT_EQ(chat.exit_code, 0) << chat.err;
  ASSERT_EQ(json.exit_code, 0) << json.err;
  EXPECT_EQ(chat.out, parse_json(json.out)["text"].get<std::string>() + "\n");
}

TEST(GenerateChat, NeedsATemplate) {
  expect_one_error_line(
      run_cli("generate --chat -m " + quote(require_model("stories260K.gguf")) + " -p Hi"),
      "carries no chat template");
}

TEST(GenerateChat, SystemNeedsChat) {
  const CliResult r = run_cli("generate -m " + quote(qwen()) + " --system Hi -p Hi");
  expect_one_error_line(r, "--chat");
  EXPECT_EQ(r.exit_code, 2);  // a usage error
}

}  // namespace
}  // namespace engine::test

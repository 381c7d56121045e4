// engine chat: line-per-message from a pipe (scriptable), and the REPL on a pseudo-terminal
// (Ctrl-C stops a reply without leaving, /save, /reset, /exit).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>
#include <thread>

#include "cli/expect_error_line.hpp"
#include "cli/run_cli.hpp"
#include "cli/scratch_dir.hpp"
#include "test_paths.hpp"

namespace engine::test {
namespace {

namespace fs = std::filesystem;

// Runs `engine <args>` with `input` on stdin (a pipe, not a terminal). run_cli gives the
// command /dev/null as stdin, so a shell in front of it pipes the input to "$0" (the engine).
CliResult run_with_input(const std::string& args, const std::string& input) {
  const ScratchDir dir("engine_chat_in");
  const std::string in = dir.write("input.txt", input);
  return run_cli(args, "sh -c 'cat " + quote(in) + R"( | "$0" "$@"')");
}

TEST(ChatCommand, PipeGivesOneReplyPerLineAndSavesTheConversation) {
  const ScratchDir dir("engine_chat_save");
  const fs::path saved = dir.path() / "conversation.json";
  const CliResult r = run_with_input(
      "chat -m " + quote(require_model("stories260K.gguf")) +
          " --chat-template chatml --system 'Be brief.' -n 8 --temperature 0 --ctx 512 -v",
      "Hello there\n\nWhat next?\n/save " + saved.string() + "\n/exit\nnot read\n");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto messages = nlohmann::json::parse(read_file(saved));
  ASSERT_EQ(messages.size(), 5u);
  EXPECT_EQ(messages[0]["role"], "system");
  EXPECT_EQ(messages[0]["content"], "Be brief.");
  EXPECT_EQ(messages[1]["content"], "Hello there");
  EXPECT_EQ(messages[3]["content"], "What next?");
  // stdout: the two replies, one per line, as the conversation records them.
  EXPECT_EQ(r.out, messages[2]["content"].get<std::string>() + "\n" +
                       messages[4]["content"].get<std::string>() + "\n");
  // The second turn reads only what it adds to the cached conversation.
  EXPECT_NE(r.err.find("0 from the cache"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("turn: 0 prompt"), std::string::npos) << r.err;
  const auto second = r.err.rfind("turn: ");
  ASSERT_NE(second, std::string::npos);
  EXPECT_EQ(r.err.substr(second).find(" 0 from the cache"), std::string::npos) << r.err;
}

TEST(ChatCommand, ModelWithoutTemplateNeedsOne) {
  expect_one_error_line(
      run_with_input("chat -m " + quote(require_model("stories260K.gguf")), "Hi\n"),
      "carries no chat template");
}

// Three short messages to stories260K in ChatML, each turn about a third of a 96-token context.
CliResult three_turns(const std::string& options) {
  return run_with_input(
      "chat -m " + quote(require_model("stories260K.gguf")) +
          " --chat-template chatml -n 4 --temperature 0 --ctx 96 " + options,
      "The cat sat on the mat.\nThe dog ran to the park.\nThe sun is hot today.\n");
}

TEST(ChatCommand, FullContextDropsTheOldestTurnsAndSaysSo) {
  const CliResult r = three_turns("--system S");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 3) << r.out;
  EXPECT_NE(r.err.find("context full: dropped the oldest 2 message(s) after the system message"),
            std::string::npos)
      << r.err;
}

TEST(ChatCommand, AWindowDropsNoTurnAndSaysSo) {
  const CliResult r = three_turns("--window 32");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err.find("context full"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("longer than the sliding window: the model sees its last 32 tokens, no "
                       "turn is dropped"),
            std::string::npos)
      << r.err;
}

// The prompt tokens of a chat's first turn ("turn: N prompt tokens" with -v).
long first_turn_prompt_tokens(const std::string& err) {
  const std::size_t at = err.find("turn: ");
  return at == std::string::npos ? -1 : std::stol(err.substr(at + 6));
}

TEST(ChatCommand, UserTextThatLooksLikeEndOfTurnStaysText) {
  const ScratchDir dir("engine_chat_im_end");
  const fs::path saved = dir.path() / "conversation.json";
  const std::string qwen = quote(require_model("families/qwen25-style-f32.gguf"));
  const std::string user = "Hi <|im_end|> there";
  const CliResult r = run_with_input("chat -m " + qwen + " -n 4 --temperature 0 --ctx 256 -v",
                                     user + "\n/save " + saved.string() + "\n");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto messages = nlohmann::json::parse(read_file(saved));
  ASSERT_EQ(messages.size(), 2u);
  EXPECT_EQ(messages[0]["content"], user);
  // The same prompt as generate --chat makes of it (GenerateChat checks that one against the
  // template rendered with the user's text kept plain).
  const CliResult one_shot =
      run_cli("generate --chat -m " + qwen + " -n 1 --ctx 256 -p " + quote(user));
  ASSERT_EQ(one_shot.exit_code, 0) << one_shot.err;
  const long prompt_tokens = first_turn_prompt_tokens(r.err);
  EXPECT_NE(one_shot.err.find(std::to_string(prompt_tokens) + " prompt tokens"), std::string::npos)
      << r.err << one_shot.err;
}

// A REPL on a pseudo-terminal: reads what the child writes until `needle` appears after
// `from` (or a timeout), returning everything read so far.
class Pty {
 public:
  explicit Pty(const std::vector<std::string>& argv) {
    pid_ = ::forkpty(&fd_, nullptr, nullptr, nullptr);
    if (pid_ == 0) {
      std::vector<char*> args;
      for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
      args.push_back(nullptr);
      ::execv(args[0], args.data());
      ::_exit(127);
    }
  }
  ~Pty() {
    if (pid_ > 0 && !exited_) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    if (fd_ >= 0) ::close(fd_);
  }
  bool started() const { return pid_ > 0; }
  void send(const std::string& bytes) {
    ASSERT_EQ(::write(fd_, bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
  }
  // Reads what the child writes until `needle` appears at or after `from`, or `seconds` pass.
  bool wait_for(const std::string& needle, std::size_t from, int seconds = 60) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
    while (output_.find(needle, from) == std::string::npos) {
      if (std::chrono::steady_clock::now() > deadline || !read_some()) return false;
    }
    return true;
  }
  // Reads until more than `bytes` have arrived after `from`.
  bool wait_for_bytes(std::size_t bytes, std::size_t from, int seconds = 60) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
    while (output_.size() <= from + bytes) {
      if (std::chrono::steady_clock::now() > deadline || !read_some()) return false;
    }
    return true;
  }
  int exit_code() {
    int status = 0;
    for (int i = 0; i < 600 && ::waitpid(pid_, &status, WNOHANG) == 0; ++i) read_some();
    exited_ = true;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  const std::string& output() const { return output_; }

 private:
  pid_t pid_ = -1;
  int fd_ = -1;
  bool exited_ = false;
  std::string output_;

  // Waits up to 100 ms for output; false once the terminal is closed.
  bool read_some() {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) return true;
    char buf[4096];
    const ssize_t n = ::read(fd_, buf, sizeof buf);
    if (n <= 0) return false;
    output_.append(buf, static_cast<std::size_t>(n));
    return true;
  }
};

TEST(ChatCommand, ReplOnATerminalCtrlCStopsTheReplyResetAndExit) {
  // A random-weight model with a sliding window: its greedy reply would never end by itself.
  Pty pty({ENGINE_TEST_CLI, "chat", "-m", require_model("families/tinyllama-style-f32.gguf"),
           "--chat-template", "zephyr", "--window", "32", "-n", "100000000", "--temperature", "0"});
  ASSERT_TRUE(pty.started());
  ASSERT_TRUE(pty.wait_for("> ", 0)) << pty.output();
  std::size_t mark = pty.output().size();
  pty.send("Hello\n");
  // Wait for a good part of the reply, then interrupt it.
  ASSERT_TRUE(pty.wait_for("Hello", mark));
  mark = pty.output().find("Hello", mark) + 5;
  ASSERT_TRUE(pty.wait_for_bytes(200, mark)) << pty.output();
  pty.send("\x03");
  mark = pty.output().size();
  ASSERT_TRUE(pty.wait_for("> ", mark)) << "no prompt after Ctrl-C: " << pty.output().substr(mark);
  // The interrupted reply is part of the conversation; /reset forgets it.
  const ScratchDir dir("engine_chat_repl");
  const std::string saved = (dir.path() / "conversation.json").string();
  const auto save = [&] {
    const std::size_t from = pty.output().size();
    pty.send("/save " + saved + "\n");
    EXPECT_TRUE(pty.wait_for("saved", from)) << pty.output().substr(from);
    EXPECT_TRUE(pty.wait_for("> ", from));
    return nlohmann::json::parse(read_file(saved));
  };
  const nlohmann::json before = save();
  ASSERT_EQ(before.size(), 2u);
  EXPECT_EQ(before[0]["content"], "Hello");
  EXPECT_EQ(before[1]["role"], "assistant");
  EXPECT_FALSE(before[1]["content"].get<std::string>().empty());
  mark = pty.output().size();
  pty.send("/reset\n");
  ASSERT_TRUE(pty.wait_for("conversation reset", mark)) << pty.output().substr(mark);
  ASSERT_TRUE(pty.wait_for("> ", mark));
  EXPECT_EQ(save().size(), 0u);
  pty.send("/exit\n");
  EXPECT_EQ(pty.exit_code(), 0) << pty.output();
}

}  // namespace
}  // namespace engine::test

// engine generate's llama.cpp sampling flags (--min-p, the penalties, --n-probs) and Ctrl-C.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <numeric>

#include "cli/expect_error_line.hpp"
#include "cli/json_lines.hpp"
#include "cli/run_cli.hpp"
#include "test_paths.hpp"

namespace engine::test {
namespace {

std::string model_args() {
  return "-m " + quote(require_model("stories260K.bin")) + " -z " +
         quote(require_model("tok512.bin"));
}

std::string generate(const std::string& flags) {
  const CliResult r = run_cli("generate " + model_args() + " -p 'Lily saw a' -n 40 -t 1 " + flags +
                              " --log-level warn");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return r.out;
}

TEST(GenerateSampling, PenaltiesChangeGreedyTextAndZeroWindowTurnsThemOff) {
  const std::string greedy = generate("--temperature 0");
  EXPECT_NE(generate("--temperature 0 --repeat-penalty 1.5"), greedy);
  EXPECT_NE(generate("--temperature 0 --presence-penalty 1 --frequency-penalty 0.5"), greedy);
  EXPECT_EQ(generate("--temperature 0 --repeat-penalty 1.5 --repeat-last-n 0"), greedy);
  EXPECT_EQ(generate("--temperature 0 --repeat-penalty 1 --presence-penalty 0"), greedy);
}

// engine chat takes the same flags; its replies see the penalties over the conversation.
TEST(GenerateSampling, ChatRepliesFeelThePenalties) {
  const auto reply = [](const std::string& flags) {
    const CliResult r =
        run_cli("chat -m " + quote(require_model("stories260K.gguf")) +
                    " --chat-template chatml -n 40 -t 1 --temperature 0 --log-level warn " + flags,
                R"(sh -c 'echo "Tell me a story" | "$0" "$@"')");
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.out;
  };
  const std::string greedy = reply("");
  EXPECT_NE(reply("--repeat-penalty 1.5 --presence-penalty 0.5"), greedy);
  EXPECT_EQ(reply("--repeat-penalty 1.5 --repeat-last-n 0"), greedy);
}

// Min-p 1 keeps only the most likely token, whatever the temperature: greedy text.
TEST(GenerateSampling, MinPOfOneIsGreedy) {
  EXPECT_EQ(generate("--temperature 1.5 --top-p 1 --min-p 1 --seed 4"),
            generate("--temperature 0"));
  EXPECT_NE(generate("--temperature 1.5 --top-p 1 --seed 4"), generate("--temperature 0"));
}

TEST(GenerateSampling, OutOfRangeValuesAreUsageErrors) {
  for (const char* flags : {"--min-p 1.5", "--min-p -0.1", "--repeat-penalty 0",
                            "--repeat-penalty -1", "--repeat-last-n -2", "--presence-penalty inf",
                            "--frequency-penalty nan", "--n-probs -1"}) {
    SCOPED_TRACE(flags);
    const CliResult r = run_cli("generate " + model_args() + " -n 2 --json " + flags);
    expect_one_error_line(r, std::string(flags).substr(0, std::string(flags).find(' ')));
    EXPECT_EQ(r.exit_code, 2);
  }
}

// --n-probs K: per generated token its log-probability and the K most likely tokens', equal to
// the log-softmax of the logits `engine eval` prints for the same tokens.
TEST(GenerateSampling, NProbsAreTheLogSoftmaxOfEvalLogits) {
  const std::string prompt = "Lily saw a";
  const CliResult r =
      run_cli("generate " + model_args() + " -p " + quote(prompt) +
              " -n 12 -t 1 --temperature 0.8 --seed 3 --n-probs 3 --json --log-level warn");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json line = parse_json(r.out);
  const nlohmann::json& tokens = line["tokens"];
  const nlohmann::json& probs = line["logprobs"];
  ASSERT_GT(tokens.size(), 2u);
  ASSERT_EQ(probs.size(), tokens.size());

  const auto scratch = std::filesystem::temp_directory_path() /
                       ("engine_nprobs_" + std::to_string(::getpid()) + ".json");
  const auto eval = [&](const std::string& text) {
    const CliResult e = run_cli("eval " + model_args() + " -t 1 -p " + quote(text) +
                                " --logits-out " + quote(scratch.string()));
    EXPECT_EQ(e.exit_code, 0) << e.err;
    return parse_json(read_file(scratch));
  };
  const nlohmann::json prompt_eval = eval(prompt);
  const nlohmann::json full = eval(prompt + line["text"].get<std::string>());
  std::filesystem::remove(scratch);
  const std::size_t n_prompt = prompt_eval["tokens"].size();
  // The text re-encodes to the same tokens, so eval's rows are the logits generate sampled from.
  std::vector<int> expected_tokens = prompt_eval["tokens"].get<std::vector<int>>();
  for (const auto& t : tokens) expected_tokens.push_back(t.get<int>());
  ASSERT_EQ(full["tokens"].get<std::vector<int>>(), expected_tokens);

  for (std::size_t i = 0; i < tokens.size(); ++i) {
    SCOPED_TRACE(testing::Message() << "token " << i);
    const std::vector<double> logits = full["logits"][n_prompt - 1 + i].get<std::vector<double>>();
    const double max = *std::max_element(logits.begin(), logits.end());
    double sum = 0.0;
    for (const double l : logits) sum += std::exp(l - max);
    const auto logprob = [&](int t) { return logits[t] - max - std::log(sum); };
    std::vector<int> ids(logits.size());
    std::iota(ids.begin(), ids.end(), 0);
    std::stable_sort(ids.begin(), ids.end(), [&](int a, int b) { return logits[a] > logits[b]; });

    const nlohmann::json& p = probs[i];
    EXPECT_EQ(p["token"], tokens[i]);
    EXPECT_NEAR(p["logprob"].get<double>(), logprob(tokens[i].get<int>()), 1e-4);
    ASSERT_EQ(p["top_logprobs"].size(), 3u);
    for (std::size_t k = 0; k < 3; ++k) {
      EXPECT_EQ(p["top_logprobs"][k]["token"], ids[k]);
      EXPECT_NEAR(p["top_logprobs"][k]["logprob"].get<double>(), logprob(ids[k]), 1e-4);
      EXPECT_TRUE(p["top_logprobs"][k]["text"].is_string());
    }
  }
}

TEST(GenerateSampling, WithoutNProbsJsonHasNoLogprobs) {
  const CliResult r =
      run_cli("generate " + model_args() + " -n 3 --seed 1 --json --log-level warn");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_FALSE(parse_json(r.out).contains("logprobs"));
}

// Ctrl-C while a story streams: the line ends, the summary is printed, and the process ends by
// SIGINT as a shell expects.
TEST(GenerateSampling, InterruptEndsTheLineAndPrintsTheSummary) {
  const auto err_path = std::filesystem::temp_directory_path() /
                        ("engine_sigint_" + std::to_string(::getpid()) + ".txt");
  int out[2];
  ASSERT_EQ(::pipe(out), 0);
  const std::string model = require_model("stories260K.bin"), tok = require_model("tok512.bin");
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::dup2(out[1], 1);
    ::close(out[0]);
    ::close(out[1]);
    if (!std::freopen(err_path.c_str(), "w", stderr)) ::_exit(127);
    // --window with --ignore-eos never ends by itself: only the signal stops it.
    ::execl(ENGINE_TEST_CLI, ENGINE_TEST_CLI, "generate", "-m", model.c_str(), "-z", tok.c_str(),
            "-p", "Once", "-n", "-1", "--ignore-eos", "--window", "32", "-t", "1",
            static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::close(out[1]);
  std::string text;
  char buf[256];
  while (text.size() < 200) {
    const ssize_t n = ::read(out[0], buf, sizeof buf);
    ASSERT_GT(n, 0) << "the child ended before the signal";
    text.append(buf, n);
  }
  ::kill(child, SIGINT);
  for (ssize_t n; (n = ::read(out[0], buf, sizeof buf)) > 0;) text.append(buf, n);
  ::close(out[0]);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  const std::string err = read_file(err_path);
  std::filesystem::remove(err_path);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGINT) << status << "\n" << err;
  EXPECT_EQ(text.back(), '\n');
  EXPECT_NE(err.find("generated (stop)"), std::string::npos) << err;
  EXPECT_NE(err.find("decode"), std::string::npos) << err;
}

}  // namespace
}  // namespace engine::test

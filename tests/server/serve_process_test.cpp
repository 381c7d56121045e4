// The `engine serve` process: it logs the port it listens on, answers once the model is loaded,
// and on SIGTERM ends the stream in flight with its last chunk and [DONE], then exits 0; and
// tools/bench_serve.py against it.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string_view>

#include "server_fixture.hpp"

namespace engine::server::test {
namespace {

// Starts `engine serve ARGS` with stderr on a pipe; returns its pid and the pipe.
std::pair<pid_t, FILE*> start_serve(const std::vector<std::string>& args) {
  int fds[2];
  EXPECT_EQ(pipe(fds), 0);
  const pid_t pid = fork();
  if (pid == 0) {
    dup2(fds[1], STDERR_FILENO);
    close(fds[0]);
    close(fds[1]);
    std::vector<char*> argv = {const_cast<char*>(ENGINE_TEST_CLI), const_cast<char*>("serve")};
    for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(ENGINE_TEST_CLI, argv.data());
    _exit(127);
  }
  close(fds[1]);
  return {pid, fdopen(fds[0], "r")};
}

// The port from the "listening on http://127.0.0.1:PORT" line (0: not seen).
int read_port(FILE* log) {
  char line[512];
  const std::string_view listening = "listening on http://127.0.0.1:";
  for (int i = 0; i < 20 && std::fgets(line, sizeof line, log); ++i) {
    const std::string_view text(line);
    const std::size_t at = text.find(listening);
    if (at != std::string_view::npos) return std::atoi(line + at + listening.size());
  }
  return 0;
}

// tools/bench_serve.py ARGS against `engine serve` on stories260K with `parallel` slots: what the
// script printed (it must exit 0); the server is stopped after it.
std::string run_bench_serve(int parallel, const std::string& args) {
  const auto [pid, log] = start_serve({"-m", engine::test::require_model("stories260K.bin"), "-z",
                                       engine::test::require_model("tok512.bin"), "--port", "0",
                                       "--parallel", std::to_string(parallel)});
  if (pid <= 0) {
    ADD_FAILURE() << "fork failed";
    return {};
  }
  const int port = read_port(log);
  EXPECT_GT(port, 0);
  const std::string command =
      "python3 " + std::string(ENGINE_TEST_MODELS_DIR) +
      "/../tools/bench_serve.py --url http://127.0.0.1:" + std::to_string(port) + " " + args;
  std::string text;
  if (FILE* out = popen(command.c_str(), "r")) {
    char buffer[4096];
    for (std::size_t n; (n = std::fread(buffer, 1, sizeof buffer, out)) > 0;)
      text.append(buffer, n);
    EXPECT_EQ(pclose(out), 0) << text;
  } else {
    ADD_FAILURE() << "popen " << command;
  }
  kill(pid, SIGTERM);
  int status = -1;
  EXPECT_EQ(waitpid(pid, &status, 0), pid);
  fclose(log);
  return text;
}

TEST(ServeProcess, SigtermEndsTheStreamInFlightAndExitsZero) {
  const auto [pid, log] = start_serve({"-m", engine::test::require_model("stories260K.bin"), "-z",
                                       engine::test::require_model("tok512.bin"), "--port", "0",
                                       "--ctx", "8192", "--prefill-chunk", "1"});
  ASSERT_GT(pid, 0);
  const int port = read_port(log);
  ASSERT_GT(port, 0);
  httplib::Client client("127.0.0.1", port);
  EXPECT_TRUE(eventually([&] {
    auto r = client.Get("/health");
    return r && r->status == 200;
  }));

  // A prompt run one token per step: still streaming when the signal comes.
  std::vector<std::string> events;
  std::string raw;
  std::thread reader([&] {
    httplib::Client streaming("127.0.0.1", port);
    streaming.set_read_timeout(60);
    httplib::Request req;
    req.method = "POST";
    req.path = "/v1/completions";
    req.body =
        json{{"prompt", std::vector<int>(8000, 300)}, {"max_tokens", 4}, {"stream", true}}.dump();
    req.set_header("Content-Type", "application/json");
    req.content_receiver = [&](const char* data, size_t n, uint64_t, uint64_t) {
      raw.append(data, n);
      return true;
    };
    httplib::Response res;
    httplib::Error error = httplib::Error::Success;
    streaming.send(req, res, error);
  });
  EXPECT_TRUE(eventually([&] {
    auto r = client.Get("/metrics");
    return r && metric_value(r->body, "engine_busy_slots") == 1;
  }));
  kill(pid, SIGTERM);
  reader.join();
  int status = -1;
  EXPECT_EQ(waitpid(pid, &status, 0), pid);
  fclose(log);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  EXPECT_NE(raw.find("\"finish_reason\":\"length\""), std::string::npos) << raw;
  EXPECT_TRUE(raw.ends_with("data: [DONE]\n\n")) << raw;
}

// The load generator's own checks (doctests of its arithmetic), then a run against a real server:
// every request answered, one JSON line per level with a finite decode rate and end-to-end rate,
// the first level's ratios 1.
TEST(ServeProcess, BenchServeMeasuresEveryLevel) {
  const std::string script = std::string(ENGINE_TEST_MODELS_DIR) + "/../tools/bench_serve.py";
  ASSERT_EQ(std::system(("python3 -m doctest " + script).c_str()), 0);
  const std::string text =
      run_bench_serve(2, "--concurrency 1,2 --requests 4 --max-tokens 12 --json");

  std::istringstream lines(text);
  std::vector<json> levels;
  for (std::string line; std::getline(lines, line);) levels.push_back(json::parse(line));
  ASSERT_EQ(levels.size(), 2u) << text;
  for (std::size_t i = 0; i < levels.size(); ++i) {
    const json& level = levels[i];
    EXPECT_EQ(level["concurrency"], i + 1);
    EXPECT_EQ(level["statuses"], json({{"200", 4}})) << text;
    for (const char* rate : {"decode_tok_per_s", "tok_per_s"}) {
      const double value = level[rate];
      EXPECT_TRUE(std::isfinite(value) && value > 0) << rate << ": " << text;
    }
  }
  EXPECT_EQ(levels[0]["vs_first"], 1.0);
  EXPECT_EQ(levels[0]["end_to_end_vs_first"], 1.0);
}

// --join: requests joining running streams, their TTFT against the alone TTFT plus two steps.
TEST(ServeProcess, BenchServeMeasuresRequestsJoiningStreams) {
  const std::string text = run_bench_serve(3, "--join 2 --requests 3 --max-tokens 300 --json");

  const json r = json::parse(text);
  EXPECT_EQ(r["streams"], 2);
  const int joined = r["joined"];
  EXPECT_GE(joined, 1) << text;
  ASSERT_EQ(r["statuses"].size(), 1u) << text;  // every request answered 200
  EXPECT_GE(r["statuses"]["200"], 2 + joined) << text;
  const double alone = r["ttft_alone_ms"], step = r["step_ms"], bound = r["bound_ms"];
  EXPECT_GT(alone, 0) << text;
  EXPECT_GT(step, 0) << text;
  EXPECT_NEAR(bound, alone + 2 * step, 1e-6 * bound) << text;
  const double p50 = r["ttft_joining_p50_ms"], max = r["ttft_joining_max_ms"];
  EXPECT_GT(p50, 0) << text;
  EXPECT_LE(p50, max) << text;
  EXPECT_EQ(r["within_bound"], max <= bound) << text;
}

}  // namespace
}  // namespace engine::server::test

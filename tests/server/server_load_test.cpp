// A bounded load test on loopback: many concurrent streaming clients, a few rounds each. Every
// stream must be whole and equal its own prompt's generate() output: no lost, cut or mixed-up
// streams; the only refusals allowed are the documented 503s of a full queue.
#include <gtest/gtest.h>

#include <chrono>
#include <future>

#include "server_fixture.hpp"

namespace engine::server::test {
namespace {

constexpr int kClients = 32;
constexpr int kRounds = 3;
constexpr int kMaxTokens = 40;

TEST(ServerLoad, ConcurrentStreamsStayWholeAndUnmixed) {
  TestServer server({.scheduler = {.parallel = 4, .queue = 24}});
  const std::vector<std::string> prompts = {
      "Once upon a time",   "Lily and Ben", "The little dog", "One day, a bird",
      "Tom had a red ball", "The sun",      "Mom said",       "In the park"};
  const SamplingOptions greedy{.temperature = 0.0f, .top_p = 1.0f};
  std::vector<std::string> expected;
  for (const std::string& p : prompts)
    expected.push_back(generate_alone(server, p, kMaxTokens, greedy).text);

  const auto start = std::chrono::steady_clock::now();
  std::vector<std::future<std::pair<int, int>>> clients;  // (streams equal, 503s)
  for (int c = 0; c < kClients; ++c)
    clients.push_back(std::async(std::launch::async, [&, c] {
      int equal = 0, refused = 0;
      for (int round = 0; round < kRounds; ++round) {
        const std::size_t p = (c + round) % prompts.size();
        const json body = {{"prompt", prompts[p]},
                           {"max_tokens", kMaxTokens},
                           {"temperature", 0},
                           {"stream", true}};
        const Stream s = server.stream("/v1/completions", body);
        if (s.status == 503) {
          ++refused;
          continue;
        }
        std::string text;
        for (std::size_t i = 0; i + 1 < s.events.size(); ++i)
          text += json::parse(s.events[i])["choices"][0]["text"].get<std::string>();
        const bool whole = s.status == 200 && !s.events.empty() && s.events.back() == "[DONE]";
        EXPECT_TRUE(whole) << "client " << c << " round " << round << ": status " << s.status;
        EXPECT_EQ(text, expected[p]) << "client " << c << " round " << round;
        equal += whole && text == expected[p];
      }
      return std::pair(equal, refused);
    }));
  int equal = 0, refused = 0;
  for (auto& f : clients) {
    const auto [e, r] = f.get();
    equal += e;
    refused += r;
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(equal + refused, kClients * kRounds);
  EXPECT_GT(equal, kClients * kRounds / 2) << refused << " refused";
  EXPECT_LT(seconds, 120);
  EXPECT_TRUE(eventually([&] { return metric_value(server.metrics(), "engine_busy_slots") == 0; }));
}

}  // namespace
}  // namespace engine::server::test

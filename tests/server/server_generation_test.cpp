// What the server generates equals the library's generate() on the same prompt and options,
// alone or among other requests, streamed or whole; logprobs equal a double-precision softmax
// of the model's logits.
#include <gtest/gtest.h>

#include <cmath>
#include <future>
#include <thread>

#include "server_fixture.hpp"

namespace engine::server::test {
namespace {

const SamplingOptions kGreedy{.temperature = 0.0f, .top_p = 1.0f};
const SamplingOptions kSeeded{.temperature = 0.9f, .top_k = 40, .top_p = 0.9f, .seed = 1234};

json request_for(const std::string& prompt, int max_tokens, const SamplingOptions& sampling) {
  return {
      {"prompt", prompt},        {"max_tokens", max_tokens}, {"temperature", sampling.temperature},
      {"top_p", sampling.top_p}, {"top_k", sampling.top_k},  {"seed", sampling.seed}};
}

std::string openai_finish(FinishReason reason) {
  return reason == FinishReason::eos || reason == FinishReason::stopped ? "stop" : "length";
}

// The text of a stream, checking its shape: chunks, one last chunk with finish_reason, [DONE].
std::string stream_text(const Stream& s, std::string* finish_reason = nullptr) {
  EXPECT_EQ(s.status, 200);
  EXPECT_FALSE(s.events.empty());
  if (s.events.empty()) return {};
  EXPECT_EQ(s.events.back(), "[DONE]");
  std::string text;
  for (std::size_t i = 0; i + 1 < s.events.size(); ++i) {
    const json chunk = json::parse(s.events[i]);
    if (chunk["choices"].empty()) continue;  // the usage chunk
    EXPECT_EQ(chunk["object"], "text_completion");
    text += chunk["choices"][0]["text"].get<std::string>();
    const json& finish = chunk["choices"][0]["finish_reason"];
    if (!finish.is_null() && finish_reason) *finish_reason = finish.get<std::string>();
  }
  return text;
}

const std::vector<std::string> kPrompts = {"Once upon a time", "Lily and Ben went to the park",
                                           "The little dog", "", "Tom had a red ball. He"};

TEST(ServerGeneration, GreedyCompletionsEqualGenerate) {
  TestServer server({});
  for (const std::string& prompt : kPrompts) {
    const GenerationResult alone = generate_alone(server, prompt, 40, kGreedy);
    const Reply r = server.post("/v1/completions", request_for(prompt, 40, kGreedy));
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.body["choices"][0]["text"], alone.text) << prompt;
    EXPECT_EQ(r.body["usage"]["completion_tokens"], alone.tokens.size());
    EXPECT_EQ(r.body["usage"]["prompt_tokens"], alone.prompt_tokens.size());
    EXPECT_EQ(r.body["choices"][0]["finish_reason"], openai_finish(alone.finish_reason));
  }
}

TEST(ServerGeneration, SeededSamplingEqualsGenerate) {
  TestServer server({});
  for (const std::string& prompt : kPrompts) {
    const GenerationResult alone = generate_alone(server, prompt, 40, kSeeded);
    const Reply r = server.post("/v1/completions", request_for(prompt, 40, kSeeded));
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.body["choices"][0]["text"], alone.text) << prompt;
  }
}

TEST(ServerGeneration, StopStringsEndTheTextAsGenerateDoes) {
  TestServer server({});
  const std::vector<std::string> stop = {"park", "."};
  const GenerationResult alone = generate_alone(server, "Once upon a time", 100, kGreedy, stop);
  ASSERT_EQ(alone.finish_reason, FinishReason::stopped);
  json body = request_for("Once upon a time", 100, kGreedy);
  body["stop"] = stop;
  const Reply r = server.post("/v1/completions", body);
  EXPECT_EQ(r.body["choices"][0]["text"], alone.text);
  EXPECT_EQ(r.body["choices"][0]["finish_reason"], "stop");
  // Streamed, no chunk shows any of the stop string.
  body["stream"] = true;
  std::string finish;
  EXPECT_EQ(stream_text(server.stream("/v1/completions", body), &finish), alone.text);
  EXPECT_EQ(finish, "stop");
}

TEST(ServerGeneration, StreamCarriesTheSameTextInChunksThenUsageThenDone) {
  TestServer server({});
  const GenerationResult alone = generate_alone(server, "Once upon a time", 30, kGreedy);
  json body = request_for("Once upon a time", 30, kGreedy);
  body["stream"] = true;
  body["stream_options"] = {{"include_usage", true}};
  const Stream s = server.stream("/v1/completions", body);
  std::string finish;
  EXPECT_EQ(stream_text(s, &finish), alone.text);
  EXPECT_EQ(finish, "length");
  ASSERT_GE(s.events.size(), 3u);
  EXPECT_GT(s.events.size(), 10u);  // streamed, not one chunk
  const json usage = json::parse(s.events[s.events.size() - 2]);
  EXPECT_TRUE(usage["choices"].empty());
  EXPECT_EQ(usage["usage"]["completion_tokens"], 30);
  EXPECT_EQ(usage["usage"]["prompt_tokens"], 5);
  EXPECT_TRUE(json::parse(s.events.front()).contains("usage"));  // null on the others
}

TEST(ServerGeneration, APromptListGivesOneChoiceEach) {
  TestServer server({});
  json body = request_for("", 20, kGreedy);
  body["prompt"] = {kPrompts[0], kPrompts[1], kPrompts[2]};
  const Reply r = server.post("/v1/completions", body);
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_EQ(r.body["choices"].size(), 3u);
  std::size_t completion_tokens = 0;
  for (int i = 0; i < 3; ++i) {
    const GenerationResult alone = generate_alone(server, kPrompts[i], 20, kGreedy);
    EXPECT_EQ(r.body["choices"][i]["index"], i);
    EXPECT_EQ(r.body["choices"][i]["text"], alone.text);
    completion_tokens += alone.tokens.size();
  }
  EXPECT_EQ(r.body["usage"]["completion_tokens"], completion_tokens);
}

TEST(ServerGeneration, TokenPromptsRunAsGiven) {
  TestServer server({});
  const GenerationResult alone = generate_alone(server, "Once upon a time", 20, kGreedy);
  json body = request_for("", 20, kGreedy);
  body["prompt"] = alone.prompt_tokens;
  EXPECT_EQ(server.post("/v1/completions", body).body["choices"][0]["text"], alone.text);
}

TEST(ServerGeneration, ChunkedPrefillGivesTheSameTokens) {
  TestServer server({.scheduler = {.prefill_chunk = 3}});
  for (const std::string& prompt : kPrompts) {
    const GenerationResult alone = generate_alone(server, prompt, 30, kGreedy);
    const Reply r = server.post("/v1/completions", request_for(prompt, 30, kGreedy));
    EXPECT_EQ(r.body["choices"][0]["text"], alone.text) << prompt;
  }
}

TEST(ServerGeneration, ConcurrentRequestsEachEqualTheirOwnGenerate) {
  TestServer server({.scheduler = {.parallel = 4, .queue = 16}});
  struct Case {
    std::string prompt;
    SamplingOptions sampling;
    bool stream;
  };
  std::vector<Case> cases;
  for (int i = 0; i < 12; ++i)
    cases.push_back({kPrompts[i % kPrompts.size()], i % 3 == 2 ? kSeeded : kGreedy, i % 2 == 1});
  std::vector<std::future<std::string>> texts;
  for (const Case& c : cases)
    texts.push_back(std::async(std::launch::async, [&server, c] {
      json body = request_for(c.prompt, 48, c.sampling);
      if (!c.stream)
        return server.post("/v1/completions", body).body["choices"][0]["text"].get<std::string>();
      body["stream"] = true;
      return stream_text(server.stream("/v1/completions", body));
    }));
  for (std::size_t i = 0; i < cases.size(); ++i)
    EXPECT_EQ(texts[i].get(), generate_alone(server, cases[i].prompt, 48, cases[i].sampling).text)
        << "request " << i;
}

// Requests that join while others stream, with a prompt budget of 2 tokens a step: their prompt
// chunks share passes with the others' decode steps, every sequence at its own position, and
// the freed sequences are reused; each text still equals its own generate().
TEST(ServerGeneration, RequestsJoiningMidStreamEqualTheirOwnGenerate) {
  TestServer server({.scheduler = {.parallel = 3, .queue = 16, .prefill_chunk = 2}});
  std::vector<std::future<std::string>> texts;
  for (int i = 0; i < 7; ++i) {
    texts.push_back(std::async(std::launch::async, [&server, i] {
      json body = request_for(kPrompts[i % kPrompts.size()], 12 + 9 * i, kGreedy);
      body["stream"] = true;
      return stream_text(server.stream("/v1/completions", body));
    }));
    std::this_thread::sleep_for(std::chrono::milliseconds(15));
  }
  for (int i = 0; i < 7; ++i)
    EXPECT_EQ(texts[i].get(),
              generate_alone(server, kPrompts[i % kPrompts.size()], 12 + 9 * i, kGreedy).text)
        << "request " << i;
}

TEST(ServerGeneration, MinPOfOneKeepsOnlyTheMostLikelyToken) {
  TestServer server({});
  const GenerationResult greedy = generate_alone(server, "Once upon a time", 30, kGreedy);
  json body = request_for("Once upon a time", 30, kSeeded);
  body["min_p"] = 1.0;
  EXPECT_EQ(server.post("/v1/completions", body).body["choices"][0]["text"], greedy.text);
}

TEST(ServerGeneration, PenaltiesFollowTheLibrarysSamplerChain) {
  TestServer server({});
  SamplingOptions penalised = kGreedy;
  penalised.presence_penalty = 1.5f;
  penalised.frequency_penalty = 0.5f;
  const GenerationResult alone = generate_alone(server, "Once upon a time", 40, penalised);
  ASSERT_NE(alone.text, generate_alone(server, "Once upon a time", 40, kGreedy).text)
      << "the penalties must change this reply for the test to mean anything";
  json body = request_for("Once upon a time", 40, kGreedy);
  body["presence_penalty"] = 1.5;
  body["frequency_penalty"] = 0.5;
  const Reply r = server.post("/v1/completions", body);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body["choices"][0]["text"], alone.text);
}

TEST(ServerGeneration, LogprobsAreTheModelsLogSoftmax) {
  TestServer server({});
  json body = request_for("Once upon a time", 3, kGreedy);
  body["logprobs"] = 3;
  const Reply r = server.post("/v1/completions", body);
  ASSERT_EQ(r.status, 200) << r.body;
  const json& lp = r.body["choices"][0]["logprobs"];
  ASSERT_EQ(lp["tokens"].size(), 3u);
  ASSERT_EQ(lp["top_logprobs"][0].size(), 3u);
  // Reference: the first token's distribution from the prompt's logits, in double precision.
  Session session(server.model);
  const std::vector<int> prompt = server.tokenizer->encode("Once upon a time", true, false);
  const std::span<const float> logits = session.forward(prompt);
  double max = logits[0];
  for (const float l : logits) max = std::max<double>(max, l);
  double sum = 0;
  for (const float l : logits) sum += std::exp(l - max);
  std::vector<std::pair<double, int>> ranked;
  for (int i = 0; i < static_cast<int>(logits.size()); ++i)
    ranked.emplace_back(logits[i] - max - std::log(sum), i);
  std::sort(ranked.rbegin(), ranked.rend());
  EXPECT_NEAR(lp["token_logprobs"][0].get<double>(), ranked[0].first, 1e-4);
  EXPECT_EQ(lp["tokens"][0], server.tokenizer->decode(prompt.back(), ranked[0].second));
  for (int k = 0; k < 3; ++k) {
    const std::string piece = server.tokenizer->decode(prompt.back(), ranked[k].second);
    ASSERT_TRUE(lp["top_logprobs"][0].contains(piece)) << piece;
    EXPECT_NEAR(lp["top_logprobs"][0][piece].get<double>(), ranked[k].first, 1e-4);
  }
  EXPECT_EQ(lp["text_offset"][0], 0);
  EXPECT_EQ(lp["text_offset"][1], lp["tokens"][0].get<std::string>().size());
}

}  // namespace
}  // namespace engine::server::test

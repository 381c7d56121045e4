#include "server/completion_route.hpp"

#include <fmt/format.h>

#include <chrono>
#include <random>

#include "engine/chat/chat.hpp"
#include "engine/error.hpp"
#include "server/api_error.hpp"
#include "server/response_json.hpp"

namespace engine::server {
namespace {

using nlohmann::json;

// How often a request waiting for tokens checks that its client is still there.
constexpr std::chrono::milliseconds kPollInterval(20);

// One request's answer in the making, shared with the content provider that writes it.
struct Answer {
  ResponseMeta meta;
  std::shared_ptr<ResponseChannel> channel;
  int choices = 0;
  bool with_logprobs = false;
  bool include_usage = false;
};

std::vector<int> encode_prompt(const Prompt& prompt, const Tokenizer& tokenizer, int vocab) {
  if (prompt.is_tokens) {
    for (const int id : prompt.tokens)
      if (id >= vocab)
        throw invalid_field("prompt",
                            fmt::format("token id {} is outside the vocabulary of {}", id, vocab));
    return prompt.tokens;
  }
  // As engine::generate: BOS first; a vocabulary without BOS-on-encode starts from its BOS.
  std::vector<int> ids = tokenizer.encode(prompt.text, /*add_bos=*/true, /*add_eos=*/false);
  if (ids.empty() && tokenizer.bos_id() >= 0) ids.push_back(tokenizer.bos_id());
  if (ids.empty())
    throw invalid_field("prompt", "the prompt encodes to no tokens and the vocabulary has no BOS");
  return ids;
}

// The chat's prompt: the messages rendered by the model's template and encoded as `engine chat`
// and `engine generate --chat` encode them: the template's special-token texts ("<|im_start|>",
// "</s>") become their ids, the messages' own text stays plain text.
std::vector<int> chat_prompt(const CompletionRequest& r, const Backend& backend) {
  const ChatTemplate* chat_template = backend.served.chat_template.get();
  if (!chat_template)
    throw ApiError(501, "invalid_request_error",
                   "this model has no chat template: start the server with --chat-template NAME, "
                   "or use /v1/completions",
                   {}, "no_chat_template");
  std::vector<ChatMessage> messages;
  for (const Message& m : r.messages) messages.push_back({m.role, m.content});
  std::vector<int> ids;
  try {
    ids = encode_chat(*backend.served.tokenizer, *chat_template, messages,
                      /*add_generation_prompt=*/true);
  } catch (const Error& e) {
    throw invalid_field("messages", fmt::format("the chat template refused them: {}", e.what()));
  }
  if (ids.empty()) throw invalid_field("messages", "the messages render to no tokens");
  return ids;
}

std::vector<std::vector<int>> prompt_tokens(const CompletionRequest& r, const Backend& backend) {
  const Model& model = *backend.served.model;
  const int context = model.config().seq_len;
  std::vector<std::vector<int>> prompts;
  if (r.endpoint == Endpoint::chat) prompts.push_back(chat_prompt(r, backend));
  for (const Prompt& prompt : r.prompts)
    prompts.push_back(encode_prompt(prompt, *backend.served.tokenizer, model.config().vocab_size));
  for (const std::vector<int>& ids : prompts)
    if (static_cast<int>(ids.size()) > context)
      throw ApiError(
          400, "invalid_request_error",
          fmt::format("the prompt is {} tokens but the context holds {}", ids.size(), context),
          r.endpoint == Endpoint::chat ? "messages" : "prompt", "context_length_exceeded");
  return prompts;
}

// The end of a request's time, `seconds` from now (0: no limit).
std::chrono::steady_clock::time_point deadline_after(double seconds) {
  using Clock = std::chrono::steady_clock;
  if (seconds <= 0) return Clock::time_point::max();
  return Clock::now() +
         std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
}

bool write_event(httplib::DataSink& sink, const std::string& data) {
  const std::string event = "data: " + data + "\n\n";
  return sink.write(event.data(), event.size());
}

// Server-Sent Events: chunks as the text grows, each choice's last with its finish_reason, the
// usage when asked, then [DONE]. False (the client left) cancels the jobs.
bool write_stream(Answer& a, httplib::DataSink& sink) {
  if (a.meta.endpoint == Endpoint::chat)
    for (int i = 0; i < a.choices; ++i)
      if (!write_event(sink, dump(role_chunk(a.meta, i, a.include_usage)))) return false;
  std::vector<std::size_t> offsets(a.choices, 0);
  int prompt_tokens = 0, completion_tokens = 0;
  while (!a.channel->all_finished()) {
    std::vector<JobUpdate> updates = a.channel->take(kPollInterval);
    if (updates.empty() && !sink.is_writable()) return false;
    for (const JobUpdate& u : updates) {
      const json chunk =
          stream_chunk(a.meta, u, a.with_logprobs, offsets[u.index], a.include_usage);
      if (!write_event(sink, dump(chunk))) return false;
      offsets[u.index] += u.text.size();
      prompt_tokens += u.prompt_tokens;
      completion_tokens += u.completion_tokens;
    }
  }
  if (a.include_usage &&
      !write_event(sink, dump(usage_chunk(a.meta, prompt_tokens, completion_tokens))))
    return false;
  if (!write_event(sink, "[DONE]")) return false;
  sink.done();
  return true;
}

// The whole response once every job is done; the wait polls the client so that one that left
// cancels its jobs.
bool write_whole(Answer& a, httplib::DataSink& sink) {
  std::vector<JobUpdate> choices(a.choices);
  while (!a.channel->all_finished()) {
    std::vector<JobUpdate> updates = a.channel->take(kPollInterval);
    if (updates.empty() && !sink.is_writable()) return false;
    for (JobUpdate& u : updates) accumulate(choices[u.index], std::move(u));
  }
  const std::string body = dump(full_response(a.meta, choices, a.with_logprobs));
  if (!sink.write(body.data(), body.size())) return false;
  sink.done();
  return true;
}

}  // namespace

void handle_completion(const httplib::Request& request, httplib::Response& response,
                       Endpoint endpoint, std::shared_ptr<const Backend> backend,
                       double timeout_seconds, ResponsesInFlight& in_flight) {
  // Taken before the jobs are queued, so that a stop finding them queued waits for this body.
  std::shared_ptr<void> in_flight_token = in_flight.enter();
  const CompletionRequest r = parse_completion_request(parse_json_body(request.body), endpoint);
  const std::string& name = backend->served.name;
  if (!r.model.empty() && r.model != name)
    throw ApiError(
        404, "invalid_request_error",
        fmt::format("the model '{}' does not exist; this server serves '{}'", r.model, name),
        "model", "model_not_found");
  const std::vector<std::vector<int>> prompts = prompt_tokens(r, *backend);

  auto answer = std::make_shared<Answer>();
  answer->meta = make_response_meta(endpoint, name);
  answer->channel = std::make_shared<ResponseChannel>(static_cast<int>(prompts.size()));
  answer->choices = static_cast<int>(prompts.size());
  answer->with_logprobs = r.top_logprobs >= 0;
  answer->include_usage = r.stream && r.include_usage;

  JobSpec spec{.max_tokens = r.max_tokens.value_or(endpoint == Endpoint::completions
                                                       ? 16
                                                       : backend->served.model->config().seq_len),
               .sampling = r.sampling,
               .stop = r.stop,
               .top_logprobs = r.top_logprobs,
               .deadline = deadline_after(timeout_seconds)};
  spec.sampling.seed = r.seed ? *r.seed : std::random_device{}();
  std::vector<std::shared_ptr<Job>> jobs;
  for (std::size_t i = 0; i < prompts.size(); ++i) {
    jobs.push_back(std::make_shared<Job>(Job{static_cast<int>(i), spec, answer->channel}));
    jobs.back()->spec.prompt = prompts[i];
  }
  if (!backend->scheduler->submit(jobs))
    throw ApiError(503, "server_error", "the server is busy: every slot and queue place is taken",
                   {}, "queue_full");
  const auto provider = [answer, stream = r.stream](std::size_t, httplib::DataSink& sink) {
    const bool written = stream ? write_stream(*answer, sink) : write_whole(*answer, sink);
    if (!written) answer->channel->cancel();
    return written;
  };
  // Also called when the provider never ran (the connection failed first).
  // It lives as long as the response, so it holds the token until the body is written.
  const auto release = [channel = answer->channel,
                        token = std::move(in_flight_token)](bool success) {
    if (!success) channel->cancel();
  };
  response.set_chunked_content_provider(r.stream ? "text/event-stream" : "application/json",
                                        provider, release);
  if (r.stream) {
    response.set_header("Cache-Control", "no-cache");
    response.set_header("X-Accel-Buffering", "no");  // nginx: pass events on as they come
  }
}

}  // namespace engine::server

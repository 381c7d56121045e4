#include "engine/chat/chat.hpp"

#include <algorithm>

#include "engine/error.hpp"
#include "util/log.hpp"

namespace engine {
namespace {

// Whether the model ends its reply with `token`.
bool ends_reply(const Tokenizer& tokenizer, int token) {
  return tokenizer.is_end_of_generation(token) || token == tokenizer.bos_id();
}

std::size_t common_prefix(const std::vector<int>& a, const std::vector<int>& b) {
  const auto [end_a, end_b] = std::mismatch(a.begin(), a.end(), b.begin(), b.end());
  return static_cast<std::size_t>(end_a - a.begin());
}

}  // namespace

std::vector<int> encode_chat(const Tokenizer& tokenizer, const ChatTemplate& t,
                             std::span<const ChatMessage> messages, bool add_generation_prompt) {
  const std::string rendered = t.render(messages, add_generation_prompt);
  const std::string_view prompt = rendered;
  const bool add_bos = t.bos_token().empty() || !prompt.starts_with(t.bos_token());
  const EncodeOptions special{.add_bos = add_bos, .parse_special = true};
  // Where each message's text stands in the prompt (templates may trim it: look for that too).
  std::vector<std::pair<std::size_t, std::size_t>> spans;
  bool any_special = false;
  std::size_t from = 0;
  for (const ChatMessage& m : messages) {
    if (m.content.empty()) continue;
    const EncodeOptions plain{};
    if (tokenizer.encode(m.content, plain) == tokenizer.encode(m.content, {.parse_special = true}))
      continue;  // no special-token text in it: parsing the whole prompt leaves it alone
    any_special = true;
    const std::size_t at = prompt.find(m.content, from);
    if (at == std::string_view::npos)
      throw Error(ErrorCode::unsupported,
                  "a " + m.role +
                      " message holds special-token text and the chat template "
                      "changes it: cannot keep it plain text");
    spans.emplace_back(at, at + m.content.size());
    from = at + m.content.size();
  }
  if (!any_special) return tokenizer.encode(prompt, special);
  // Template text parsed for specials, message text plain, piece by piece.
  std::vector<int> ids;
  std::size_t pos = 0;
  const auto append = [&](std::string_view text, EncodeOptions options) {
    options.add_bos = options.add_bos && ids.empty() && pos == 0;
    const std::vector<int> part = tokenizer.encode(text, options);
    ids.insert(ids.end(), part.begin(), part.end());
  };
  for (const auto& [begin, end] : spans) {
    append(prompt.substr(pos, begin - pos), special);
    pos = begin;
    append(prompt.substr(begin, end - begin), EncodeOptions{});
    pos = end;
  }
  append(prompt.substr(pos), special);
  return ids;
}

Chat::Chat(Session& session, const Tokenizer& tokenizer, ChatTemplate chat_template,
           std::string system)
    : session_(session), tokenizer_(tokenizer), template_(std::move(chat_template)) {
  if (!system.empty()) messages_.push_back({"system", std::move(system)});
  session_.reset();
}

void Chat::reset() {
  std::erase_if(messages_, [](const ChatMessage& m) { return m.role != "system"; });
  past_window_ = false;
}

std::vector<int> Chat::encode_conversation(bool add_generation_prompt) const {
  return encode_chat(tokenizer_, template_, messages_, add_generation_prompt);
}

int Chat::make_room(std::vector<int>& tokens) {
  int dropped = 0;
  const std::size_t first = !messages_.empty() && messages_[0].role == "system" ? 1 : 0;
  while (static_cast<int>(tokens.size()) >= session_.position_limit()) {
    // Keep the system message and the user's new message; drop whole turns where possible.
    if (messages_.size() <= first + 1)
      throw Error(ErrorCode::context_full, "the conversation is " + std::to_string(tokens.size()) +
                                               " tokens but the context has room for " +
                                               std::to_string(session_.position_limit()));
    const bool pair = messages_.size() > first + 2 && messages_[first + 1].role == "assistant";
    messages_.erase(messages_.begin() + static_cast<long>(first),
                    messages_.begin() + static_cast<long>(first + (pair ? 2 : 1)));
    dropped += pair ? 2 : 1;
    tokens = encode_conversation(true);
  }
  if (dropped)
    log::warn(
        "context full: dropped the oldest {} message(s) after the system message; the "
        "conversation is now {} tokens",
        dropped, tokens.size());
  return dropped;
}

std::span<const float> Chat::prefill(const std::vector<int>& tokens, int& reused) {
  // Keep the longest common prefix with the cache (a reply that re-encodes differently, or
  // dropped turns, differ from some token on), but run at least the last token for its logits.
  std::size_t keep = std::min(common_prefix(cached_, tokens), tokens.size() - 1);
  if (static_cast<int>(keep) < session_.truncation_limit()) {
    log::debug(
        "chat: the conversation differs from the cache at token {}, before the window "
        "the session still holds: re-reading it",
        keep);
    session_.reset();
    keep = 0;
  } else {
    session_.truncate(static_cast<int>(keep));
  }
  cached_.resize(keep);
  reused = static_cast<int>(keep);
  const std::span<const int> fresh = std::span(tokens).subspan(keep);
  const std::span<const float> logits = session_.forward(fresh);
  cached_.insert(cached_.end(), fresh.begin(), fresh.end());
  return logits;
}

ChatReply Chat::send(std::string user_text, const GenerationOptions& options,
                     const TokenCallback& on_token) {
  Sampler sampler(options.sampling);
  if (options.max_new_tokens < 0)
    throw Error(ErrorCode::invalid_argument,
                "max new tokens must be >= 0, got " + std::to_string(options.max_new_tokens));
  messages_.push_back({"user", std::move(user_text)});
  ChatReply reply;
  std::vector<int> tokens;
  try {
    tokens = encode_conversation(true);
    reply.dropped_messages = make_room(tokens);
  } catch (...) {
    messages_.pop_back();
    throw;
  }
  reply.prompt_tokens = static_cast<int>(tokens.size());
  if (session_.window() > 0 && reply.prompt_tokens > session_.window() && !past_window_) {
    log::info(
        "the conversation ({} tokens) is longer than the sliding window: the model sees "
        "its last {} tokens, no turn is dropped",
        tokens.size(), session_.window());
    past_window_ = true;
  }
  const std::span<const float> first_logits = prefill(tokens, reply.reused_tokens);
  reply.prefilled_tokens = reply.prompt_tokens - reply.reused_tokens;

  std::vector<float> row(first_logits.begin(), first_logits.end());
  int prev = tokens.back();
  for (int step = 0; step < options.max_new_tokens; ++step) {
    const int next = sampler.sample(row, cached_);  // the conversation so far, for penalties
    if (ends_reply(tokenizer_, next)) {
      reply.finish_reason = FinishReason::eos;
      break;
    }
    reply.tokens.push_back(next);
    const std::string piece = tokenizer_.decode(prev, next);
    prev = next;
    reply.text += piece;
    if (on_token && !on_token(next, piece)) {
      reply.finish_reason = FinishReason::stopped;
      break;
    }
    const auto stop = std::find_if(options.stop.begin(), options.stop.end(), [&](const auto& s) {
      return !s.empty() && reply.text.find(s) != std::string::npos;
    });
    if (stop != options.stop.end()) {
      reply.text.resize(reply.text.find(*stop));
      reply.finish_reason = FinishReason::stopped;
      break;
    }
    if (step + 1 == options.max_new_tokens) break;  // finish_reason stays length
    if (session_.position() >= session_.position_limit()) {
      reply.finish_reason = FinishReason::context;
      break;
    }
    const std::span<const float> logits = session_.forward(std::span(&next, 1));
    cached_.push_back(next);
    row.assign(logits.begin(), logits.end());
  }
  messages_.push_back({"assistant", reply.text});
  return reply;
}

}  // namespace engine

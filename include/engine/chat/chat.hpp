// A conversation with a model that keeps its KV cache between turns: each turn renders the
// whole conversation with the chat template, keeps the longest common token prefix with what
// the session has cached and prefills only the rest. The template's special-token texts
// become their ids; what the user (or the model) wrote is always plain text.
#pragma once

#include <string>
#include <vector>

#include "engine/chat/chat_template.hpp"
#include "engine/generation/generator.hpp"
#include "engine/model/session.hpp"
#include "engine/tokenizer.hpp"

namespace engine {

/// The token ids of `messages` rendered by `chat_template`: the template's special-token texts
/// ("<|im_start|>", "<s>") become their ids, the messages' own text never does; BOS comes first
/// when the vocabulary adds one, unless the template wrote it. Throws what render() throws, and
/// engine::Error (unsupported) when a message holding special-token text is changed by the
/// template so that it cannot be kept plain.
std::vector<int> encode_chat(const Tokenizer& tokenizer, const ChatTemplate& chat_template,
                             std::span<const ChatMessage> messages, bool add_generation_prompt);

struct ChatReply {
  std::string text;         ///< the assistant's reply (also appended to the conversation)
  std::vector<int> tokens;  ///< its generated tokens (the end-of-generation token not included)
  FinishReason finish_reason = FinishReason::length;
  int prompt_tokens = 0;     ///< tokens of the whole rendered conversation this turn
  int reused_tokens = 0;     ///< of those, already in the session's cache
  int prefilled_tokens = 0;  ///< of those, run through the model this turn
  int dropped_messages = 0;  ///< oldest messages dropped this turn because the context was full
};

class Chat {
 public:
  /// A conversation on sequence 0 of `session` (which the Chat then owns the contents of;
  /// `session` and `tokenizer` must outlive it), starting with `system` when not empty.
  Chat(Session& session, const Tokenizer& tokenizer, ChatTemplate chat_template,
       std::string system = {});

  /// Appends the user's message, generates the assistant's reply (streamed to `on_token`,
  /// which may return false to stop it) and appends that too. Generation stops at the model's
  /// end-of-generation tokens (Tokenizer::is_end_of_generation), max_new_tokens, a stop string or a
  /// full context. When the rendered conversation does not fit, the oldest turns after the system
  /// message are dropped (a warning says so); a session with a sliding window drops none (its
  /// context never fills) and says once that the model sees only the window. Throws engine::Error
  /// (context_full) when even the last message does not fit, and what the template throws.
  ChatReply send(std::string user_text, const GenerationOptions& options,
                 const TokenCallback& on_token = {});

  /// Forgets the conversation except the system message.
  void reset();

  const std::vector<ChatMessage>& messages() const { return messages_; }
  /// The tokens in the session's cache, in order.
  const std::vector<int>& cached_tokens() const { return cached_; }
  /// The token ids of the rendered conversation, as send() prefills them.
  std::vector<int> encode_conversation(bool add_generation_prompt) const;

 private:
  // Drops the oldest messages after the system message until the rendered conversation
  // leaves room to reply; returns how many.
  int make_room(std::vector<int>& tokens);
  // Keeps the longest prefix the cache shares with `tokens` (setting `reused` to its length),
  // runs the rest and returns the last token's logits.
  std::span<const float> prefill(const std::vector<int>& tokens, int& reused);

  Session& session_;
  const Tokenizer& tokenizer_;
  ChatTemplate template_;
  std::vector<ChatMessage> messages_;
  std::vector<int> cached_;   // what sequence 0 of the session holds
  bool past_window_ = false;  // the conversation outgrew the session's window (said once)
};

}  // namespace engine

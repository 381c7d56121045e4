// The reference a chat turn is checked against: a fresh session's greedy reply to the whole
// rendered conversation, run as one block.
#pragma once

#include <algorithm>
#include <memory>
#include <vector>

#include "engine/model/session.hpp"
#include "engine/tokenizer.hpp"

namespace engine::test {

/// Argmax of the logits after `prompt`, fed back one token at a time, until an
/// end-of-generation token (or BOS) or `max_new` tokens.
inline std::vector<int> greedy_reply_in_one_go(const std::shared_ptr<const Model>& model,
                                               const Tokenizer& tokenizer,
                                               const std::vector<int>& prompt, int max_new,
                                               const SessionOptions& options = {}) {
  Session session(model, options);
  std::span<const float> logits = session.forward(prompt);
  std::vector<int> reply;
  for (int i = 0; i < max_new; ++i) {
    const int next =
        static_cast<int>(std::max_element(logits.begin(), logits.end()) - logits.begin());
    if (tokenizer.is_end_of_generation(next) || next == tokenizer.bos_id()) break;
    reply.push_back(next);
    if (i + 1 < max_new) logits = session.forward(std::span(&next, 1));
  }
  return reply;
}

}  // namespace engine::test

// One generation in progress: its sequence of the scheduler's shared Session (its rows of the KV
// cache), its sampler and text. The scheduler asks each busy slot for the tokens of its next
// forward pass, runs every slot's in one ragged step, and hands each its logits back; the slot
// samples exactly as engine::generate does, so a request's tokens equal generate()'s on the same
// prompt and options whatever the other slots run.
#pragma once

#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "engine/generation/sampler.hpp"
#include "engine/model/session.hpp"
#include "engine/tokenizer.hpp"
#include "server/job.hpp"
#include "server/text_stream.hpp"

namespace engine::server {

class Slot {
 public:
  /// The slot that generates in sequence `sequence` of `session` (both must outlive it).
  Slot(Session& session, int sequence, const Tokenizer& tokenizer);

  bool idle() const { return job_ == nullptr; }
  /// The running job (not idle).
  const Job& job() const { return *job_; }
  /// The slot's sequence in the session.
  int sequence() const { return sequence_; }
  /// Takes `job`: a fresh conversation in its sequence (the prompt must fit the context).
  void start(std::shared_ptr<Job> job);

  /// Tokens the current (or last) job has generated.
  int generated() const { return static_cast<int>(history_.size() - prompt_size_); }
  /// Whether the prompt still has tokens to run.
  bool prefilling() const { return prefilled_ < job_->spec.prompt.size(); }
  /// The tokens of this slot's next forward pass: the next at most `prefill_budget` (at least 1)
  /// prompt tokens, or the token sampled last; valid until advance().
  std::span<const int> next_block(int prefill_budget);
  /// Takes the logits of the last token of the pass that ran next_block's tokens: once the prompt
  /// is in, samples the next token, streams its text and ends the job at EOS, a stop string,
  /// max_tokens or a full context.
  void advance(std::span<const float> logits);

  /// Ends the job early ("length": the time limit or shutdown) with its last update.
  void finish(const char* reason);
  /// Frees the slot without a word to the client (it is gone).
  void drop();

 private:
  // Sends the text that is final so far (if any) as an update.
  void send_ready();

  Session& session_;
  int sequence_;
  const Tokenizer& tokenizer_;
  std::shared_ptr<Job> job_;
  std::optional<Sampler> sampler_;
  std::optional<TextStream> text_;
  std::vector<int> history_;            // the prompt, then the reply: what the penalties look at
  std::size_t prompt_size_ = 0;         // history_'s first tokens that are the prompt
  std::vector<TokenLogprob> logprobs_;  // tokens whose text has not been sent yet
  std::size_t prefilled_ = 0;
  std::vector<float> row_;  // (vocab_size) the logits the sampler may overwrite
};

}  // namespace engine::server

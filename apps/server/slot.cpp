#include "server/slot.hpp"

#include <algorithm>

#include "engine/generation/generator.hpp"
#include "server/logprobs.hpp"

namespace engine::server {

Slot::Slot(Session& session, int sequence, const Tokenizer& tokenizer)
    : session_(session),
      sequence_(sequence),
      tokenizer_(tokenizer),
      row_(session_.model().config().vocab_size) {}

void Slot::start(std::shared_ptr<Job> job) {
  job_ = std::move(job);
  session_.reset_sequence(sequence_);
  sampler_.emplace(job_->spec.sampling);
  text_.emplace(job_->spec.stop);
  history_ = job_->spec.prompt;
  prompt_size_ = history_.size();
  logprobs_.clear();
  prefilled_ = 0;
}

std::span<const int> Slot::next_block(int prefill_budget) {
  if (!prefilling()) return {&history_.back(), 1};  // the token sampled last
  const std::vector<int>& prompt = job_->spec.prompt;
  const std::size_t n = std::min<std::size_t>(prompt.size() - prefilled_, prefill_budget);
  const std::span<const int> block(prompt.data() + prefilled_, n);
  prefilled_ += n;
  return block;
}

void Slot::advance(std::span<const float> logits) {
  if (prefilling()) return;
  const JobSpec& spec = job_->spec;
  std::copy(logits.begin(), logits.end(), row_.begin());
  const int next = sampler_->sample(row_, history_);
  const int prev = history_.back();
  if (ends_generation(tokenizer_, next)) return finish("stop");
  history_.push_back(next);
  if (spec.top_logprobs >= 0)
    logprobs_.push_back(token_logprob(logits, next, spec.top_logprobs, tokenizer_, prev));
  // The same checks in the same order as engine::generate.
  if (text_->append(tokenizer_.decode(prev, next))) return finish("stop");
  if (generated() >= spec.max_tokens) return finish("length");
  if (session_.position(sequence_) >= session_.position_limit()) return finish("length");
  send_ready();
}

void Slot::send_ready() {
  std::string text = text_->take_ready();
  if (text.empty()) return;
  job_->channel->push(
      {.index = job_->index, .text = std::move(text), .logprobs = std::exchange(logprobs_, {})});
}

void Slot::finish(const char* reason) {
  job_->channel->push({.index = job_->index,
                       .text = text_->take_rest(),
                       .logprobs = std::exchange(logprobs_, {}),
                       .finish_reason = reason,
                       .prompt_tokens = static_cast<int>(job_->spec.prompt.size()),
                       .completion_tokens = generated()});
  job_.reset();
}

void Slot::drop() {
  job_.reset();
}

}  // namespace engine::server

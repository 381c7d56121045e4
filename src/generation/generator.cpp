#include "engine/generation/generator.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <limits>
#include <optional>

#include "engine/error.hpp"
#include "engine/generation/token_probabilities.hpp"

namespace engine {
namespace {

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// A sequence being generated: its result so far, sampler and the token it feeds next.
struct Sequence {
  explicit Sequence(const SamplingOptions& sampling) : sampler(sampling) {}
  GenerationResult result;
  Sampler sampler;
  std::size_t released = 0;             // bytes of result.text passed to the callback
  std::vector<std::size_t> token_ends;  // result.text's size after each token
  std::vector<int> history;             // prompt and sampled tokens, for the penalties
};

// Where the first stop string in `text` begins, searching from `from`; npos if none.
std::size_t find_stop(const std::string& text, std::size_t from,
                      const std::vector<std::string>& stop) {
  std::size_t first = std::string::npos;
  for (const std::string& s : stop)
    if (!s.empty()) first = std::min(first, text.find(s, from));
  return first;
}

// How many bytes at the end of `text` (after `from`) could be the start of a stop string:
// they are held back until the next token shows whether the stop string follows.
std::size_t stop_prefix_at_end(const std::string& text, std::size_t from,
                               const std::vector<std::string>& stop) {
  std::size_t held = 0;
  for (const std::string& s : stop)
    for (std::size_t k = std::min(s.size() - (s.empty() ? 0 : 1), text.size() - from); k > held;
         --k)
      if (text.compare(text.size() - k, k, s, 0, k) == 0) {
        held = k;
        break;
      }
  return held;
}

// The sampler's choice; its error (non-finite logits) names the step and the sequence (-1: the
// only one), so a broken model is reported where it broke.
int sample_step(Sequence& seq, std::span<float> logits, int step, int sequence) {
  try {
    return seq.sampler.sample(logits, seq.history);
  } catch (const Error& e) {
    throw Error(e.code(), sequence < 0 ? fmt::format("generation step {}: {}", step, e.what())
                                       : fmt::format("generation step {} of sequence {}: {}", step,
                                                     sequence, e.what()));
  }
}

// --ignore-eos: no token that would end the generation can be sampled.
void suppress_end_of_generation(const Tokenizer& tokenizer, std::span<float> logits) {
  const auto suppress = [&](int id) {
    if (id >= 0 && static_cast<std::size_t>(id) < logits.size())
      logits[id] = -std::numeric_limits<float>::infinity();
  };
  suppress(tokenizer.bos_id());
  for (const int id : tokenizer.end_of_generation_ids()) suppress(id);
}

}  // namespace

bool ends_generation(const Tokenizer& tokenizer, int token) {
  return token == tokenizer.bos_id() || tokenizer.is_end_of_generation(token);
}

std::string_view finish_reason_name(FinishReason reason) {
  switch (reason) {
    case FinishReason::eos:
      return "eos";
    case FinishReason::length:
      return "length";
    case FinishReason::context:
      return "context";
    case FinishReason::stopped:
      return "stop";
  }
  return "?";
}

void check_tokenizer_fits(const Model& model, const Tokenizer& tokenizer,
                          const std::string& tokenizer_path) {
  if (tokenizer.vocab_size() != model.config().vocab_size)
    throw Error(ErrorCode::mismatch,
                fmt::format("tokenizer {} has {} tokens but model {} expects {}: wrong tokenizer "
                            "for this model",
                            tokenizer_path, tokenizer.vocab_size(), model.path(),
                            model.config().vocab_size));
}

std::vector<GenerationResult> generate_batch(Session& session, const Tokenizer& tokenizer,
                                             std::span<const std::string> prompts,
                                             const GenerationOptions& options,
                                             const BatchTokenCallback& on_token) {
  std::vector<std::vector<int>> encoded;
  encoded.reserve(prompts.size());
  for (const std::string& prompt : prompts) {
    std::vector<int>& ids = encoded.emplace_back(tokenizer.encode(prompt, true, false));
    // A vocabulary that adds no BOS (GPT-2) encodes "" to nothing: start from its BOS token
    // (<|endoftext|>), as unconditional GPT-2 generation does.
    if (ids.empty() && tokenizer.bos_id() >= 0) ids.push_back(tokenizer.bos_id());
  }
  return generate_batch(session, tokenizer, std::span<const std::vector<int>>(encoded), options,
                        on_token);
}

std::vector<GenerationResult> generate_batch(Session& session, const Tokenizer& tokenizer,
                                             std::span<const std::vector<int>> prompts,
                                             const GenerationOptions& options,
                                             const BatchTokenCallback& on_token) {
  const int B = static_cast<int>(prompts.size());
  if (options.max_new_tokens < 0)
    throw Error(ErrorCode::invalid_argument,
                fmt::format("max new tokens must be >= 0, got {}", options.max_new_tokens));
  if (options.n_probs < 0)
    throw Error(ErrorCode::invalid_argument,
                fmt::format("n_probs must be >= 0, got {}", options.n_probs));
  if (B == 0) return {};
  if (B > session.max_batch())
    throw Error(
        ErrorCode::invalid_argument,
        fmt::format("{} prompts but the session holds {} sequences", B, session.max_batch()));
  validate(options.sampling);
  std::vector<Sequence> seqs;
  seqs.reserve(B);
  std::size_t longest = 0;
  for (const std::vector<int>& prompt : prompts) {
    if (prompt.empty())
      throw Error(ErrorCode::invalid_argument,
                  fmt::format("prompt {} encodes to no tokens and the vocabulary has no BOS token "
                              "to start from",
                              seqs.size()));
    Sequence& seq = seqs.emplace_back(options.sampling);
    seq.result.prompt_tokens = prompt;
    seq.history = prompt;
    longest = std::max(longest, prompt.size());
  }
  session.reset();
  if (static_cast<int>(longest) > session.position_limit())
    throw Error(ErrorCode::context_full,
                fmt::format("the prompt is {} tokens but the context has room for {}", longest,
                            session.position_limit()));
  std::vector<GenerationResult> results;
  if (options.max_new_tokens == 0) {
    for (Sequence& seq : seqs) results.push_back(std::move(seq.result));
    return results;
  }

  // The prompts as one left-padded block: padding positions hold token 0 and are masked.
  std::vector<int> block, active(B);
  for (int b = 0; b < B; ++b) {
    const auto& ids = seqs[b].result.prompt_tokens;
    const int padding = static_cast<int>(longest - ids.size());
    session.set_padding(b, padding);
    block.insert(block.end(), padding, 0);
    block.insert(block.end(), ids.begin(), ids.end());
    active[b] = b;
  }
  auto start = std::chrono::steady_clock::now();
  std::span<const float> logits = session.forward_batch(block, active);
  const std::size_t vocab = session.model().config().vocab_size;
  std::vector<float> row(vocab);
  bool first_step = true;
  std::vector<int> next_active, next_tokens;  // reused: a step allocates nothing here
  next_active.reserve(B);
  next_tokens.reserve(B);
  for (;;) {
    // Sample each active sequence's next token; keep those that go on.
    next_active.clear();
    next_tokens.clear();
    for (std::size_t i = 0; i < active.size(); ++i) {
      Sequence& seq = seqs[active[i]];
      GenerationResult& r = seq.result;
      std::copy_n(logits.begin() + i * vocab, vocab, row.begin());
      if (options.ignore_eos) suppress_end_of_generation(tokenizer, row);
      const int next =
          sample_step(seq, row, static_cast<int>(r.tokens.size()) + 1, B > 1 ? active[i] : -1);
      const int prev = r.tokens.empty() ? r.prompt_tokens.back() : r.tokens.back();
      if (ends_generation(tokenizer, next)) {
        r.finish_reason = FinishReason::eos;
        // Text held back as a possible stop string's start is text after all.
        if (on_token && seq.released < r.text.size())
          on_token(active[i], -1, std::string_view(r.text).substr(seq.released));
        continue;
      }
      r.tokens.push_back(next);
      seq.history.push_back(next);
      if (options.n_probs > 0)
        r.probabilities.push_back(
            token_probabilities(logits.subspan(i * vocab, vocab), next, options.n_probs));
      r.text += tokenizer.decode(prev, next);
      seq.token_ends.push_back(r.text.size());
      // A stop string can only begin in what is not yet released (released bytes never could).
      const std::size_t stop_at = find_stop(r.text, seq.released, options.stop);
      std::optional<FinishReason> finish;
      std::size_t release_to = r.text.size();
      if (stop_at != std::string::npos) {
        finish = FinishReason::stopped;
        release_to = stop_at;
      } else if (static_cast<int>(r.tokens.size()) >= options.max_new_tokens) {
        finish = FinishReason::length;
      } else if (session.position(active[i]) >= session.position_limit()) {
        finish = FinishReason::context;
      } else {
        release_to -= stop_prefix_at_end(r.text, seq.released, options.stop);
      }
      const std::string_view release =
          std::string_view(r.text).substr(seq.released, release_to - seq.released);
      seq.released = release_to;
      if (on_token && !on_token(active[i], next, release) && !finish)
        finish = FinishReason::stopped;
      if (stop_at != std::string::npos) {
        // The stop string and what follows are never shown: tokens keeps those wholly before.
        r.text.resize(stop_at);
        while (!seq.token_ends.empty() && seq.token_ends.back() > stop_at) {
          seq.token_ends.pop_back();
          r.tokens.pop_back();
          if (!r.probabilities.empty()) r.probabilities.pop_back();
        }
      }
      if (finish) {
        r.finish_reason = *finish;
      } else {
        next_active.push_back(active[i]);
        next_tokens.push_back(next);
      }
    }
    if (first_step) {
      for (Sequence& seq : seqs) seq.result.prompt_seconds = seconds_since(start);
      start = std::chrono::steady_clock::now();
      first_step = false;
    }
    if (next_active.empty()) break;
    active.swap(next_active);
    logits = session.forward_batch(next_tokens, active);
  }
  const double decode_seconds = seconds_since(start);
  for (Sequence& seq : seqs) {
    seq.result.decode_seconds = decode_seconds;
    results.push_back(std::move(seq.result));
  }
  return results;
}

GenerationResult generate(Session& session, const Tokenizer& tokenizer, std::string_view prompt,
                          const GenerationOptions& options, const TokenCallback& on_token) {
  const std::string prompts[] = {std::string(prompt)};
  BatchTokenCallback batch_callback;
  if (on_token)
    batch_callback = [&](int, int token, std::string_view piece) { return on_token(token, piece); };
  return std::move(generate_batch(session, tokenizer, prompts, options, batch_callback).front());
}

}  // namespace engine

// Autoregressive generation: prompt in, tokens out, streamed as they are produced.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/generation/sampler.hpp"
#include "engine/model/session.hpp"
#include "engine/tokenizer.hpp"

namespace engine {

struct GenerationOptions {
  int max_new_tokens = 256;
  SamplingOptions sampling;
  /// Generation of a sequence stops as soon as its text contains one of these. The stop string
  /// and what follows are never shown: the result's text ends before it, its tokens are those
  /// wholly before it, and the callback never sees it (text that may be a stop string's start
  /// is held back until the next token decides).
  std::vector<std::string> stop;
  /// Never end at BOS/EOS: their logits are set to -inf before sampling (llama.cpp's
  /// --ignore-eos), so generation runs to max_new_tokens, the context or a stop string.
  bool ignore_eos = false;
  /// More than 0: record each generated token's log-probability and the n_probs most likely
  /// tokens' (GenerationResult::probabilities).
  int n_probs = 0;
};

/// Whether sampling `token` ends a generation: one of the vocabulary's end-of-generation tokens
/// (EOS, end of turn, ...: Tokenizer::is_end_of_generation) or BOS, with which llama2.c's models
/// end a story.
bool ends_generation(const Tokenizer& tokenizer, int token);

enum class FinishReason {
  eos,      ///< the model produced an end-of-generation token (ends_generation)
  length,   ///< max_new_tokens reached
  context,  ///< the context is full (Session::position_limit())
  stopped,  ///< the callback asked to stop, or a stop string appeared
};
/// "eos", "length", "context" or "stop".
std::string_view finish_reason_name(FinishReason reason);

/// A generated token's log-probability under the model: the log-softmax of the raw logits at its
/// step, before penalties, temperature or truncation (what OpenAI's logprobs report).
struct TokenProbabilities {
  int token = 0;
  float logprob = 0;
  std::vector<std::pair<int, float>> top;  ///< (token, logprob), most likely first; ties: lower id
};

struct GenerationResult {
  std::vector<int> prompt_tokens;                 ///< BOS first
  std::vector<int> tokens;                        ///< generated tokens (BOS/EOS not included)
  std::string text;                               ///< decoded generated tokens
  std::vector<TokenProbabilities> probabilities;  ///< one per token when n_probs > 0
  FinishReason finish_reason = FinishReason::length;
  double prompt_seconds = 0;  ///< prefill time (the prompt as one block) plus the first sample
  double decode_seconds = 0;  ///< the remaining tokens
};

/// Called once per generated token with its id and the bytes now safe to show: its decoded
/// bytes, less any held back as a possible stop string's start (shown with a later token), and
/// never a stop string. When generation ends at BOS/EOS with bytes still held back, one last
/// call passes them with token -1. Return false to stop.
using TokenCallback = std::function<bool(int token, std::string_view piece)>;

/// Encodes `prompt` (BOS first), runs it through `session` as one block, then samples up to
/// max_new_tokens tokens one step at a time. Stops at BOS/EOS, at max_new_tokens, or when the
/// context is full. The session is reset first: this starts a new conversation. Throws
/// engine::Error (context_full) if the prompt alone does not fit.
/// A session with a sliding window (SessionOptions::window) attends to the last window
/// positions only and keeps only those: its context never fills (Session::position_limit; a
/// model with learned positions, GPT-2, still ends at its context), so a prompt of any length
/// fits and generation stops only at BOS/EOS, max_new_tokens or a stop. The window is the
/// session's because it sizes the session's KV cache.
/// Logits that are not finite (a model whose weights hold NaN) end generation with
/// engine::Error (bad_format) naming the step: "generation step N: the logits are not finite".
GenerationResult generate(Session& session, const Tokenizer& tokenizer, std::string_view prompt,
                          const GenerationOptions& options, const TokenCallback& on_token = {});

/// Called once per generated token of sequence `index` (its position in the prompts); return
/// false to stop that sequence.
using BatchTokenCallback = std::function<bool(int index, int token, std::string_view piece)>;

/// Generates for several prompts as one batch: the prompts are left-padded to a common length
/// and run as one block (padding masked, positions counted from each prompt's first token), then
/// every step is one forward pass for all sequences still going; a finished sequence drops out.
/// With greedy decoding each result equals generate() on that prompt alone; with sampling every
/// sequence draws from its own generator seeded with options.sampling.seed, so its text does not
/// depend on the other prompts. `session` must hold prompts.size() sequences.
std::vector<GenerationResult> generate_batch(Session& session, const Tokenizer& tokenizer,
                                             std::span<const std::string> prompts,
                                             const GenerationOptions& options,
                                             const BatchTokenCallback& on_token = {});
/// The same for prompts already encoded (each BOS first if it wants one, e.g. by encode_chat):
/// token ids are run as given. Throws engine::Error (invalid_argument) for an empty prompt.
std::vector<GenerationResult> generate_batch(Session& session, const Tokenizer& tokenizer,
                                             std::span<const std::vector<int>> prompts,
                                             const GenerationOptions& options,
                                             const BatchTokenCallback& on_token = {});

/// Throws engine::Error (mismatch) unless the tokenizer's vocabulary has the model's size.
void check_tokenizer_fits(const Model& model, const Tokenizer& tokenizer,
                          const std::string& tokenizer_path);

}  // namespace engine

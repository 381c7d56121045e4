// The loss masks of the two ways to cut a text for perplexity: strided windows over one long
// text, or one sequence per line.
#include <fmt/format.h>

#include <algorithm>

#include "engine/error.hpp"
#include "engine/eval/perplexity.hpp"

namespace engine {

namespace {

// BOS (if any) then tokens[begin, end), the text tokens from `first_scored` on scored.
ScoredSequence sequence_of(std::span<const int> tokens, int bos, std::size_t begin, std::size_t end,
                           std::size_t first_scored) {
  ScoredSequence s;
  const std::size_t offset = bos >= 0 ? 1 : 0;
  // Sized first and filled by index: GCC 12 warns falsely (stringop-overflow) on an insert after
  // a push_back in the sanitizer builds.
  s.tokens.resize(offset + (end - begin));
  if (bos >= 0) s.tokens[0] = bos;
  for (std::size_t i = begin; i < end; ++i) s.tokens[offset + i - begin] = tokens[i];
  s.scored.assign(s.tokens.size(), 0);
  for (std::size_t i = std::max(first_scored, begin); i < end; ++i)
    s.scored[offset + i - begin] = 1;
  s.scored[0] = 0;  // nothing predicts the first token
  return s;
}

}  // namespace

std::vector<ScoredSequence> strided_windows(std::span<const int> text, int bos, int ctx,
                                            int stride) {
  if (ctx < 2 || stride < 1 || stride >= ctx)
    throw Error(ErrorCode::invalid_argument,
                fmt::format("windows of {} tokens need a context of at least 2 and a stride of "
                            "1..{} (got {})",
                            ctx, ctx - 1, stride));
  // A window holds ctx - 1 text tokens after BOS; each scores from where the last one ended,
  // which the stride bound keeps past its own first token.
  const std::size_t span = static_cast<std::size_t>(ctx) - (bos >= 0 ? 1 : 0);
  std::vector<ScoredSequence> windows;
  std::size_t scored_end = 0;
  for (std::size_t begin = 0; scored_end < text.size(); begin += static_cast<std::size_t>(stride)) {
    const std::size_t end = std::min(begin + span, text.size());
    windows.push_back(sequence_of(text, bos, begin, end, scored_end));
    scored_end = end;
  }
  return windows;
}

std::vector<ScoredSequence> line_sequences(std::span<const std::vector<int>> lines, int bos) {
  std::vector<ScoredSequence> sequences;
  sequences.reserve(lines.size());
  for (const std::vector<int>& line : lines)
    if (!line.empty()) sequences.push_back(sequence_of(line, bos, 0, line.size(), 0));
  return sequences;
}

}  // namespace engine

// The masked softmax every attention path goes through.
#pragma once

#include <cstdint>
#include <span>

#include "engine/attention/mask.hpp"
#include "engine/ops/isa.hpp"

namespace engine {

/// out[j] = exp(scale*scores[j] - m) / sum_k exp(scale*scores[k] - m) over the positions the
/// mask allows (mask[j] != 0), where m is the max over those positions.
/// - Masked positions get exactly 0 and are never read into the sum.
/// - A row with nothing to attend to (all masked, or every allowed score -inf) gives all zeros.
/// - `scale` (> 0) is folded in: attention passes 1/sqrt(head_size).
/// Runs the kernel of `isa` (default: active_isa()). scores, mask and out have the same size.
void masked_softmax(std::span<const float> scores, std::span<const std::uint8_t> mask,
                    std::span<float> out, float scale, Isa isa = active_isa());

/// The same for a row whose allowed positions are one contiguous range (the usual causal,
/// padding and window case): the kernel reads only [range.begin, range.end) and zero-fills the
/// rest, so masked spans cost nothing.
void masked_softmax(std::span<const float> scores, RowRange range, std::span<float> out,
                    float scale, Isa isa = active_isa());

}  // namespace engine

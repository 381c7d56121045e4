#include "ops/masked_softmax.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "engine/error.hpp"
#include "ops/kernels/kernel_table.hpp"

namespace engine {
namespace {

void check_sizes(std::size_t scores, std::size_t out, float scale) {
  if (scores != out)
    throw Error(ErrorCode::invalid_argument,
                fmt::format("masked_softmax: {} scores but {} outputs", scores, out));
  if (!(scale > 0.0f))
    throw Error(ErrorCode::invalid_argument,
                fmt::format("masked_softmax: scale must be > 0, got {}", scale));
}

}  // namespace

void masked_softmax(std::span<const float> scores, std::span<const std::uint8_t> mask,
                    std::span<float> out, float scale, Isa isa) {
  check_sizes(scores.size(), out.size(), scale);
  if (mask.size() != scores.size())
    throw Error(
        ErrorCode::invalid_argument,
        fmt::format("masked_softmax: {} scores but a mask of {}", scores.size(), mask.size()));
  kernels::kernels_for(isa).masked_softmax(scores.data(), mask.data(), out.data(), scores.size(),
                                           scale);
}

void masked_softmax(std::span<const float> scores, RowRange range, std::span<float> out,
                    float scale, Isa isa) {
  check_sizes(scores.size(), out.size(), scale);
  const std::size_t n = scores.size();
  const std::size_t begin = std::min<std::size_t>(range.begin, n);
  const std::size_t end = std::clamp<std::size_t>(range.end, begin, n);
  std::fill(out.begin(), out.begin() + begin, 0.0f);
  std::fill(out.begin() + end, out.end(), 0.0f);
  kernels::kernels_for(isa).masked_softmax(scores.data() + begin, nullptr, out.data() + begin,
                                           end - begin, scale);
}

}  // namespace engine

#include "ops/quantize.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "ops/half.hpp"

namespace engine {
namespace {

// x rounded to the nearest integer, ties to even: std::nearbyint in the default rounding mode,
// for |x| <= 2^22 (adding 1.5 * 2^23 leaves no fraction bits). Vectorises where the libm call
// does not (a load converting to Q8_0 spent much of its time in the calls).
float round_to_even(float x) {
  constexpr float kShift = 12582912.0f;  // 1.5 * 2^23
  return (x + kShift) - kShift;
}

}  // namespace

void quantize_bf16(const float* in, std::uint16_t* out, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) out[i] = f32_to_bf16(in[i]);
}

void quantize_row_q8_0(const float* in, std::uint8_t* out, std::size_t n) {
  for (std::size_t b = 0; b < n / 32; ++b, in += 32, out += 34) {
    float amax = 0.0f;
    for (int i = 0; i < 32; ++i) amax = std::max(amax, std::fabs(in[i]));
    const std::uint16_t d = f32_to_f16(amax / 127.0f);
    std::memcpy(out, &d, 2);
    // Quantise against the scale as stored (f16), so dequantisation reproduces it exactly.
    const float stored = f16_to_f32(d);
    const float inv = stored > 0.0f ? 1.0f / stored : 0.0f;
    for (int i = 0; i < 32; ++i)
      out[2 + i] = static_cast<std::uint8_t>(
          static_cast<std::int8_t>(std::clamp(round_to_even(in[i] * inv), -127.0f, 127.0f)));
  }
}

}  // namespace engine

#include "ops/quantize.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "ops/half.hpp"

namespace engine {

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
          static_cast<std::int8_t>(std::clamp(std::nearbyint(in[i] * inv), -127.0f, 127.0f)));
  }
}

void dequantize_row_q8_0(const std::uint8_t* in, float* out, std::size_t n) {
  for (std::size_t b = 0; b < n / 32; ++b, in += 34, out += 32) {
    std::uint16_t d;
    std::memcpy(&d, in, 2);
    const float scale = f16_to_f32(d);
    for (int i = 0; i < 32; ++i) out[i] = scale * static_cast<std::int8_t>(in[2 + i]);
  }
}

}  // namespace engine

#include "ops/half.hpp"

#include <cmath>
#include <cstring>

namespace engine {
namespace {

std::uint32_t bits_of(float f) {
  std::uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  return u;
}

}  // namespace

std::uint16_t f32_to_f16(float f) {
  const std::uint32_t u = bits_of(f);
  const std::uint16_t sign = static_cast<std::uint16_t>((u >> 16) & 0x8000);
  const float a = std::fabs(f);
  if (std::isnan(f)) return sign | 0x7e00;
  if (a >= 65520.0f) return sign | 0x7c00;  // rounds past the largest half: infinity
  if (a < 6.103515625e-05f) {  // subnormal half: multiples of 2^-24, rounded to nearest even
    return sign | static_cast<std::uint16_t>(std::nearbyint(a * 16777216.0f));
  }
  // Normal: drop 13 mantissa bits with round-to-nearest-even (a carry may bump the exponent).
  std::uint32_t m = bits_of(a);
  m += 0xfff + ((m >> 13) & 1);
  return sign | static_cast<std::uint16_t>((m >> 13) - ((127 - 15) << 10));
}

}  // namespace engine

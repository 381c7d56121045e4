#include "ops/weight_format.hpp"

#include <array>

#include "ops/formats/formats.hpp"

namespace engine {
namespace {

// In DType order.
const std::array<const WeightFormat*, 13> kFormats = {
    &formats::f32,  &formats::f16,  &formats::bf16, &formats::q8_0, &formats::q4_0,
    &formats::q4_1, &formats::q5_0, &formats::q5_1, &formats::q2_k, &formats::q3_k,
    &formats::q4_k, &formats::q5_k, &formats::q6_k,
};

}  // namespace

const WeightFormat& weight_format(DType dtype) {
  return *kFormats[static_cast<std::size_t>(dtype)];
}

std::span<const WeightFormat* const> weight_formats() {
  return kFormats;
}

}  // namespace engine

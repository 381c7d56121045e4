// Weight element types: names and storage sizes (of matrices and their row ranges).
#include <fmt/format.h>

#include "engine/error.hpp"
#include "engine/model/weights.hpp"

namespace engine {

std::string_view dtype_name(DType dtype) {
  switch (dtype) {
    case DType::f32:
      return "f32";
    case DType::f16:
      return "f16";
    case DType::bf16:
      return "bf16";
    case DType::q8_0:
      return "q8_0";
  }
  return "?";
}

DType parse_dtype(std::string_view name) {
  if (name == "q8") return DType::q8_0;
  for (DType d : {DType::f32, DType::f16, DType::bf16, DType::q8_0})
    if (dtype_name(d) == name) return d;
  throw Error(ErrorCode::invalid_argument,
              fmt::format("unknown weight type '{}' (expected f32|bf16|q8)", name));
}

std::uint64_t Matrix::bytes() const {
  const std::uint64_t n = static_cast<std::uint64_t>(rows) * cols;
  switch (dtype) {
    case DType::f32:
      return n * 4;
    case DType::f16:
    case DType::bf16:
      return n * 2;
    case DType::q8_0:
      return n / 32 * 34;  // 32 int8 + one f16 scale per block
  }
  return 0;
}

Matrix Matrix::row_range(int first, int count) const {
  const std::uint64_t row_bytes = Matrix{nullptr, dtype, 1, cols}.bytes();
  return {static_cast<const std::uint8_t*>(data) + first * row_bytes, dtype, count, cols};
}

}  // namespace engine

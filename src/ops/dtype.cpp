// Weight element types: names and storage sizes (of matrices and their row ranges), from their
// formats (ops/weight_format.hpp).
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <string>
#include <vector>

#include "engine/error.hpp"
#include "ops/matrix.hpp"
#include "ops/weight_format.hpp"

namespace engine {

std::string_view dtype_name(DType dtype) {
  return weight_format(dtype).name;
}

DType parse_dtype(std::string_view name) {
  std::string lower(name);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (lower == "q8") return DType::q8_0;
  std::vector<std::string_view> names;
  for (const WeightFormat* f : weight_formats()) {
    if (f->name == lower) return f->dtype;
    names.push_back(f->name);
  }
  throw Error(ErrorCode::invalid_argument,
              fmt::format("unknown weight type '{}' (expected {})", name, fmt::join(names, "|")));
}

std::uint64_t Matrix::bytes() const {
  return static_cast<std::uint64_t>(rows) * file_row_bytes(weight_format(dtype), cols);
}

Matrix Matrix::row_range(int first, int count) const {
  const std::uint64_t row_bytes = Matrix{nullptr, dtype, 1, cols}.bytes();
  return {static_cast<const std::uint8_t*>(data) + first * row_bytes, dtype, count, cols};
}

}  // namespace engine

// One GGUF metadata value: a scalar, a string or a (possibly nested) array. Strings and arrays of
// numbers stay views of the file's bytes and are decoded only when asked for.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace engine {

/// Metadata value types, numbered as GGUF stores them.
enum class GgufType : std::uint32_t {
  u8 = 0,
  i8 = 1,
  u16 = 2,
  i16 = 3,
  u32 = 4,
  i32 = 5,
  f32 = 6,
  boolean = 7,
  string = 8,
  array = 9,
  u64 = 10,
  i64 = 11,
  f64 = 12,
};

/// "u32", "string", ...; nullopt for a number that is not a GgufType.
std::optional<std::string_view> gguf_type_name(std::uint32_t type);

/// Bytes of a scalar of `type` in the file; 0 for strings and arrays (variable length).
std::size_t gguf_scalar_bytes(GgufType type);

class GgufValue {
 public:
  /// A number or bool (`raw` holds its bytes) or a string (`raw` holds its characters).
  static GgufValue scalar(GgufType type, std::span<const std::uint8_t> raw);
  /// An array of fixed-size elements, `raw` holding all of them back to back.
  static GgufValue packed_array(GgufType element_type, std::uint64_t count,
                                std::span<const std::uint8_t> raw);
  /// An array of strings or of arrays.
  static GgufValue item_array(GgufType element_type, std::vector<GgufValue> items);

  GgufType type() const { return type_; }
  /// Arrays only: the type and number of the elements.
  GgufType element_type() const { return element_type_; }
  std::uint64_t size() const { return count_; }
  /// Element `i` (< size()) of an array.
  GgufValue element(std::uint64_t i) const;
  /// "u32", "string", "array of f32", "array of array of string", ...
  std::string describe() const;

  // Conversions: nullopt when the value is not of a fitting type.
  /// Any integer type holding a value >= 0.
  std::optional<std::uint64_t> to_uint() const;
  /// Any integer type holding a value that fits in int64.
  std::optional<std::int64_t> to_int() const;
  /// f32 or f64.
  std::optional<double> to_float() const;
  std::optional<bool> to_bool() const;
  std::optional<std::string_view> to_string() const;

 private:
  GgufValue() = default;

  GgufType type_ = GgufType::u8;
  GgufType element_type_ = GgufType::u8;
  std::uint64_t count_ = 0;
  std::span<const std::uint8_t> raw_;  // scalar bytes, string bytes or packed array elements
  std::vector<GgufValue> items_;       // elements of arrays of strings or arrays
};

}  // namespace engine

// Decoding of GGUF metadata values from their little-endian bytes.
#include "format/gguf_value.hpp"

#include <array>
#include <cstring>
#include <limits>

namespace engine {
namespace {

struct TypeInfo {
  std::string_view name;
  std::size_t bytes;  // 0: variable length
};

constexpr std::array<TypeInfo, 13> kTypes = {{{"u8", 1},
                                              {"i8", 1},
                                              {"u16", 2},
                                              {"i16", 2},
                                              {"u32", 4},
                                              {"i32", 4},
                                              {"f32", 4},
                                              {"bool", 1},
                                              {"string", 0},
                                              {"array", 0},
                                              {"u64", 8},
                                              {"i64", 8},
                                              {"f64", 8}}};

template <typename T>
T load(std::span<const std::uint8_t> raw) {
  T value;
  std::memcpy(&value, raw.data(), sizeof value);
  return value;
}

}  // namespace

std::optional<std::string_view> gguf_type_name(std::uint32_t type) {
  if (type >= kTypes.size()) return std::nullopt;
  return kTypes[type].name;
}

std::size_t gguf_scalar_bytes(GgufType type) {
  return kTypes[static_cast<std::uint32_t>(type)].bytes;
}

GgufValue GgufValue::scalar(GgufType type, std::span<const std::uint8_t> raw) {
  GgufValue v;
  v.type_ = type;
  v.raw_ = raw;
  return v;
}

GgufValue GgufValue::packed_array(GgufType element_type, std::uint64_t count,
                                  std::span<const std::uint8_t> raw) {
  GgufValue v;
  v.type_ = GgufType::array;
  v.element_type_ = element_type;
  v.count_ = count;
  v.raw_ = raw;
  return v;
}

GgufValue GgufValue::item_array(GgufType element_type, std::vector<GgufValue> items) {
  GgufValue v;
  v.type_ = GgufType::array;
  v.element_type_ = element_type;
  v.count_ = items.size();
  v.items_ = std::move(items);
  return v;
}

GgufValue GgufValue::element(std::uint64_t i) const {
  if (!items_.empty()) return items_[i];
  const std::size_t bytes = gguf_scalar_bytes(element_type_);
  return scalar(element_type_, raw_.subspan(i * bytes, bytes));
}

std::string GgufValue::describe() const {
  const auto name = [](GgufType type) {
    return std::string(kTypes[static_cast<std::uint32_t>(type)].name);
  };
  if (type_ != GgufType::array) return name(type_);
  // Nested arrays describe their first element; an empty one has none to describe.
  if (element_type_ == GgufType::array && !items_.empty())
    return "array of " + items_.front().describe();
  return "array of " + name(element_type_);
}

std::optional<std::int64_t> GgufValue::to_int() const {
  switch (type_) {
    case GgufType::u8:
      return load<std::uint8_t>(raw_);
    case GgufType::i8:
      return load<std::int8_t>(raw_);
    case GgufType::u16:
      return load<std::uint16_t>(raw_);
    case GgufType::i16:
      return load<std::int16_t>(raw_);
    case GgufType::u32:
      return load<std::uint32_t>(raw_);
    case GgufType::i32:
      return load<std::int32_t>(raw_);
    case GgufType::i64:
      return load<std::int64_t>(raw_);
    case GgufType::u64: {
      const auto v = load<std::uint64_t>(raw_);
      if (v > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
        return std::nullopt;
      return static_cast<std::int64_t>(v);
    }
    default:
      return std::nullopt;
  }
}

std::optional<std::uint64_t> GgufValue::to_uint() const {
  if (type_ == GgufType::u64) return load<std::uint64_t>(raw_);
  const auto v = to_int();
  if (!v || *v < 0) return std::nullopt;
  return static_cast<std::uint64_t>(*v);
}

std::optional<double> GgufValue::to_float() const {
  if (type_ == GgufType::f32) return load<float>(raw_);
  if (type_ == GgufType::f64) return load<double>(raw_);
  return std::nullopt;
}

std::optional<bool> GgufValue::to_bool() const {
  if (type_ != GgufType::boolean) return std::nullopt;
  return raw_[0] != 0;
}

std::optional<std::string_view> GgufValue::to_string() const {
  if (type_ != GgufType::string) return std::nullopt;
  return std::string_view(reinterpret_cast<const char*>(raw_.data()), raw_.size());
}

}  // namespace engine

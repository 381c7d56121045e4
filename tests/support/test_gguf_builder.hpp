// Builds GGUF files byte by byte for tests: valid ones, and broken ones by patching the bytes.
// Independent of the library's writer (src/format/gguf_writer.hpp), which the tests check.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace engine::test {

/// Writes GGUF (v2/v3 layout) with any metadata and tensors. Values are appended as encoded, so
/// tests can also write what a sane writer never would (unknown types, wrong counts).
class TestGgufBuilder {
 public:
  explicit TestGgufBuilder(std::uint32_t version = 3) : version_(version) {}

  /// Raw little-endian encoding of a scalar or a GGUF string, for building values.
  template <typename T>
  static std::string encode(T value) {
    std::string out(sizeof value, '\0');
    std::memcpy(out.data(), &value, sizeof value);
    return out;
  }
  static std::string encode_string(std::string_view s) {
    return encode<std::uint64_t>(s.size()) + std::string(s);
  }

  /// A key with a value of GGUF type `type` already encoded in `value`.
  TestGgufBuilder& kv_raw(std::string_view key, std::uint32_t type, const std::string& value) {
    metadata_ += encode_string(key) + encode(type) + value;
    ++kv_count_;
    return *this;
  }
  TestGgufBuilder& kv_u32(std::string_view key, std::uint32_t v) {
    return kv_raw(key, 4, encode(v));
  }
  TestGgufBuilder& kv_f32(std::string_view key, float v) { return kv_raw(key, 6, encode(v)); }
  TestGgufBuilder& kv_bool(std::string_view key, bool v) {
    return kv_raw(key, 7, encode<std::uint8_t>(v));
  }
  TestGgufBuilder& kv_string(std::string_view key, std::string_view v) {
    return kv_raw(key, 8, encode_string(v));
  }
  /// An array of `element_type` whose elements are already encoded back to back.
  static std::string array(std::uint32_t element_type, std::uint64_t count,
                           const std::string& elements) {
    return encode(element_type) + encode(count) + elements;
  }
  TestGgufBuilder& kv_strings(std::string_view key, const std::vector<std::string>& values) {
    std::string elements;
    for (const std::string& v : values) elements += encode_string(v);
    return kv_raw(key, 9, array(8, values.size(), elements));
  }
  TestGgufBuilder& kv_floats(std::string_view key, const std::vector<float>& values) {
    std::string elements;
    for (const float v : values) elements += encode(v);
    return kv_raw(key, 9, array(6, values.size(), elements));
  }
  TestGgufBuilder& kv_i32s(std::string_view key, const std::vector<std::int32_t>& values) {
    std::string elements;
    for (const std::int32_t v : values) elements += encode(v);
    return kv_raw(key, 9, array(5, values.size(), elements));
  }

  /// A tensor info alone (dims fastest-varying first, `offset` into the data section): for
  /// tensors that overlap or lie past the end.
  TestGgufBuilder& tensor_info(std::string_view name, const std::vector<std::uint64_t>& dims,
                               std::uint32_t type, std::uint64_t offset) {
    infos_ += encode_string(name) + encode<std::uint32_t>(dims.size());
    for (const std::uint64_t d : dims) infos_ += encode(d);
    infos_ += encode(type) + encode(offset);
    ++tensor_count_;
    return *this;
  }
  /// A tensor whose data follows the previous one's at the next aligned offset.
  TestGgufBuilder& tensor(std::string_view name, const std::vector<std::uint64_t>& dims,
                          std::uint32_t type, const std::string& data) {
    data_.resize(aligned(data_.size()), '\0');
    tensor_info(name, dims, type, data_.size());
    data_ += data;
    return *this;
  }
  /// f32 data for a tensor.
  static std::string floats(const std::vector<float>& values) {
    std::string out(values.size() * sizeof(float), '\0');
    std::memcpy(out.data(), values.data(), out.size());
    return out;
  }

  /// Alignment used for padding (write general.alignment yourself when it is not 32).
  TestGgufBuilder& alignment(std::uint64_t a) {
    alignment_ = a;
    return *this;
  }

  std::string bytes() const {
    std::string out =
        "GGUF" + encode(version_) + encode(tensor_count_) + encode(kv_count_) + metadata_ + infos_;
    if (tensor_count_ > 0) out.resize(aligned(out.size()), '\0');
    return out + data_;
  }

 private:
  std::uint64_t aligned(std::uint64_t n) const {
    return (n + alignment_ - 1) / alignment_ * alignment_;
  }

  std::uint32_t version_;
  std::uint64_t alignment_ = 32;
  std::uint64_t kv_count_ = 0;
  std::uint64_t tensor_count_ = 0;
  std::string metadata_;
  std::string infos_;
  std::string data_;
};

}  // namespace engine::test

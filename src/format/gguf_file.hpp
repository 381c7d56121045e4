// GGUF files (ggml's single-file model format, versions 2 and 3, little-endian): header, typed
// metadata and tensor infos, parsed from bytes the caller keeps alive (usually a MappedFile).
// Every count, length and offset is checked against the buffer before it is used: malformed
// input throws engine::Error (bad_format) naming the source and the problem, never reads outside
// the buffer. Strings and tensor data are views into the buffer.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "engine/model/gguf_summary.hpp"  // is_gguf_file
#include "format/gguf_tensor_type.hpp"
#include "format/gguf_value.hpp"

namespace engine {

/// One tensor's entry in the tensor info table, validated against the file.
struct GgufTensorInfo {
  std::string_view name;
  std::uint32_t type = 0;  ///< ggml_type number
  GgmlTypeInfo layout;
  /// Sizes fastest-varying first: dims[0] is a row's length (a matrix's cols), dims[1] its rows.
  std::vector<std::uint64_t> dims;
  std::uint64_t elements = 0;
  std::uint64_t offset = 0;  ///< of the data from the start of the buffer
  std::uint64_t bytes = 0;
  const std::uint8_t* data = nullptr;
};

class GgufFile {
 public:
  /// Parses `bytes`; `source` (the path) names the file in errors.
  GgufFile(std::span<const std::uint8_t> bytes, std::string source);

  const std::string& source() const { return source_; }
  std::uint32_t version() const { return version_; }
  /// Of the tensor data: general.alignment, 32 when absent.
  std::uint64_t alignment() const { return alignment_; }

  /// Metadata keys in file order.
  const std::vector<std::string_view>& keys() const { return keys_; }
  /// The value of `key`, nullptr when absent.
  const GgufValue* find_value(std::string_view key) const;

  /// Typed metadata: T is std::uint64_t (any integer type >= 0), double (f32/f64), bool,
  /// std::string_view, std::vector<std::string_view>, std::vector<float> or
  /// std::vector<std::int64_t> (arrays of those). find: nullopt when absent; get: a missing key
  /// throws. Both throw (bad_format, naming the file and key) for a value of another type.
  template <typename T>
  std::optional<T> find(std::string_view key) const;
  template <typename T>
  T get(std::string_view key) const;

  /// Tensor infos in file order.
  const std::vector<GgufTensorInfo>& tensors() const { return tensors_; }
  /// The tensor named `name`, nullptr when absent.
  const GgufTensorInfo* find_tensor(std::string_view name) const;

  /// Throws engine::Error (bad_format): "<source>: <problem>".
  [[noreturn]] void fail(std::string_view problem) const;

 private:
  friend class GgufParser;

  std::string source_;
  std::uint32_t version_ = 0;
  std::uint64_t alignment_ = 32;  // GGUF's default
  std::vector<std::string_view> keys_;
  std::unordered_map<std::string_view, GgufValue> metadata_;
  std::vector<GgufTensorInfo> tensors_;
  std::unordered_map<std::string_view, std::size_t> tensor_index_;
};

/// Whether `bytes` start with the GGUF magic "GGUF".
bool has_gguf_magic(std::span<const std::uint8_t> bytes);

}  // namespace engine

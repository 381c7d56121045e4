// Writing GGUF (version 3) files: metadata and tensor infos first, then each tensor's data
// streamed in order, so a multi-GB model never sits in memory twice.
#pragma once

#include <cstdint>
#include <cstdio>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "format/gguf_value.hpp"

namespace engine {

class GgufWriter {
 public:
  /// Creates `path`; throws engine::Error (io) if it cannot.
  explicit GgufWriter(const std::string& path);
  ~GgufWriter();
  GgufWriter(const GgufWriter&) = delete;
  GgufWriter& operator=(const GgufWriter&) = delete;

  void add_u32(std::string_view key, std::uint32_t value);
  void add_f32(std::string_view key, float value);
  void add_bool(std::string_view key, bool value);
  void add_string(std::string_view key, std::string_view value);
  void add_strings(std::string_view key, const std::vector<std::string>& values);
  void add_f32s(std::string_view key, const std::vector<float>& values);
  void add_i32s(std::string_view key, const std::vector<std::int32_t>& values);

  /// Writes a tensor's bytes (exactly `bytes` of them, through `write`) when its turn comes.
  using TensorData =
      std::function<void(const std::function<void(const void*, std::size_t)>& write)>;
  /// A (rows, cols) tensor of ggml type `type` (GGUF lists dims fastest first: cols, rows;
  /// rows == 1 with one_dimensional lists only cols).
  void add_tensor(std::string_view name, std::uint64_t rows, std::uint64_t cols,
                  bool one_dimensional, std::uint32_t type, std::uint64_t bytes, TensorData data);

  /// Writes the file. `on_tensor(done, total)` reports progress after each tensor.
  void write(const std::function<void(std::size_t, std::size_t)>& on_tensor = {});

 private:
  struct Tensor {
    std::string name;
    std::vector<std::uint64_t> dims;
    std::uint32_t type;
    std::uint64_t bytes;
    std::uint64_t offset;
    TensorData data;
  };
  void key(std::string_view key, GgufType type);
  void put(const void* data, std::size_t n);
  template <typename T>
  void append(std::string& out, T value) {
    out.append(reinterpret_cast<const char*>(&value), sizeof value);
  }
  void append_string(std::string& out, std::string_view s);

  static constexpr std::uint64_t kAlignment = 32;
  std::string path_;
  std::FILE* file_;
  std::string metadata_;
  std::uint64_t kv_count_ = 0;
  std::vector<Tensor> tensors_;
  std::uint64_t data_bytes_ = 0;
};

}  // namespace engine

#include "format/gguf_writer.hpp"

#include <fmt/format.h>

#include "engine/error.hpp"

namespace engine {

GgufWriter::GgufWriter(const std::string& path)
    : path_(path), file_(std::fopen(path.c_str(), "wb")) {
  if (!file_) throw Error(ErrorCode::io, fmt::format("{}: cannot create", path));
}

GgufWriter::~GgufWriter() {
  if (file_) std::fclose(file_);
}

void GgufWriter::append_string(std::string& out, std::string_view s) {
  append<std::uint64_t>(out, s.size());
  out.append(s);
}

void GgufWriter::key(std::string_view key, GgufType type) {
  append_string(metadata_, key);
  append(metadata_, static_cast<std::uint32_t>(type));
  ++kv_count_;
}

void GgufWriter::add_u32(std::string_view k, std::uint32_t value) {
  key(k, GgufType::u32);
  append(metadata_, value);
}
void GgufWriter::add_f32(std::string_view k, float value) {
  key(k, GgufType::f32);
  append(metadata_, value);
}
void GgufWriter::add_bool(std::string_view k, bool value) {
  key(k, GgufType::boolean);
  append<std::uint8_t>(metadata_, value ? 1 : 0);
}
void GgufWriter::add_string(std::string_view k, std::string_view value) {
  key(k, GgufType::string);
  append_string(metadata_, value);
}
void GgufWriter::add_strings(std::string_view k, const std::vector<std::string>& values) {
  key(k, GgufType::array);
  append(metadata_, static_cast<std::uint32_t>(GgufType::string));
  append<std::uint64_t>(metadata_, values.size());
  for (const std::string& v : values) append_string(metadata_, v);
}
void GgufWriter::add_f32s(std::string_view k, const std::vector<float>& values) {
  key(k, GgufType::array);
  append(metadata_, static_cast<std::uint32_t>(GgufType::f32));
  append<std::uint64_t>(metadata_, values.size());
  for (float v : values) append(metadata_, v);
}
void GgufWriter::add_i32s(std::string_view k, const std::vector<std::int32_t>& values) {
  key(k, GgufType::array);
  append(metadata_, static_cast<std::uint32_t>(GgufType::i32));
  append<std::uint64_t>(metadata_, values.size());
  for (std::int32_t v : values) append(metadata_, v);
}

void GgufWriter::add_tensor(std::string_view name, std::uint64_t rows, std::uint64_t cols,
                            bool one_dimensional, std::uint32_t type, std::uint64_t bytes,
                            TensorData data) {
  std::vector<std::uint64_t> dims = {cols};
  if (!one_dimensional) dims.push_back(rows);
  tensors_.push_back({std::string(name), dims, type, bytes, data_bytes_, std::move(data)});
  data_bytes_ += (bytes + kAlignment - 1) / kAlignment * kAlignment;
}

void GgufWriter::put(const void* data, std::size_t n) {
  if (std::fwrite(data, 1, n, file_) != n)
    throw Error(ErrorCode::io, fmt::format("{}: write failed (disk full?)", path_));
}

void GgufWriter::write(const std::function<void(std::size_t, std::size_t)>& on_tensor) {
  std::string header;
  append<std::uint32_t>(header, 0x46554747);  // "GGUF"
  append<std::uint32_t>(header, 3);
  append<std::uint64_t>(header, tensors_.size());
  append<std::uint64_t>(header, kv_count_);
  header += metadata_;
  for (const Tensor& t : tensors_) {
    append_string(header, t.name);
    append<std::uint32_t>(header, static_cast<std::uint32_t>(t.dims.size()));
    for (std::uint64_t d : t.dims) append(header, d);
    append(header, t.type);
    append(header, t.offset);
  }
  header.resize((header.size() + kAlignment - 1) / kAlignment * kAlignment, '\0');
  put(header.data(), header.size());

  const char zeros[kAlignment] = {};
  for (std::size_t i = 0; i < tensors_.size(); ++i) {
    const Tensor& t = tensors_[i];
    std::uint64_t written = 0;
    t.data([&](const void* p, std::size_t n) {
      put(p, n);
      written += n;
    });
    if (written != t.bytes)
      throw Error(
          ErrorCode::invalid_argument,
          fmt::format("{}: tensor {} got {} bytes, expected {}", path_, t.name, written, t.bytes));
    put(zeros, (kAlignment - t.bytes % kAlignment) % kAlignment);
    if (on_tensor) on_tensor(i + 1, tensors_.size());
  }
  if (std::fclose(file_) != 0) throw Error(ErrorCode::io, fmt::format("{}: close failed", path_));
  file_ = nullptr;
}

}  // namespace engine

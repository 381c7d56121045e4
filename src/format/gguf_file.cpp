// GGUF parsing (layout: ggml's docs/gguf.md). The file is: magic, version, tensor count, metadata
// count; the metadata key/value pairs; the tensor infos; padding to the alignment; tensor data.
#include "format/gguf_file.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <fstream>

#include "engine/error.hpp"

namespace engine {
namespace {

constexpr std::uint32_t kMagic = 0x46554747;  // "GGUF" read as a little-endian uint32
constexpr std::uint64_t kMinAlignment = 8;    // the spec: a multiple of 8; also aligns every f32
constexpr std::uint64_t kMaxAlignment = 1 << 20;
constexpr std::size_t kMaxKeyBytes = 65535;
constexpr std::size_t kMaxTensorNameBytes = 64;
constexpr std::uint32_t kMaxDims = 4;
// Deeper nesting only serves to exhaust the stack of a recursive reader.
constexpr int kMaxArrayDepth = 8;
// Smallest encodings, to reject counts the rest of the file cannot hold before reserving memory.
constexpr std::uint64_t kMinStringBytes = 8;                      // the length alone
constexpr std::uint64_t kMinArrayBytes = 4 + 8;                   // element type + count
constexpr std::uint64_t kMinKeyValueBytes = 8 + 4 + 1;            // empty key, type, 1-byte value
constexpr std::uint64_t kMinTensorInfoBytes = 8 + 4 + 8 + 4 + 8;  // name, 1 dim, type, offset

// Elements are capped well below 2^64 so byte sizes computed from them cannot overflow.
constexpr std::uint64_t kMaxElements = std::uint64_t{1} << 48;

}  // namespace

// Reads a GGUF file front to back into a GgufFile; every read is bounds-checked.
class GgufParser {
 public:
  GgufParser(GgufFile& file, std::span<const std::uint8_t> bytes) : file_(file), bytes_(bytes) {}

  void parse() {
    const auto [tensor_count, kv_count] = header();
    for (std::uint64_t i = 0; i < kv_count; ++i) key_value(i);
    if (const GgufValue* value = file_.find_value("general.alignment")) alignment(*value);
    for (std::uint64_t i = 0; i < tensor_count; ++i) tensor_info(i);
    locate_tensor_data();
  }

 private:
  std::uint64_t left() const { return bytes_.size() - pos_; }

  std::span<const std::uint8_t> take(std::uint64_t count, std::string_view what) {
    if (count > left())
      file_.fail(fmt::format("truncated: {} at byte {} needs {} bytes, {} left", what, pos_, count,
                             left()));
    const auto span = bytes_.subspan(pos_, count);
    pos_ += count;
    return span;
  }
  template <typename T>
  T read(std::string_view what) {
    T value;
    std::memcpy(&value, take(sizeof value, what).data(), sizeof value);
    return value;
  }
  std::string_view read_string(std::string_view what) {
    const auto length = read<std::uint64_t>(what);
    const auto chars = take(length, what);
    return {reinterpret_cast<const char*>(chars.data()), chars.size()};
  }
  GgufType read_type(std::string_view what) {
    const std::size_t at = pos_;
    const auto type = read<std::uint32_t>(what);
    if (!gguf_type_name(type))
      file_.fail(fmt::format("unknown metadata value type {} for {} at byte {}", type, what, at));
    return static_cast<GgufType>(type);
  }

  std::pair<std::uint64_t, std::uint64_t> header() {
    const auto magic = read<std::uint32_t>("the magic");
    if (magic != kMagic) file_.fail("not a GGUF file (bad magic)");
    const auto version = read<std::uint32_t>("the version");
    file_.version_ = version;
    if (version == 1)
      throw Error(ErrorCode::unsupported,
                  fmt::format("{}: GGUF version 1 (32-bit counts, 2023) is not supported: convert "
                              "the model again",
                              file_.source_));
    // A big-endian file has the same magic bytes but a byte-swapped version.
    if (version == 0x02000000 || version == 0x03000000)
      throw Error(ErrorCode::unsupported,
                  fmt::format("{}: big-endian GGUF files are not supported", file_.source_));
    if (version != 2 && version != 3)
      file_.fail(fmt::format("unknown GGUF version {} (expected 2 or 3)", version));
    const auto tensor_count = read<std::uint64_t>("the tensor count");
    const auto kv_count = read<std::uint64_t>("the metadata count");
    if (kv_count > left() / kMinKeyValueBytes)
      file_.fail(
          fmt::format("{} metadata pairs cannot fit in the {} bytes left", kv_count, left()));
    if (tensor_count > left() / kMinTensorInfoBytes)
      file_.fail(
          fmt::format("{} tensor infos cannot fit in the {} bytes left", tensor_count, left()));
    file_.keys_.reserve(kv_count);
    file_.tensors_.reserve(tensor_count);
    return {tensor_count, kv_count};
  }

  void key_value(std::uint64_t index) {
    const std::size_t at = pos_;
    const std::string_view key = read_string(fmt::format("metadata key {}", index));
    if (key.size() > kMaxKeyBytes)
      file_.fail(fmt::format("metadata key {} at byte {} is {} bytes long (at most {})", index, at,
                             key.size(), kMaxKeyBytes));
    const std::string what = fmt::format("metadata '{}'", key);
    GgufValue value = read_value(read_type(what), what, 0);
    if (!file_.metadata_.emplace(key, std::move(value)).second)
      file_.fail(fmt::format("metadata key '{}' is defined twice", key));
    file_.keys_.push_back(key);
  }

  GgufValue read_value(GgufType type, const std::string& what, int depth) {
    if (type == GgufType::string) {
      const std::string_view s = read_string(what);
      return GgufValue::scalar(type, {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()});
    }
    if (type == GgufType::array) return read_array(what, depth);
    const std::size_t at = pos_;
    const auto raw = take(gguf_scalar_bytes(type), what);
    if (type == GgufType::boolean && raw[0] > 1) bad_bool(what, at, raw[0]);
    return GgufValue::scalar(type, raw);
  }

  [[noreturn]] void bad_bool(std::string_view what, std::size_t at, std::uint8_t value) const {
    file_.fail(
        fmt::format("{} has a bool of value {} at byte {} (0 or 1 expected)", what, value, at));
  }

  GgufValue read_array(const std::string& what, int depth) {
    if (depth >= kMaxArrayDepth)
      file_.fail(fmt::format("{} nests arrays deeper than {}", what, kMaxArrayDepth));
    const GgufType element_type = read_type(what);
    const std::size_t at = pos_;
    const auto count = read<std::uint64_t>(what);
    const std::size_t element_bytes = gguf_scalar_bytes(element_type);
    const std::uint64_t min_bytes = element_bytes > 0                  ? element_bytes
                                    : element_type == GgufType::string ? kMinStringBytes
                                                                       : kMinArrayBytes;
    if (count > left() / min_bytes)
      file_.fail(fmt::format("{}: array of {} elements at byte {} cannot fit in the {} bytes left",
                             what, count, at, left()));
    if (element_bytes > 0) {
      const std::size_t start = pos_;
      const auto raw = take(count * element_bytes, what);
      if (element_type == GgufType::boolean)
        for (std::size_t i = 0; i < raw.size(); ++i)
          if (raw[i] > 1) bad_bool(what, start + i, raw[i]);
      return GgufValue::packed_array(element_type, count, raw);
    }
    std::vector<GgufValue> items;
    items.reserve(count);
    for (std::uint64_t i = 0; i < count; ++i)
      items.push_back(read_value(element_type, what, depth + 1));
    return GgufValue::item_array(element_type, std::move(items));
  }

  void alignment(const GgufValue& value) {
    const auto alignment = value.to_uint();
    if (!alignment || *alignment < kMinAlignment || *alignment > kMaxAlignment ||
        (*alignment & (*alignment - 1)) != 0)
      file_.fail(fmt::format("general.alignment is {}, not a power of two from {} to {}",
                             alignment ? std::to_string(*alignment) : value.describe(),
                             kMinAlignment, kMaxAlignment));
    file_.alignment_ = *alignment;
  }

  void tensor_info(std::uint64_t index) {
    GgufTensorInfo t;
    const std::size_t at = pos_;
    t.name = read_string(fmt::format("the name of tensor {}", index));
    if (t.name.size() > kMaxTensorNameBytes)
      file_.fail(fmt::format("tensor {} at byte {} has a name of {} bytes (at most {})", index, at,
                             t.name.size(), kMaxTensorNameBytes));
    const std::string what = fmt::format("tensor '{}'", t.name);
    const auto n_dims = read<std::uint32_t>(what);
    if (n_dims == 0 || n_dims > kMaxDims)
      file_.fail(fmt::format("{} has {} dimensions (1 to {} allowed)", what, n_dims, kMaxDims));
    t.elements = 1;
    for (std::uint32_t d = 0; d < n_dims; ++d) {
      const auto size = read<std::uint64_t>(what);
      if (size == 0 || size > kMaxElements / t.elements)
        file_.fail(fmt::format("{} has an absurd dimension {} = {}", what, d, size));
      t.dims.push_back(size);
      t.elements *= size;
    }
    t.type = read<std::uint32_t>(what);
    const auto layout = ggml_type_info(t.type);
    if (!layout) file_.fail(fmt::format("{} has unknown type {}", what, t.type));
    t.layout = *layout;
    if (t.dims[0] % t.layout.block_elements != 0)
      file_.fail(fmt::format("{}: rows of {} elements are not whole {} blocks of {}", what,
                             t.dims[0], t.layout.name, t.layout.block_elements));
    t.bytes = t.elements / t.layout.block_elements * t.layout.block_bytes;
    t.offset = read<std::uint64_t>(what);  // relative to the data section until located
    if (t.offset % file_.alignment_ != 0)
      file_.fail(fmt::format("{} has offset {}, not a multiple of the alignment {}", what, t.offset,
                             file_.alignment_));
    if (!file_.tensor_index_.emplace(t.name, file_.tensors_.size()).second)
      file_.fail(fmt::format("tensor '{}' is listed twice", t.name));
    file_.tensors_.push_back(std::move(t));
  }

  // The data section starts at the first aligned offset after the infos; each tensor must lie
  // inside the file and apart from the others.
  void locate_tensor_data() {
    if (file_.tensors_.empty()) return;
    const std::uint64_t data_start =
        (pos_ + file_.alignment_ - 1) / file_.alignment_ * file_.alignment_;
    if (data_start > bytes_.size())
      file_.fail(
          fmt::format("the tensor data would start at byte {}, past the end of the file "
                      "({} bytes)",
                      data_start, bytes_.size()));
    const std::uint64_t data_bytes = bytes_.size() - data_start;
    for (GgufTensorInfo& t : file_.tensors_) {
      if (t.offset > data_bytes || t.bytes > data_bytes - t.offset)
        file_.fail(
            fmt::format("tensor '{}' ({} bytes at data offset {}) runs past the end of the "
                        "file ({} bytes of tensor data)",
                        t.name, t.bytes, t.offset, data_bytes));
      t.offset += data_start;
      t.data = bytes_.data() + t.offset;
    }
    std::vector<const GgufTensorInfo*> by_offset;
    for (const GgufTensorInfo& t : file_.tensors_) by_offset.push_back(&t);
    std::sort(by_offset.begin(), by_offset.end(),
              [](const auto* a, const auto* b) { return a->offset < b->offset; });
    for (std::size_t i = 1; i < by_offset.size(); ++i) {
      const GgufTensorInfo& prev = *by_offset[i - 1];
      if (prev.offset + prev.bytes > by_offset[i]->offset)
        file_.fail(fmt::format("tensors '{}' and '{}' overlap", prev.name, by_offset[i]->name));
    }
  }

  GgufFile& file_;
  std::span<const std::uint8_t> bytes_;
  std::size_t pos_ = 0;
};

namespace {

// Conversions of metadata values to the types GgufFile::find/get offer.
template <typename T>
struct Convert;
template <>
struct Convert<std::uint64_t> {
  static constexpr std::string_view kName = "a non-negative integer";
  static std::optional<std::uint64_t> from(const GgufValue& v) { return v.to_uint(); }
};
// Array elements only (the array's own name describes them).
template <>
struct Convert<std::int64_t> {
  static std::optional<std::int64_t> from(const GgufValue& v) { return v.to_int(); }
};
template <>
struct Convert<double> {
  static constexpr std::string_view kName = "a float";
  static std::optional<double> from(const GgufValue& v) { return v.to_float(); }
};
template <>
struct Convert<float> {
  static std::optional<float> from(const GgufValue& v) {
    const auto f = v.to_float();
    if (!f) return std::nullopt;
    return static_cast<float>(*f);
  }
};
template <>
struct Convert<bool> {
  static constexpr std::string_view kName = "a bool";
  static std::optional<bool> from(const GgufValue& v) { return v.to_bool(); }
};
template <>
struct Convert<std::string_view> {
  static constexpr std::string_view kName = "a string";
  static std::optional<std::string_view> from(const GgufValue& v) { return v.to_string(); }
};
template <typename T>
struct Convert<std::vector<T>> {
  static constexpr std::string_view kName = "an array";
  static std::optional<std::vector<T>> from(const GgufValue& v) {
    if (v.type() != GgufType::array) return std::nullopt;
    std::vector<T> out;
    out.reserve(v.size());
    for (std::uint64_t i = 0; i < v.size(); ++i) {
      const auto element = Convert<T>::from(v.element(i));
      if (!element) return std::nullopt;
      out.push_back(*element);
    }
    return out;
  }
};

}  // namespace

GgufFile::GgufFile(std::span<const std::uint8_t> bytes, std::string source)
    : source_(std::move(source)) {
  GgufParser(*this, bytes).parse();
}

const GgufValue* GgufFile::find_value(std::string_view key) const {
  const auto it = metadata_.find(key);
  return it == metadata_.end() ? nullptr : &it->second;
}

template <typename T>
std::optional<T> GgufFile::find(std::string_view key) const {
  const GgufValue* value = find_value(key);
  if (!value) return std::nullopt;
  auto converted = Convert<T>::from(*value);
  if (!converted)
    fail(fmt::format("metadata '{}' is {} where {} is expected", key, value->describe(),
                     Convert<T>::kName));
  return converted;
}

template <typename T>
T GgufFile::get(std::string_view key) const {
  auto value = find<T>(key);
  if (!value) fail(fmt::format("required metadata '{}' is missing", key));
  return *std::move(value);
}

template std::optional<std::uint64_t> GgufFile::find(std::string_view) const;
template std::optional<double> GgufFile::find(std::string_view) const;
template std::optional<bool> GgufFile::find(std::string_view) const;
template std::optional<std::string_view> GgufFile::find(std::string_view) const;
template std::optional<std::vector<std::string_view>> GgufFile::find(std::string_view) const;
template std::optional<std::vector<float>> GgufFile::find(std::string_view) const;
template std::optional<std::vector<std::int64_t>> GgufFile::find(std::string_view) const;
template std::uint64_t GgufFile::get(std::string_view) const;
template double GgufFile::get(std::string_view) const;
template std::string_view GgufFile::get(std::string_view) const;
template std::vector<std::string_view> GgufFile::get(std::string_view) const;

const GgufTensorInfo* GgufFile::find_tensor(std::string_view name) const {
  const auto it = tensor_index_.find(name);
  return it == tensor_index_.end() ? nullptr : &tensors_[it->second];
}

void GgufFile::fail(std::string_view problem) const {
  throw Error(ErrorCode::bad_format, fmt::format("{}: {}", source_, problem));
}

bool has_gguf_magic(std::span<const std::uint8_t> bytes) {
  return bytes.size() >= 4 && std::memcmp(bytes.data(), "GGUF", 4) == 0;
}

bool is_gguf_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::uint8_t magic[4] = {};
  in.read(reinterpret_cast<char*>(magic), sizeof magic);
  return in.gcount() == sizeof magic && has_gguf_magic(magic);
}

}  // namespace engine

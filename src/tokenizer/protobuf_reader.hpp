// A minimal reader of the protobuf wire format, enough to parse SentencePiece .model files
// without libprotobuf. Every read is bounds-checked: malformed input throws engine::Error
// (bad_format) naming the file and the byte offset, never reads outside the buffer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace engine {

class ProtobufReader {
 public:
  enum class WireType : std::uint8_t { varint = 0, fixed64 = 1, length_delimited = 2, fixed32 = 5 };
  struct Field {
    std::uint32_t number;
    WireType type;
  };

  /// Reads the message `bytes`; `source` names the file in errors.
  ProtobufReader(std::span<const std::uint8_t> bytes, std::string_view source)
      : ProtobufReader(bytes, source, 0) {}

  bool at_end() const { return pos_ == bytes_.size(); }
  /// The next field's tag; its value must then be read (or skipped) with the calls below.
  Field next_field();

  std::uint64_t read_varint(const Field& field);
  bool read_bool(const Field& field) { return read_varint(field) != 0; }
  /// int32 fields: negative values are stored as 64-bit two's complement and truncated back.
  std::int32_t read_int32(const Field& field) {
    return static_cast<std::int32_t>(read_varint(field));
  }
  float read_float(const Field& field);
  std::string_view read_bytes(const Field& field);
  /// A reader over an embedded message, reporting offsets within the whole file.
  ProtobufReader read_message(const Field& field);
  void skip(const Field& field);

  /// Throws engine::Error (bad_format): "<source>: <problem> at byte <offset>".
  [[noreturn]] void fail(std::string_view problem) const;

 private:
  ProtobufReader(std::span<const std::uint8_t> bytes, std::string_view source,
                 std::size_t base_offset)
      : bytes_(bytes), source_(source), base_offset_(base_offset) {}

  void expect(const Field& field, WireType type) const;
  std::uint64_t varint();
  std::span<const std::uint8_t> take(std::size_t count);

  std::span<const std::uint8_t> bytes_;
  std::string_view source_;
  std::size_t base_offset_;  // of bytes_ within the file, for error messages
  std::size_t pos_ = 0;
};

}  // namespace engine

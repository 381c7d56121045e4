// Protobuf wire format decoding (varints, tags, length-delimited and fixed-size values).
#include "tokenizer/protobuf_reader.hpp"

#include <fmt/format.h>

#include <cstring>

#include "engine/error.hpp"

namespace engine {
namespace {

constexpr int kMaxVarintBytes = 10;  // 64 bits in 7-bit groups

std::string_view wire_type_name(ProtobufReader::WireType type) {
  switch (type) {
    case ProtobufReader::WireType::varint:
      return "varint";
    case ProtobufReader::WireType::fixed64:
      return "fixed64";
    case ProtobufReader::WireType::length_delimited:
      return "length-delimited";
    case ProtobufReader::WireType::fixed32:
      return "fixed32";
  }
  return "?";
}

}  // namespace

void ProtobufReader::fail(std::string_view problem) const {
  throw Error(ErrorCode::bad_format,
              fmt::format("{}: {} at byte {}", source_, problem, base_offset_ + pos_));
}

std::span<const std::uint8_t> ProtobufReader::take(std::size_t count) {
  if (count > bytes_.size() - pos_)
    fail(fmt::format("truncated: {} bytes needed, {} left", count, bytes_.size() - pos_));
  const auto taken = bytes_.subspan(pos_, count);
  pos_ += count;
  return taken;
}

std::uint64_t ProtobufReader::varint() {
  std::uint64_t value = 0;
  for (int i = 0; i < kMaxVarintBytes; ++i) {
    if (at_end()) fail("truncated varint");
    const std::uint8_t byte = bytes_[pos_++];
    value |= static_cast<std::uint64_t>(byte & 0x7F) << (7 * i);
    if ((byte & 0x80) == 0) return value;
  }
  fail("varint longer than 10 bytes");
}

ProtobufReader::Field ProtobufReader::next_field() {
  const std::uint64_t tag = varint();
  const std::uint64_t number = tag >> 3;
  const auto type = static_cast<std::uint8_t>(tag & 7);
  if (number == 0 || number > 0x1FFFFFFF) fail(fmt::format("invalid field number {}", number));
  // Wire types 3 and 4 are the deprecated groups, which SentencePiece never writes.
  if (type != 0 && type != 1 && type != 2 && type != 5)
    fail(fmt::format("field {} has unsupported wire type {}", number, type));
  return {static_cast<std::uint32_t>(number), static_cast<WireType>(type)};
}

void ProtobufReader::expect(const Field& field, WireType type) const {
  if (field.type != type)
    fail(fmt::format("field {} is {}, expected {}", field.number, wire_type_name(field.type),
                     wire_type_name(type)));
}

std::uint64_t ProtobufReader::read_varint(const Field& field) {
  expect(field, WireType::varint);
  return varint();
}

float ProtobufReader::read_float(const Field& field) {
  expect(field, WireType::fixed32);
  float value;
  std::memcpy(&value, take(sizeof value).data(), sizeof value);
  return value;
}

std::string_view ProtobufReader::read_bytes(const Field& field) {
  expect(field, WireType::length_delimited);
  const std::uint64_t length = varint();
  if (length > bytes_.size() - pos_)
    fail(fmt::format("field {} claims {} bytes, only {} left", field.number, length,
                     bytes_.size() - pos_));
  const auto data = take(static_cast<std::size_t>(length));
  return {reinterpret_cast<const char*>(data.data()), data.size()};
}

ProtobufReader ProtobufReader::read_message(const Field& field) {
  const std::string_view data = read_bytes(field);
  const std::size_t start = pos_ - data.size();
  return ProtobufReader({bytes_.data() + start, data.size()}, source_, base_offset_ + start);
}

void ProtobufReader::skip(const Field& field) {
  switch (field.type) {
    case WireType::varint:
      varint();
      break;
    case WireType::fixed64:
      take(8);
      break;
    case WireType::length_delimited:
      read_bytes(field);
      break;
    case WireType::fixed32:
      take(4);
      break;
  }
}

}  // namespace engine

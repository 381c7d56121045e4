// The GGUF reader: every metadata value type (nested arrays too), versions 2 and 3, alignment,
// tensor infos; and every kind of malformed file gives an engine::Error naming the problem,
// never a read outside the buffer (run under -DENGINE_SANITIZE=address,undefined).
#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <span>
#include <string>

#include "engine/error.hpp"
#include "expect_engine_error.hpp"
#include "format/gguf_file.hpp"
#include "test_gguf_builder.hpp"

namespace engine {
namespace {

using test::TestGgufBuilder;

std::span<const std::uint8_t> span_of(const std::string& bytes) {
  return {reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()};
}

GgufFile parse(const std::string& bytes) {
  return GgufFile(span_of(bytes), "test.gguf");
}

// Parsing `bytes` throws an engine::Error of `code` whose message names the file and `needle`.
void expect_error(const std::string& bytes, const std::string& needle,
                  ErrorCode code = ErrorCode::bad_format) {
  test::expect_engine_error([&] { parse(bytes); }, code, {"test.gguf: ", needle});
}

// A small valid file with two f32 tensors and one metadata value of every kind.
TestGgufBuilder small_file(std::uint32_t version = 3) {
  TestGgufBuilder w(version);
  w.kv_string("general.architecture", "llama")
      .kv_raw("u8", 0, TestGgufBuilder::encode<std::uint8_t>(200))
      .kv_raw("i8", 1, TestGgufBuilder::encode<std::int8_t>(-5))
      .kv_raw("u16", 2, TestGgufBuilder::encode<std::uint16_t>(60000))
      .kv_raw("i16", 3, TestGgufBuilder::encode<std::int16_t>(-30000))
      .kv_u32("u32", 4000000000u)
      .kv_raw("i32", 5, TestGgufBuilder::encode<std::int32_t>(-7))
      .kv_f32("f32", 0.5f)
      .kv_bool("bool", true)
      .kv_raw("u64", 10, TestGgufBuilder::encode<std::uint64_t>(1ull << 40))
      .kv_raw("i64", 11, TestGgufBuilder::encode<std::int64_t>(-(1ll << 40)))
      .kv_raw("f64", 12, TestGgufBuilder::encode(0.25))
      .kv_strings("strings", {"a", "", "ccc"})
      .kv_floats("floats", {1.0f, -2.0f})
      .kv_i32s("ints", {3, -4});
  // An array of two arrays of u8: [[1, 2], [3]].
  const std::string inner =
      TestGgufBuilder::array(0, 2, "\x01\x02") + TestGgufBuilder::array(0, 1, "\x03");
  w.kv_raw("nested", 9, TestGgufBuilder::array(9, 2, inner));
  w.tensor("a", {4, 2}, 0, TestGgufBuilder::floats({1, 2, 3, 4, 5, 6, 7, 8}));
  w.tensor("b", {3}, 0, TestGgufBuilder::floats({9, 10, 11}));
  return w;
}

TEST(GgufFile, ReadsEveryValueType) {
  const std::string bytes = small_file().bytes();
  const GgufFile f = parse(bytes);
  EXPECT_EQ(f.version(), 3u);
  EXPECT_EQ(f.alignment(), 32u);
  EXPECT_EQ(f.keys().size(), 16u);
  EXPECT_EQ(f.get<std::string_view>("general.architecture"), "llama");
  EXPECT_EQ(f.get<std::uint64_t>("u8"), 200u);
  EXPECT_EQ(f.find_value("i8")->to_int(), -5);
  EXPECT_EQ(f.get<std::uint64_t>("u16"), 60000u);
  EXPECT_EQ(f.find_value("i16")->to_int(), -30000);
  EXPECT_EQ(f.get<std::uint64_t>("u32"), 4000000000u);
  EXPECT_EQ(f.find_value("i32")->to_int(), -7);
  EXPECT_EQ(f.get<double>("f32"), 0.5);
  EXPECT_EQ(f.find<bool>("bool"), true);
  EXPECT_EQ(f.get<std::uint64_t>("u64"), 1ull << 40);
  EXPECT_EQ(f.find_value("i64")->to_int(), -(1ll << 40));
  EXPECT_EQ(f.get<double>("f64"), 0.25);
  EXPECT_EQ(f.get<std::vector<std::string_view>>("strings"),
            (std::vector<std::string_view>{"a", "", "ccc"}));
  EXPECT_EQ(f.find<std::vector<float>>("floats"), (std::vector<float>{1.0f, -2.0f}));
  EXPECT_EQ(f.find<std::vector<std::int64_t>>("ints"), (std::vector<std::int64_t>{3, -4}));
  const GgufValue& nested = *f.find_value("nested");
  EXPECT_EQ(nested.describe(), "array of array of u8");
  ASSERT_EQ(nested.size(), 2u);
  EXPECT_EQ(nested.element(0).size(), 2u);
  EXPECT_EQ(nested.element(0).element(1).to_uint(), 2u);
  EXPECT_EQ(nested.element(1).element(0).to_uint(), 3u);
  EXPECT_EQ(f.find_value("absent"), nullptr);
  EXPECT_EQ(f.find<std::uint64_t>("absent"), std::nullopt);
}

TEST(GgufFile, ReadsTensorInfos) {
  const std::string bytes = small_file().bytes();
  const GgufFile f = parse(bytes);
  ASSERT_EQ(f.tensors().size(), 2u);
  const GgufTensorInfo* a = f.find_tensor("a");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->dims, (std::vector<std::uint64_t>{4, 2}));
  EXPECT_EQ(a->elements, 8u);
  EXPECT_EQ(a->bytes, 32u);
  EXPECT_EQ(a->layout.name, "f32");
  EXPECT_EQ(a->offset % 32, 0u);
  EXPECT_EQ(reinterpret_cast<const float*>(a->data)[7], 8.0f);
  EXPECT_EQ(reinterpret_cast<const float*>(f.find_tensor("b")->data)[0], 9.0f);
  EXPECT_EQ(f.find_tensor("c"), nullptr);
}

TEST(GgufFile, ReadsVersion2) {
  const std::string bytes = small_file(2).bytes();
  EXPECT_EQ(parse(bytes).version(), 2u);
}

TEST(GgufFile, HonoursGeneralAlignment) {
  TestGgufBuilder w;
  w.alignment(64).kv_u32("general.alignment", 64);
  w.tensor("a", {8}, 0, TestGgufBuilder::floats({1, 2, 3, 4, 5, 6, 7, 8}));
  w.tensor("b", {2}, 0, TestGgufBuilder::floats({1, 2}));
  const std::string bytes = w.bytes();
  const GgufFile f = parse(bytes);
  EXPECT_EQ(f.alignment(), 64u);
  EXPECT_EQ(f.find_tensor("a")->offset % 64, 0u);
  EXPECT_EQ(f.find_tensor("b")->offset - f.find_tensor("a")->offset, 64u);
}

TEST(GgufFile, SizesQuantizedTensors) {
  TestGgufBuilder w;
  w.tensor("q", {64, 3}, 8, std::string(2 * 34 * 3, '\0'));  // q8_0: 34 bytes per 32
  w.tensor("k", {256}, 12, std::string(144, '\0'));          // q4_K: 144 bytes per 256
  const std::string bytes = w.bytes();
  const GgufFile f = parse(bytes);
  EXPECT_EQ(f.find_tensor("q")->bytes, 204u);
  EXPECT_EQ(f.find_tensor("k")->layout.name, "q4_K");
}

TEST(GgufFile, WrongTypeAndMissingKeysAreClearErrors) {
  const std::string bytes = small_file().bytes();
  const GgufFile f = parse(bytes);
  EXPECT_THROW(f.get<std::string_view>("u32"), Error);
  EXPECT_THROW(f.get<std::uint64_t>("i32"), Error);  // negative
  EXPECT_THROW(f.get<std::uint64_t>("absent"), Error);
  try {
    f.get<std::vector<std::string_view>>("floats");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("'floats' is array of f32"), std::string::npos)
        << e.what();
  }
  try {
    f.get<std::uint64_t>("llama.block_count");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("required metadata 'llama.block_count' is missing"),
              std::string::npos)
        << e.what();
  }
}

TEST(GgufFile, BadMagicAndVersions) {
  std::string bytes = small_file().bytes();
  expect_error("GGUG" + bytes.substr(4), "bad magic");
  expect_error("", "truncated");
  expect_error("GGU", "truncated");
  expect_error(TestGgufBuilder(7).bytes(), "unknown GGUF version 7");
  expect_error(TestGgufBuilder(0).bytes(), "unknown GGUF version 0");
  expect_error(TestGgufBuilder(1).bytes(), "version 1", ErrorCode::unsupported);
  expect_error(TestGgufBuilder(0x03000000).bytes(), "big-endian", ErrorCode::unsupported);
}

TEST(GgufFile, EveryTruncationIsAnError) {
  const std::string bytes = small_file().bytes();
  for (std::size_t size = 0; size < bytes.size(); ++size) {
    SCOPED_TRACE(size);
    EXPECT_THROW(parse(bytes.substr(0, size)), Error);
  }
}

TEST(GgufFile, AbsurdCounts) {
  const std::string header = "GGUF" + TestGgufBuilder::encode<std::uint32_t>(3);
  expect_error(header + TestGgufBuilder::encode<std::uint64_t>(0) +
                   TestGgufBuilder::encode<std::uint64_t>(~0ull),
               "metadata pairs cannot fit");
  expect_error(header + TestGgufBuilder::encode<std::uint64_t>(1ull << 62) +
                   TestGgufBuilder::encode<std::uint64_t>(0),
               "tensor infos cannot fit");
  expect_error(
      TestGgufBuilder().kv_raw("big", 9, TestGgufBuilder::array(4, 1ull << 61, "")).bytes(),
      "cannot fit");
  // A count that overflows when multiplied by the element size.
  expect_error(
      TestGgufBuilder().kv_raw("big", 9, TestGgufBuilder::array(10, ~0ull / 4, "")).bytes(),
      "cannot fit");
}

TEST(GgufFile, StringLongerThanTheFile) {
  expect_error(TestGgufBuilder()
                   .kv_raw("s", 8, TestGgufBuilder::encode<std::uint64_t>(1000) + "abc")
                   .bytes(),
               "truncated");
  expect_error(
      TestGgufBuilder().kv_raw("s", 8, TestGgufBuilder::encode<std::uint64_t>(~0ull)).bytes(),
      "truncated");
  // The key itself.
  expect_error("GGUF" + TestGgufBuilder::encode<std::uint32_t>(3) +
                   TestGgufBuilder::encode<std::uint64_t>(0) +
                   TestGgufBuilder::encode<std::uint64_t>(1) +
                   TestGgufBuilder::encode<std::uint64_t>(1ull << 63) + std::string(20, 'x'),
               "truncated");
}

TEST(GgufFile, BadMetadata) {
  expect_error(TestGgufBuilder().kv_raw("x", 13, "").bytes(), "unknown metadata value type 13");
  expect_error(TestGgufBuilder().kv_raw("x", 9, TestGgufBuilder::array(99, 0, "")).bytes(),
               "unknown metadata value type 99");
  expect_error(TestGgufBuilder().kv_raw("b", 7, "\x02").bytes(), "bool of value 2");
  expect_error(TestGgufBuilder()
                   .kv_raw("b", 9, TestGgufBuilder::array(7, 2, std::string("\x01\x05", 2)))
                   .bytes(),
               "bool of value 5");
  expect_error(TestGgufBuilder().kv_u32("k", 1).kv_u32("k", 2).bytes(), "'k' is defined twice");
  expect_error(TestGgufBuilder().kv_u32(std::string(70000, 'k'), 1).bytes(), "70000 bytes long");
  // Arrays nested 100 deep: refused before the recursion gets deep.
  std::string nested;
  for (int i = 0; i < 100; ++i)
    nested += TestGgufBuilder::encode<std::uint32_t>(9) + TestGgufBuilder::encode<std::uint64_t>(1);
  expect_error(TestGgufBuilder().kv_raw("deep", 9, nested).bytes(), "deeper than");
}

TEST(GgufFile, BadAlignment) {
  for (const std::uint32_t a : {0u, 4u, 48u, 1u << 30}) {
    SCOPED_TRACE(a);
    expect_error(TestGgufBuilder().kv_u32("general.alignment", a).bytes(), "general.alignment is");
  }
  expect_error(TestGgufBuilder().kv_string("general.alignment", "32").bytes(),
               "general.alignment is string");
}

TEST(GgufFile, BadTensorInfos) {
  const std::string four = TestGgufBuilder::floats({1, 2, 3, 4});
  expect_error(TestGgufBuilder().tensor("t", {4}, 0, four).tensor("t", {4}, 0, four).bytes(),
               "'t' is listed twice");
  expect_error(TestGgufBuilder().tensor("t", {4}, 4, four).bytes(), "unknown type 4");
  expect_error(TestGgufBuilder().tensor("t", {4}, 1000, four).bytes(), "unknown type 1000");
  expect_error(TestGgufBuilder().tensor("t", {}, 0, four).bytes(), "0 dimensions");
  expect_error(TestGgufBuilder().tensor("t", {1, 1, 1, 1, 1}, 0, four).bytes(), "5 dimensions");
  expect_error(TestGgufBuilder().tensor("t", {4, 0}, 0, four).bytes(), "absurd dimension 1 = 0");
  expect_error(TestGgufBuilder().tensor("t", {1ull << 40, 1ull << 40}, 0, four).bytes(),
               "absurd dimension");
  expect_error(TestGgufBuilder().tensor(std::string(65, 'n'), {4}, 0, four).bytes(), "name of 65");
  expect_error(TestGgufBuilder().tensor("t", {33}, 8, std::string(68, '\0')).bytes(),
               "not whole q8_0 blocks");
}

TEST(GgufFile, TensorsPastTheEndOverlappingOrMisaligned) {
  const std::string eight = TestGgufBuilder::floats({1, 2, 3, 4, 5, 6, 7, 8});
  const std::string bytes = TestGgufBuilder().tensor("t", {8}, 0, eight).bytes();
  expect_error(bytes.substr(0, bytes.size() - 4), "runs past the end");
  expect_error(
      TestGgufBuilder().tensor("a", {8}, 0, eight).tensor_info("t", {4}, 0, 1ull << 40).bytes(),
      "tensor 't' (16 bytes at data offset 1099511627776) runs past the end");
  // An offset near 2^64: offset + size must not wrap around.
  expect_error(
      TestGgufBuilder().tensor("a", {8}, 0, eight).tensor_info("t", {4}, 0, ~0ull & ~31ull).bytes(),
      "runs past the end");
  expect_error(
      TestGgufBuilder().tensor("a", {16}, 0, eight + eight).tensor_info("b", {4}, 0, 32).bytes(),
      "tensors 'a' and 'b' overlap");
  expect_error(TestGgufBuilder().tensor("a", {8}, 0, eight).tensor_info("b", {8}, 0, 0).bytes(),
               "tensors 'a' and 'b' overlap");
  expect_error(TestGgufBuilder().tensor_info("t", {4}, 0, 8).bytes(),
               "not a multiple of the alignment 32");
  // The infos end where the file does: no room even for the padding before the data.
  const std::string infos_only = TestGgufBuilder().tensor_info("t", {4}, 0, 0).bytes();
  expect_error(infos_only.substr(0, infos_only.size() - 1), "past the end of the file");
}

// Random byte damage to a valid file: each result parses or throws engine::Error, nothing else.
TEST(GgufFile, RandomCorruptionNeverCrashes) {
  const std::string valid = small_file().bytes();
  std::mt19937 rng(1234);
  for (int round = 0; round < 3000; ++round) {
    std::string bytes = valid;
    const int flips = 1 + static_cast<int>(rng() % 4);
    for (int i = 0; i < flips; ++i)
      bytes[rng() % bytes.size()] = static_cast<char>(rng() % 4 == 0 ? 0xFF : rng());
    try {
      parse(bytes);
    } catch (const Error&) {
    }
  }
}

TEST(GgufFile, Magic) {
  EXPECT_TRUE(has_gguf_magic(span_of("GGUF")));
  EXPECT_FALSE(has_gguf_magic(span_of("GGU")));
  EXPECT_FALSE(has_gguf_magic(span_of("ak42")));
  EXPECT_FALSE(is_gguf_file("/nonexistent/file.gguf"));
}

}  // namespace
}  // namespace engine

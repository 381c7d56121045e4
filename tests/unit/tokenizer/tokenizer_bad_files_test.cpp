// Malformed tokenizer files: truncated, corrupted or random bytes must give an engine::Error that
// names the file and the problem, never a crash or an out-of-bounds read (run under ASan too).
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "engine/error.hpp"
#include "engine/tokenizer.hpp"
#include "test_paths.hpp"

namespace engine {
namespace {

namespace fs = std::filesystem;

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

void put_i32(std::string& bytes, std::size_t offset, std::int32_t value) {
  std::memcpy(bytes.data() + offset, &value, sizeof value);
}

// Offsets where each token of a tokenizer.bin starts, plus the end of the file.
std::vector<std::size_t> llama2c_token_offsets(const std::string& bytes) {
  std::vector<std::size_t> offsets;
  for (std::size_t offset = 4; offset < bytes.size();) {
    offsets.push_back(offset);
    std::int32_t length;
    std::memcpy(&length, bytes.data() + offset + 4, sizeof length);
    offset += 8 + length;
  }
  offsets.push_back(bytes.size());
  return offsets;
}

class TokenizerBadFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* test = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() /
           ("engine_tokenizer_" + std::to_string(::getpid()) + "_" + test->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string write(const std::string& name, std::string_view bytes) const {
    const std::string path = (dir_ / name).string();
    std::ofstream(path, std::ios::binary).write(bytes.data(), bytes.size());
    return path;
  }

  // The error message is "<path>: <problem>".
  static void expect_load_error(const std::string& path, std::string_view problem,
                                ErrorCode code = ErrorCode::bad_format) {
    try {
      load_tokenizer(path);
      ADD_FAILURE() << path << " loaded, expected: " << problem;
    } catch (const Error& e) {
      const std::string message = e.what();
      EXPECT_EQ(e.code(), code) << message;
      EXPECT_TRUE(message.starts_with(path + ": ")) << message;
      EXPECT_NE(message.find(problem), std::string::npos) << message;
    }
  }

  // Loads, or fails with an engine::Error naming the file: nothing else is acceptable.
  static bool loads(const std::string& path) {
    try {
      load_tokenizer(path);
      return true;
    } catch (const Error& e) {
      EXPECT_TRUE(std::string(e.what()).starts_with(path + ": ")) << e.what();
      return false;
    }
  }

  fs::path dir_;
};

TEST_F(TokenizerBadFiles, MissingFileIsAnIoError) {
  expect_load_error((dir_ / "absent.bin").string(), "cannot open", ErrorCode::io);
}

TEST_F(TokenizerBadFiles, EmptyFile) {
  expect_load_error(write("empty.bin", ""), "empty file");
}

TEST_F(TokenizerBadFiles, TruncatedTokenizerBinHeader) {
  const std::string real = read_file(test::require_model("tokenizer.bin"));
  expect_load_error(write("t3.bin", real.substr(0, 3)), "too short for a llama2.c tokenizer.bin");
  expect_load_error(write("t4.bin", real.substr(0, 4)), "only 0 tokens");
  expect_load_error(write("t6.bin", real.substr(0, 6)),
                    "truncated at token 0: 2 bytes left of its 8-byte header");
  expect_load_error(write("t14.bin", real.substr(0, 14)),
                    "truncated at token 0: 2 of its 5 bytes present");
}

TEST_F(TokenizerBadFiles, TruncatedTokenizerBinNamesTheToken) {
  const std::string real = read_file(test::require_model("tokenizer.bin"));
  const std::vector<std::size_t> offsets = llama2c_token_offsets(real);
  expect_load_error(write("cut17.bin", real.substr(0, offsets[17] + 9)), "truncated at token 17");
  expect_load_error(write("cut31999.bin", real.substr(0, real.size() - 1)),
                    "truncated at token 31999");
}

// A prefix ending exactly between tokens is a valid, smaller vocabulary; any other cut fails.
TEST_F(TokenizerBadFiles, EveryPrefixOfTokenizerBinLoadsOnlyAtTokenBoundaries) {
  const std::string real = read_file(test::require_model("tokenizer.bin"));
  const std::vector<std::size_t> offsets = llama2c_token_offsets(real);
  const std::set<std::size_t> valid_ends(offsets.begin() + 3, offsets.end());
  for (std::size_t size = 1; size < 700; ++size) {
    EXPECT_EQ(loads(write("prefix.bin", real.substr(0, size))), valid_ends.contains(size)) << size;
  }
}

TEST_F(TokenizerBadFiles, BadLengthsInTokenizerBin) {
  const std::string real = read_file(test::require_model("tokenizer.bin"));
  const std::size_t length17 = llama2c_token_offsets(real)[17] + 4;
  std::string bytes = real;
  put_i32(bytes, length17, -5);
  expect_load_error(write("negative.bin", bytes),
                    "token 17 has length -5, outside [1, max_token_length 27]");
  put_i32(bytes, length17, 0x7FFFFFFF);
  expect_load_error(write("huge.bin", bytes), "token 17 has length 2147483647");
  bytes = real;
  put_i32(bytes, 0, -1);
  expect_load_error(write("max.bin", bytes), "max_token_length -1 is out of range");
}

TEST_F(TokenizerBadFiles, RandomBytes) {
  std::mt19937 rng(1234);
  for (int i = 0; i < 200; ++i) {
    std::string bytes(1 + rng() % 2048, '\0');
    for (char& c : bytes) c = static_cast<char>(rng());
    if (i % 2 == 0) bytes[0] = 0x0a;  // half of them take the .model path
    const std::string path = write("random" + std::to_string(i), bytes);
    EXPECT_FALSE(loads(path)) << path;
  }
}

TEST_F(TokenizerBadFiles, TruncatedModel) {
  const std::string real = read_file(test::require_model("tok512.model"));
  expect_load_error(write("half.model", real.substr(0, real.size() / 2)), "field 1 claims");
  // Cut inside the first piece's string.
  expect_load_error(write("piece.model", real.substr(0, 7)),
                    "field 1 claims 14 bytes, only 5 left");
  // Without TrainerSpec the model type defaults to unigram.
  expect_load_error(write("pieces_only.model", real.substr(0, real.find("\x12\xbf\x01"))),
                    "model_type 1 is not BPE", ErrorCode::unsupported);
}

// A prefix may end between fields and still parse; it must never crash or read out of bounds.
// Every cut near the start and the end (pieces, specs), every 5th byte between (more pieces).
TEST_F(TokenizerBadFiles, EveryPrefixOfModelLoadsOrFailsCleanly) {
  const std::string real = read_file(test::require_model("tok512.model"));
  for (std::size_t size = 1; size < real.size();
       size += size < 300 || size > real.size() - 300 ? 1 : 5)
    loads(write("prefix.model", real.substr(0, size)));
}

TEST_F(TokenizerBadFiles, CorruptModel) {
  const std::string real = read_file(test::require_model("tok512.model"));
  ASSERT_EQ(real.substr(0, 16), std::string("\x0a\x0e\x0a\x05<unk>\x15\0\0\0\0\x18\x02", 16));
  std::string bytes = real;
  bytes[15] = 9;  // the type of <unk>
  expect_load_error(write("type.model", bytes), "piece 0 has unknown type 9");
  bytes = real;
  bytes[3] = 0x7f;  // the length of "<unk>"
  expect_load_error(write("length.model", bytes), "field 1 claims 127 bytes, only 12 left");
  expect_load_error(write("varint.model", real + "\x80"), "truncated varint");
  expect_load_error(write("group.model", real + "\x0b"), "field 1 has unsupported wire type 3");
  bytes = real;
  bytes[9] = 0x0d;  // the score of <unk> as fixed32 -> field 1 of wire type 5
  expect_load_error(write("wiretype.model", bytes),
                    "field 1 is fixed32, expected length-delimited");
}

}  // namespace
}  // namespace engine

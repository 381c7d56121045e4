// A file's bytes in memory, mapped from the page cache; a missing file or a directory is one
// clear io error.
#include "util/mapped_file.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <string>
#include <vector>

#include "expect_engine_error.hpp"

namespace engine {
namespace {

// A file of `bytes` pseudo-random bytes in the test's temporary directory.
struct TempFile {
  std::string path;
  std::vector<std::uint8_t> bytes;
  TempFile(const std::string& name, std::size_t size) : path(testing::TempDir() + name) {
    bytes.resize(size);
    std::uint32_t state = 12345;
    for (std::uint8_t& b : bytes)
      b = static_cast<std::uint8_t>((state = state * 1664525u + 1013904223u) >> 24);
    std::ofstream(path, std::ios::binary)
        .write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(size));
  }
  ~TempFile() { ::unlink(path.c_str()); }
};

TEST(MappedFile, HoldsTheFilesBytes) {
  // Empty, smaller than a page, and past one huge page by an odd amount.
  for (std::size_t size : {std::size_t{0}, std::size_t{1000}, std::size_t{(2u << 20) + 4099}}) {
    const TempFile file("mapped_file_test.bin", size);
    const MappedFile mapped(file.path);
    ASSERT_EQ(mapped.size(), size);
    EXPECT_EQ(mapped.path(), file.path);
    if (size == 0) continue;
    ASSERT_NE(mapped.data(), nullptr);
    EXPECT_TRUE(std::equal(file.bytes.begin(), file.bytes.end(), mapped.data())) << size;
  }
}

// Released pages (whole pages inside the range, ranges past the file clipped) read back as the
// file's bytes.
TEST(MappedFile, ReleasedBytesReadBackTheSame) {
  const TempFile file("mapped_file_release.bin", 5 * 4096 + 77);
  const MappedFile mapped(file.path);
  mapped.release(mapped.data() + 100, 3 * 4096);
  mapped.release(mapped.data() + 4 * 4096, 1 << 20);
  mapped.release(mapped.data(), 10);  // no whole page: nothing
  EXPECT_TRUE(std::equal(file.bytes.begin(), file.bytes.end(), mapped.data()));
}

TEST(MappedFile, MissingFileOrDirectoryIsAnIoError) {
  test::expect_engine_error([&] { MappedFile("/nonexistent/model.bin"); }, ErrorCode::io,
                            {"/nonexistent/model.bin", "cannot open"});
  test::expect_engine_error([&] { MappedFile{testing::TempDir()}; }, ErrorCode::io,
                            {"not a regular file"});
}

}  // namespace
}  // namespace engine

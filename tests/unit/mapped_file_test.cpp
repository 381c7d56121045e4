// A file's bytes in memory: mapped from the page cache or read into huge pages, the same bytes
// either way; a missing file or a directory is one clear io error.
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

TEST(MappedFile, BothBackingsHoldTheFilesBytes) {
  // Empty, smaller than a page, and past one huge page by an odd amount.
  for (std::size_t size : {std::size_t{0}, std::size_t{1000}, HugePageBuffer::kAlignment + 4099}) {
    const TempFile file("mapped_file_test.bin", size);
    for (FileBacking backing : {FileBacking::page_cache, FileBacking::huge_pages}) {
      const MappedFile mapped(file.path, backing);
      ASSERT_EQ(mapped.size(), size);
      EXPECT_EQ(mapped.path(), file.path);
      if (size == 0) continue;
      ASSERT_NE(mapped.data(), nullptr);
      EXPECT_TRUE(std::equal(file.bytes.begin(), file.bytes.end(), mapped.data()))
          << size << " bytes, backing " << static_cast<int>(backing);
    }
  }
}

TEST(MappedFile, MissingFileOrDirectoryIsAnIoError) {
  for (FileBacking backing : {FileBacking::page_cache, FileBacking::huge_pages}) {
    test::expect_engine_error([&] { MappedFile("/nonexistent/model.bin", backing); }, ErrorCode::io,
                              {"/nonexistent/model.bin", "cannot open"});
    test::expect_engine_error([&] { MappedFile(testing::TempDir(), backing); }, ErrorCode::io,
                              {"not a regular file"});
  }
}

}  // namespace
}  // namespace engine

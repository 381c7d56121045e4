// engine mask: the numpy-style matrix on stdout for every kind, titled --png pictures, and
// one-line errors.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "cli/render/heatmap.hpp"
#include "cli/run_cli.hpp"
#include "decoded_png.hpp"
#include "engine/attention/mask.hpp"

namespace engine::test {
namespace {

TEST(MaskCommand, CausalPrintsLikeNumpy) {
  const CliResult r = run_cli("mask --kind causal --size 3");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "[[1 0 0]\n [1 1 0]\n [1 1 1]]\n");
}

TEST(MaskCommand, TriuTakesK) {
  EXPECT_EQ(run_cli("mask --kind triu --size 3").out, "[[1 1 1]\n [0 1 1]\n [0 0 1]]\n");
  EXPECT_EQ(run_cli("mask --kind triu --size 3 --k 1").out, "[[0 1 1]\n [0 0 1]\n [0 0 0]]\n");
  EXPECT_EQ(run_cli("mask --kind triu --size 3 --k -1").out, "[[1 1 1]\n [1 1 1]\n [0 1 1]]\n");
}

TEST(MaskCommand, Window) {
  const CliResult r = run_cli("mask --kind window --size 4 --window 2");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "[[1 0 0 0]\n [1 1 0 0]\n [0 1 1 0]\n [0 0 1 1]]\n");
}

TEST(MaskCommand, Prefix) {
  const CliResult r = run_cli("mask --kind prefix --size 4 --prefix 2");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "[[1 1 0 0]\n [1 1 0 0]\n [1 1 1 0]\n [1 1 1 1]]\n");
}

TEST(MaskCommand, PaddingPrintsOneMatrixPerSequenceAs3D) {
  const CliResult r = run_cli("mask --kind padding --size 3 --lengths 2,3");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out,
            "[[[0 0 0]\n  [0 1 1]\n  [0 1 1]]\n\n"
            " [[1 1 1]\n  [1 1 1]\n  [1 1 1]]]\n");
}

/// The picture write_heatmap_png draws of `mask` under `title`, decoded.
DecodedPng library_picture(const Mask& mask, const std::string& title) {
  const auto path = std::filesystem::temp_directory_path() /
                    ("engine_mask_reference_" + std::to_string(::getpid()) + ".png");
  write_heatmap_png(path.string(), mask, title);
  DecodedPng png = read_png(path.string());
  std::filesystem::remove(path);
  return png;
}

// The PNG is the library's picture of the same mask, titled with the kind and its parameters.
TEST(MaskCommand, PngWritesATitledHeatmap) {
  const auto dir = std::filesystem::temp_directory_path();
  const auto png = dir / ("engine_mask_" + std::to_string(::getpid()) + ".png");
  const CliResult r =
      run_cli("mask --kind window --size 4 --window 2 --png " + quote(png.string()));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "[[1 0 0 0]\n [1 1 0 0]\n [0 1 1 0]\n [0 0 1 1]]\n");
  const DecodedPng drawn = read_png(png.string());
  std::filesystem::remove(png);
  const DecodedPng expected =
      library_picture(sliding_window_mask(4, 2), "sliding window 2, size 4");
  EXPECT_EQ(drawn.width, expected.width);
  EXPECT_EQ(drawn.height, expected.height);
  EXPECT_TRUE(drawn.rgb == expected.rgb);
  EXPECT_FALSE(drawn.rgb == library_picture(sliding_window_mask(4, 2), "").rgb);
}

TEST(MaskCommand, PngForAPaddedBatchWritesOnePerSequence) {
  const auto dir = std::filesystem::temp_directory_path();
  const std::string stem = "engine_mask_batch_" + std::to_string(::getpid());
  const CliResult r = run_cli("mask --kind padding --size 4 --lengths 1,4 --png " +
                              quote((dir / (stem + ".png")).string()));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const int lengths[] = {1, 4};
  for (int i = 0; i < 2; ++i) {
    const auto png = dir / (stem + "-" + std::to_string(i) + ".png");
    const std::string title = "padding, sequence " + std::to_string(i) + ": " +
                              std::to_string(lengths[i]) + " of 4 valid";
    EXPECT_TRUE(read_png(png.string()).rgb ==
                library_picture(padding_mask(lengths[i], 4), title).rgb)
        << png;
    std::filesystem::remove(png);
  }
}

TEST(MaskCommand, ErrorsAreOneLineAndNonZero) {
  const char* bad[] = {
      "mask --kind causal --size 0",
      "mask --kind causal --size -2",
      "mask --kind causal --size 5000",
      "mask --kind window --size 4",
      "mask --kind window --size 4 --window 0",
      "mask --kind frobnicate --size 4",
      "mask --kind padding --size 4",
      "mask --kind padding --size 4 --lengths 5",
      "mask --kind causal --size 4 --window 2",
      "mask --kind causal --size 2 --png /nonexistent-dir/m.png",
  };
  for (const char* args : bad) {
    const CliResult r = run_cli(args);
    EXPECT_NE(r.exit_code, 0) << args;
    EXPECT_EQ(r.err.rfind("engine: error: ", 0), 0u) << args << ": " << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << args << ": " << r.err;
  }
  EXPECT_NE(run_cli("mask --kind frobnicate --size 4").err.find("unknown mask kind 'frobnicate'"),
            std::string::npos);
  EXPECT_NE(run_cli("mask --kind window --size 4").err.find("--kind window needs --window"),
            std::string::npos);
}

}  // namespace
}  // namespace engine::test

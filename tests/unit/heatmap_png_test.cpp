// Heatmap PNGs read back with libpng: a decodable PNG of the layout's size whose cells have the
// ramp's colours (masked = near-white, may attend = strong blue), plus the layout and ramp rules.
#include <png.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <limits>
#include <vector>

#include "engine/attention/mask.hpp"
#include "engine/error.hpp"
#include "engine/render/heatmap.hpp"

namespace engine {
namespace {

struct DecodedPng {
  int width = 0;
  int height = 0;
  std::vector<std::uint8_t> rgb;
  Rgb at(int x, int y) const {
    const std::size_t i = (static_cast<std::size_t>(y) * width + x) * 3;
    return {rgb[i], rgb[i + 1], rgb[i + 2]};
  }
};

/// Decodes an RGB PNG with libpng's simplified API; fails the test when it cannot.
DecodedPng read_png(const std::string& path) {
  png_image image{};
  image.version = PNG_IMAGE_VERSION;
  DecodedPng png;
  if (!png_image_begin_read_from_file(&image, path.c_str())) {
    ADD_FAILURE() << path << ": " << image.message;
    return png;
  }
  image.format = PNG_FORMAT_RGB;
  png.width = static_cast<int>(image.width);
  png.height = static_cast<int>(image.height);
  png.rgb.resize(PNG_IMAGE_SIZE(image));
  if (!png_image_finish_read(&image, nullptr, png.rgb.data(), 0, nullptr))
    ADD_FAILURE() << path << ": " << image.message;
  return png;
}

std::string temp_png(const std::string& name) {
  return (std::filesystem::temp_directory_path() /
          (name + "_" + std::to_string(::getpid()) + ".png"))
      .string();
}

TEST(HeatmapPng, CausalMaskCellsHaveTheirColours) {
  const std::string path = temp_png("heatmap_causal");
  const Mask mask = subsequent_mask(4);
  write_heatmap_png(path, mask);
  const DecodedPng png = read_png(path);
  std::filesystem::remove(path);

  const HeatmapLayout l = heatmap_layout(4, 4);
  ASSERT_EQ(png.width, l.width);
  ASSERT_EQ(png.height, l.height);
  ASSERT_GE(l.cell, 12);  // readable: a small mask gets big cells
  for (int r = 0; r < 4; ++r)
    for (int c = 0; c < 4; ++c) {
      const Rgb centre =
          png.at(l.grid_x + c * l.cell + l.cell / 2, l.grid_y + r * l.cell + l.cell / 2);
      EXPECT_EQ(centre, heatmap_colour(mask.at(r, c))) << "cell " << r << ", " << c;
    }
}

TEST(HeatmapPng, ProbabilitiesUseTheRamp) {
  const std::string path = temp_png("heatmap_probabilities");
  const std::vector<float> values = {0.0f, 0.25f, 0.5f, 0.75f, 1.0f, 0.1f};
  write_heatmap_png(path, values, 2, 3);
  const DecodedPng png = read_png(path);
  std::filesystem::remove(path);

  const HeatmapLayout l = heatmap_layout(2, 3);
  ASSERT_EQ(png.width, l.width);
  for (int i = 0; i < 6; ++i) {
    const int r = i / 3, c = i % 3;
    EXPECT_EQ(png.at(l.grid_x + c * l.cell + l.cell / 2, l.grid_y + r * l.cell + l.cell / 2),
              heatmap_colour(values[i]))
        << "value " << values[i];
  }
}

TEST(HeatmapPng, RampRunsFromNearWhiteToStrongBlue) {
  const Rgb zero = heatmap_colour(0.0f), one = heatmap_colour(1.0f);
  EXPECT_GE(std::min({zero.r, zero.g, zero.b}), 240);  // masked reads as background
  EXPECT_LT(one.r + one.g, 100);                       // may attend: dark...
  EXPECT_GT(one.b, one.r + 50);                        // ...and blue
  // Darker as the value grows, and clamped outside [0, 1].
  int previous = 3 * 255 + 1;
  for (float v = 0.0f; v <= 1.0f; v += 0.05f) {
    const Rgb c = heatmap_colour(v);
    const int brightness = c.r + c.g + c.b;
    EXPECT_LT(brightness, previous) << v;
    previous = brightness;
  }
  EXPECT_EQ(heatmap_colour(-2.0f), zero);
  EXPECT_EQ(heatmap_colour(7.0f), one);
  EXPECT_THROW(heatmap_colour(std::numeric_limits<float>::quiet_NaN()), Error);
}

TEST(HeatmapPng, LayoutStaysReadableAndBounded) {
  const HeatmapLayout small = heatmap_layout(64, 64);
  EXPECT_GE(small.cell, 12);
  EXPECT_EQ(small.row_label_step, 1);
  EXPECT_LE(small.width, 1200);
  const HeatmapLayout big = heatmap_layout(512, 512);
  EXPECT_GE(big.cell, 1);
  EXPECT_LE(big.width, 1200);
  EXPECT_LE(big.height, 1200);
  EXPECT_GT(big.col_label_step, 1);  // labels thinned out so they do not overlap
  const HeatmapLayout wide = heatmap_layout(1, 300);
  EXPECT_LE(wide.width, 1200);
  EXPECT_THROW(heatmap_layout(0, 4), Error);
}

TEST(HeatmapPng, RejectsBadInput) {
  const std::string path = temp_png("heatmap_bad");
  EXPECT_THROW(write_heatmap_png(path, std::vector<float>(5, 0.0f), 2, 3), Error);
  EXPECT_THROW(write_heatmap_png(
                   path, std::vector<float>{0.0f, std::numeric_limits<float>::quiet_NaN()}, 1, 2),
               Error);
  try {
    write_heatmap_png("/nonexistent-dir/heatmap.png", subsequent_mask(2));
    ADD_FAILURE() << "no error for an unwritable path";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::io);
  }
  EXPECT_FALSE(std::filesystem::exists(path));
}

}  // namespace
}  // namespace engine

// Heatmap PNGs read back with libpng: a decodable PNG of the layout's size whose cells have the
// ramp's colours (masked cells the masked grey), with a title, a colour bar running down the
// ramp, log and per-row scales, and token labels where the cells fit them.
#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>
#include <string>
#include <vector>

#include "decoded_png.hpp"
#include "engine/attention/mask.hpp"
#include "engine/error.hpp"
#include "engine/render/heatmap.hpp"

namespace engine {
namespace {

using test::DecodedPng;
using test::read_png;

constexpr Rgb kWhite{255, 255, 255};

std::string temp_png(const std::string& name) {
  return (std::filesystem::temp_directory_path() /
          (name + "_" + std::to_string(::getpid()) + ".png"))
      .string();
}

/// Writes `values` with `style` and reads the picture back.
DecodedPng drawn(const std::vector<float>& values, int rows, int cols,
                 const HeatmapStyle& style = {}) {
  const std::string path = temp_png("heatmap");
  write_heatmap_png(path, values, rows, cols, style);
  DecodedPng png = read_png(path);
  std::filesystem::remove(path);
  return png;
}

Rgb cell_centre(const DecodedPng& png, const HeatmapLayout& l, int r, int c) {
  return png.at(l.grid_x + c * l.cell + l.cell / 2, l.grid_y + r * l.cell + l.cell / 2);
}

int brightness(Rgb c) {
  return c.r + c.g + c.b;
}

TEST(HeatmapPng, MaskPictureHasBlueAllowedAndGreyMaskedCells) {
  const std::string path = temp_png("heatmap_causal");
  const Mask mask = subsequent_mask(4);
  write_heatmap_png(path, mask, "causal, size 4");
  const DecodedPng png = read_png(path);
  std::filesystem::remove(path);

  HeatmapStyle style;
  style.title = "causal, size 4";
  style.mask = &mask;
  const HeatmapLayout l = heatmap_layout(4, 4, style, true);
  ASSERT_EQ(png.width, l.width);
  ASSERT_EQ(png.height, l.height);
  ASSERT_GE(l.cell, 12);  // readable: a small mask gets big cells
  // The masked grey is off the ramp: it is neither "0" nor any other value's colour.
  for (float v = 0.0f; v <= 1.0f; v += 0.01f) ASSERT_NE(heatmap_colour(v), kHeatmapMaskedColour);
  for (int r = 0; r < 4; ++r)
    for (int c = 0; c < 4; ++c)
      EXPECT_EQ(cell_centre(png, l, r, c), c <= r ? heatmap_colour(1.0f) : kHeatmapMaskedColour)
          << "cell " << r << ", " << c;
  // The legend: a swatch of each colour, no colour bar.
  EXPECT_EQ(l.bar_height, 0);
  const int swatch = l.bar_x + l.bar_width / 2;
  EXPECT_EQ(png.at(swatch, l.swatches_y + l.bar_width / 2), heatmap_colour(1.0f));
  EXPECT_EQ(png.at(swatch, l.swatches_y + l.bar_width * 3 / 2 + 6), kHeatmapMaskedColour);
}

TEST(HeatmapPng, ProbabilitiesUseTheRamp) {
  const std::vector<float> values = {0.0f, 0.25f, 0.5f, 0.75f, 1.0f, 0.1f};
  const DecodedPng png = drawn(values, 2, 3);
  const HeatmapLayout l = heatmap_layout(2, 3);
  ASSERT_EQ(png.width, l.width);
  for (int i = 0; i < 6; ++i)
    EXPECT_EQ(cell_centre(png, l, i / 3, i % 3), heatmap_colour(values[i])) << values[i];
}

TEST(HeatmapPng, RampRunsFromNearWhiteToStrongBlue) {
  const Rgb zero = heatmap_colour(0.0f), one = heatmap_colour(1.0f);
  EXPECT_GE(std::min({zero.r, zero.g, zero.b}), 240);  // 0 reads as background
  EXPECT_LT(one.r + one.g, 100);                       // 1: dark...
  EXPECT_GT(one.b, one.r + 50);                        // ...and blue
  // Darker as the value grows, and clamped outside [0, 1].
  int previous = 3 * 255 + 1;
  for (float v = 0.0f; v <= 1.0f; v += 0.05f) {
    EXPECT_LT(brightness(heatmap_colour(v)), previous) << v;
    previous = brightness(heatmap_colour(v));
  }
  EXPECT_EQ(heatmap_colour(-2.0f), zero);
  EXPECT_EQ(heatmap_colour(7.0f), one);
  EXPECT_THROW(heatmap_colour(std::numeric_limits<float>::quiet_NaN()), Error);
}

// A title takes a line above the picture (and widens it when it is the widest part); the
// colour bar sits right of the grid, inside the image.
TEST(HeatmapPng, TitleAndColourBarGrowTheImage) {
  const std::vector<float> values(9, 0.5f);
  HeatmapStyle titled;
  titled.title = "layer 12, heads averaged, prompt 3, log scale";
  const HeatmapLayout plain = heatmap_layout(3, 3), with_title = heatmap_layout(3, 3, titled);
  EXPECT_GE(with_title.height, plain.height + 10);
  EXPECT_GE(with_title.grid_y, plain.grid_y + 10);
  EXPECT_GE(with_title.width, 6 + 45 * 8 - 2);  // 45 glyphs of 6 px, 2 px apart
  EXPECT_GT(with_title.width, plain.width);

  const DecodedPng a = drawn(values, 3, 3), b = drawn(values, 3, 3, titled);
  ASSERT_EQ(b.width, with_title.width);
  ASSERT_EQ(b.height, with_title.height);
  // The title's band (above where the untitled picture starts its axis title) has ink only
  // when there is a title.
  EXPECT_GT(b.count_not(kWhite, 0, 0, b.width, 6 + 10), 100);
  EXPECT_EQ(a.count_not(kWhite, 0, 0, a.width, 6), 0);

  for (const HeatmapLayout& l : {plain, with_title}) {
    EXPECT_GT(l.bar_x, l.grid_x + 3 * l.cell);  // right of the grid
    EXPECT_LE(l.bar_x + l.bar_width, l.width);
    EXPECT_GE(l.bar_height, 3 * l.cell);
    EXPECT_LE(l.bar_y + l.bar_height, l.height);
  }
}

// Down the colour bar the colours run from 1's to 0's through the ramp, never back.
TEST(HeatmapPng, ColourBarRunsDownTheRamp) {
  for (HeatmapScale scale : {HeatmapScale::linear, HeatmapScale::log, HeatmapScale::row}) {
    HeatmapStyle style;
    style.scale = scale;
    const HeatmapLayout l = heatmap_layout(5, 5, style);
    const DecodedPng png = drawn(std::vector<float>(25, 0.0f), 5, 5, style);
    const int x = l.bar_x + l.bar_width / 2;
    EXPECT_EQ(png.at(x, l.bar_y), heatmap_colour(1.0f));
    EXPECT_EQ(png.at(x, l.bar_y + l.bar_height - 1), heatmap_colour(0.0f));
    for (int y = l.bar_y + 1; y < l.bar_y + l.bar_height; ++y) {
      ASSERT_GE(brightness(png.at(x, y)), brightness(png.at(x, y - 1))) << "bar row " << y;
      // Every row of the bar is one colour across.
      ASSERT_EQ(png.at(l.bar_x, y), png.at(l.bar_x + l.bar_width - 1, y));
    }
    // The scale's tick labels are to the right of the bar.
    EXPECT_GT(png.count_not(kWhite, l.bar_x + l.bar_width + 2, l.bar_y - 5, 40, l.bar_height + 10),
              50);
  }
}

// With a mask, a masked cell is grey whatever its value, and an allowed cell of 0 is the
// ramp's 0: "masked" and "never looked at" are told apart. The legend shows the grey.
TEST(HeatmapPng, MaskedCellsOfAValueMapHaveTheMaskedColour) {
  const Mask mask = subsequent_mask(3);
  HeatmapStyle style;
  style.mask = &mask;
  const std::vector<float> values = {1.0f, 0.7f, 0.7f,  //
                                     0.0f, 1.0f, 0.7f,  //
                                     0.5f, 0.0f, 0.5f};
  const DecodedPng png = drawn(values, 3, 3, style);
  const HeatmapLayout l = heatmap_layout(3, 3, style);
  EXPECT_EQ(cell_centre(png, l, 0, 1), kHeatmapMaskedColour);
  EXPECT_EQ(cell_centre(png, l, 1, 2), kHeatmapMaskedColour);
  EXPECT_EQ(cell_centre(png, l, 1, 0), heatmap_colour(0.0f));
  EXPECT_EQ(cell_centre(png, l, 2, 1), heatmap_colour(0.0f));
  EXPECT_EQ(cell_centre(png, l, 2, 2), heatmap_colour(0.5f));
  EXPECT_EQ(png.at(l.bar_x + l.bar_width / 2, l.swatches_y + l.bar_width / 2),
            kHeatmapMaskedColour);
  const Mask wrong = subsequent_mask(4);
  style.mask = &wrong;
  EXPECT_THROW(write_heatmap_png(temp_png("heatmap_wrong_mask"), values, 3, 3, style), Error);
}

// On the log scale (documented: 1e-4 at 0, 1 at 1, a decade a quarter of the ramp) a weight of
// 1e-3 sits a quarter up the ramp, visibly apart from 0; on the linear scale it looks like 0.
TEST(HeatmapPng, LogScaleShowsSmallProbabilities) {
  const std::vector<float> values = {1e-3f, 0.0f, 0.01f, 1.0f};
  HeatmapStyle log;
  log.scale = HeatmapScale::log;
  const HeatmapLayout l = heatmap_layout(1, 4, log);
  const DecodedPng linear_png = drawn(values, 1, 4), log_png = drawn(values, 1, 4, log);
  const Rgb small_linear = cell_centre(linear_png, l, 0, 0);
  const Rgb zero_linear = cell_centre(linear_png, l, 0, 1);
  EXPECT_LE(std::abs(brightness(small_linear) - brightness(zero_linear)), 3);

  const Rgb small = cell_centre(log_png, l, 0, 0), zero = cell_centre(log_png, l, 0, 1);
  EXPECT_EQ(zero, heatmap_colour(0.0f));
  EXPECT_EQ(small, heatmap_colour(0.25f));
  EXPECT_EQ(cell_centre(log_png, l, 0, 2), heatmap_colour(0.5f));
  EXPECT_EQ(cell_centre(log_png, l, 0, 3), heatmap_colour(1.0f));
  EXPECT_GE(brightness(zero) - brightness(small), 90);
}

// The per-row scale divides each row by its largest value: a flat row and a peaked one both
// reach the top of the ramp.
TEST(HeatmapPng, RowScaleStretchesEveryRow) {
  const std::vector<float> values = {0.01f, 0.02f, 0.04f,  //
                                     0.5f,  0.25f, 0.0f,   //
                                     0.0f,  0.0f,  0.0f};
  HeatmapStyle row;
  row.scale = HeatmapScale::row;
  const HeatmapLayout l = heatmap_layout(3, 3, row);
  const DecodedPng png = drawn(values, 3, 3, row);
  const float expected[] = {0.25f, 0.5f, 1.0f, 1.0f, 0.5f, 0.0f, 0.0f, 0.0f, 0.0f};
  for (int i = 0; i < 9; ++i)
    EXPECT_EQ(cell_centre(png, l, i / 3, i % 3), heatmap_colour(expected[i])) << "cell " << i;
}

std::vector<std::string> token_labels(int n) {
  std::vector<std::string> labels;
  for (int i = 0; i < n; ++i) labels.push_back(i % 2 ? "_upon" : "<s>");
  return labels;
}

// Token labels: every row and column with a label gets ink in the label margin beside it; a
// position with an empty label gets none.
TEST(HeatmapPng, TokenLabelsWhereTheyFit) {
  HeatmapStyle style;
  style.row_labels = style.column_labels = token_labels(8);
  style.row_labels[5] = style.column_labels[5] = "";
  const HeatmapLayout l = heatmap_layout(8, 8, style);
  ASSERT_TRUE(l.token_labels);
  EXPECT_GE(l.row_labels_width, 5 * 8 - 2);  // "_upon": 5 glyphs
  EXPECT_GE(l.column_labels_height, 5 * 8 - 2);
  const HeatmapLayout bare = heatmap_layout(8, 8);
  EXPECT_GE(l.grid_x, bare.grid_x + l.row_labels_width);
  EXPECT_GE(l.grid_y, bare.grid_y + l.column_labels_height);

  const DecodedPng png = drawn(std::vector<float>(64, 0.5f), 8, 8, style);
  for (int i = 0; i < 8; ++i) {
    const int row_ink =
        png.count_not(kWhite, l.row_labels_x, l.grid_y + i * l.cell, l.row_labels_width, l.cell);
    const int column_ink = png.count_not(kWhite, l.grid_x + i * l.cell, l.column_labels_y, l.cell,
                                         l.column_labels_height);
    if (i == 5) {
      EXPECT_EQ(row_ink, 0);
      EXPECT_EQ(column_ink, 0);
    } else {
      EXPECT_GT(row_ink, 20) << "row " << i;
      EXPECT_GT(column_ink, 20) << "column " << i;
    }
  }
}

// Too many tokens for a line of text per cell: no labels, and the picture is exactly the one
// drawn without them.
TEST(HeatmapPng, NoTokenLabelsWhenTooMany) {
  constexpr int n = 200;
  HeatmapStyle style;
  style.row_labels = style.column_labels = token_labels(n);
  const HeatmapLayout l = heatmap_layout(n, n, style);
  EXPECT_FALSE(l.token_labels);
  EXPECT_EQ(l.row_labels_width, 0);
  const std::vector<float> values(n * n, 0.3f);
  const DecodedPng labelled = drawn(values, n, n, style), bare = drawn(values, n, n);
  EXPECT_EQ(labelled.width, bare.width);
  EXPECT_EQ(labelled.height, bare.height);
  EXPECT_TRUE(labelled.rgb == bare.rgb);
}

TEST(HeatmapPng, LayoutStaysReadableAndBounded) {
  const HeatmapLayout small = heatmap_layout(64, 64);
  EXPECT_GE(small.cell, 12);
  EXPECT_EQ(small.row_label_step, 1);
  EXPECT_LE(small.width, 1250);
  const HeatmapLayout big = heatmap_layout(512, 512);
  EXPECT_GE(big.cell, 1);
  EXPECT_LE(big.width, 1250);
  EXPECT_LE(big.height, 1250);
  EXPECT_GT(big.col_label_step, 1);  // numbers thinned out so they do not overlap
  const HeatmapLayout wide = heatmap_layout(1, 300);
  EXPECT_LE(wide.width, 1250);
  EXPECT_THROW(heatmap_layout(0, 4), Error);
}

TEST(HeatmapPng, RejectsBadInput) {
  const std::string path = temp_png("heatmap_bad");
  EXPECT_THROW(write_heatmap_png(path, std::vector<float>(5, 0.0f), 2, 3), Error);
  EXPECT_THROW(write_heatmap_png(
                   path, std::vector<float>{0.0f, std::numeric_limits<float>::quiet_NaN()}, 1, 2),
               Error);
  HeatmapStyle style;
  style.row_labels = {"a", "b", "c"};  // 3 labels for 2 rows
  EXPECT_THROW(write_heatmap_png(path, std::vector<float>(6, 0.0f), 2, 3, style), Error);
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

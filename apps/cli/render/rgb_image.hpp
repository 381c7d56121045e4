// An 8-bit RGB raster with clipped rectangle fills, saved as PNG (libpng).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cli/render/heatmap.hpp"

namespace engine::render {

/// A width x height RGB image, row-major, 3 bytes a pixel.
class RgbImage {
 public:
  RgbImage(int width, int height, Rgb background);

  int width() const { return width_; }
  int height() const { return height_; }

  /// Fills [x, x + w) x [y, y + h); the parts outside the image are skipped.
  void fill(int x, int y, int w, int h, Rgb colour);

  /// Writes the image as an 8-bit RGB PNG; throws Error(io) when it cannot.
  void save_png(const std::string& path) const;

 private:
  int width_;
  int height_;
  std::vector<std::uint8_t> pixels_;
};

}  // namespace engine::render

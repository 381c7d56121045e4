// PNGs read back with libpng's simplified API, for tests that check what a picture shows.
#pragma once

#include <png.h>

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "engine/render/heatmap.hpp"

namespace engine::test {

struct DecodedPng {
  int width = 0;
  int height = 0;
  std::vector<std::uint8_t> rgb;  // (height, width, 3)

  Rgb at(int x, int y) const {
    const std::size_t i = (static_cast<std::size_t>(y) * width + x) * 3;
    return {rgb[i], rgb[i + 1], rgb[i + 2]};
  }
  /// Pixels of [x, x + w) x [y, y + h) that are not `background`.
  int count_not(Rgb background, int x, int y, int w, int h) const {
    int count = 0;
    for (int py = y; py < y + h; ++py)
      for (int px = x; px < x + w; ++px) count += at(px, py) == background ? 0 : 1;
    return count;
  }
};

/// Decodes a PNG as 8-bit RGB; fails the test when it cannot.
inline DecodedPng read_png(const std::string& path) {
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

}  // namespace engine::test

// RgbImage: rectangle fills and PNG output through libpng's simplified API (no setjmp needed).
#include "cli/render/rgb_image.hpp"

#include <fmt/format.h>
#include <png.h>

#include <algorithm>

#include "engine/error.hpp"

namespace engine::render {

RgbImage::RgbImage(int width, int height, Rgb background)
    : width_(width), height_(height), pixels_(static_cast<std::size_t>(width) * height * 3) {
  fill(0, 0, width, height, background);
}

void RgbImage::fill(int x, int y, int w, int h, Rgb colour) {
  const int x0 = std::max(x, 0), x1 = std::min(x + w, width_);
  const int y0 = std::max(y, 0), y1 = std::min(y + h, height_);
  for (int py = y0; py < y1; ++py)
    for (int px = x0; px < x1; ++px) {
      std::uint8_t* p = &pixels_[(static_cast<std::size_t>(py) * width_ + px) * 3];
      p[0] = colour.r;
      p[1] = colour.g;
      p[2] = colour.b;
    }
}

void RgbImage::save_png(const std::string& path) const {
  png_image image{};
  image.version = PNG_IMAGE_VERSION;
  image.width = static_cast<png_uint_32>(width_);
  image.height = static_cast<png_uint_32>(height_);
  image.format = PNG_FORMAT_RGB;
  if (!png_image_write_to_file(&image, path.c_str(), 0, pixels_.data(), 0, nullptr))
    throw Error(ErrorCode::io, fmt::format("{}: cannot write PNG: {}", path, image.message));
}

}  // namespace engine::render

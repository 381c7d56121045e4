// The blocks of ggml's 4- to 6-bit weight types (ggml-common.h), decoded to f32 exactly as ggml
// dequantises them: the same f32 products in the same order, so a model runs on the very values
// llama.cpp's dequantised copy holds. A block's fields are read from its bytes (little-endian
// f16 scales), never through a struct.
#pragma once

#include <cstddef>
#include <cstdint>

namespace engine::formats {

/// Sub-block j's 6-bit scale and min of a Q4_K / Q5_K super-block (8 of each in 12 bytes: the
/// low 6 bits of bytes 0-3 and 4-7 for j < 4, else a nibble of bytes 8-11 and the top 2 bits of
/// bytes 0-3 and 4-7). Static: each translation unit, the per-ISA kernels too, keeps its own.
static inline void k4_scale_min(std::size_t j, const std::uint8_t* q, int& scale, int& min) {
  if (j < 4) {
    scale = q[j] & 63;
    min = q[j + 4] & 63;
  } else {
    scale = (q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4);
    min = (q[j + 4] >> 4) | ((q[j] >> 6) << 4);
  }
}

/// One block type: kValues values in kBytes bytes, ggml type number kGgmlType. encode(in
/// (kValues,), block) quantises f32 values with scales (and minima) searched for a low weighted
/// error (scale_search.hpp), then rounds them against the scales as stored.
struct Q4_0Block {  // d (f16), 16 bytes of nibbles: values d * (q - 8)
  static constexpr std::size_t kValues = 32, kBytes = 18;
  static constexpr std::uint32_t kGgmlType = 2;
  static void decode(const std::uint8_t* block, float* out);  // out (kValues,)
  static void encode(const float* in, std::uint8_t* block);
};
struct Q4_1Block {  // d, m (f16), 16 bytes of nibbles: d * q + m
  static constexpr std::size_t kValues = 32, kBytes = 20;
  static constexpr std::uint32_t kGgmlType = 3;
  static void decode(const std::uint8_t* block, float* out);
  static void encode(const float* in, std::uint8_t* block);
};
struct Q5_0Block {  // d, 32 fifth bits (u32), 16 bytes of nibbles: d * (q - 16)
  static constexpr std::size_t kValues = 32, kBytes = 22;
  static constexpr std::uint32_t kGgmlType = 6;
  static void decode(const std::uint8_t* block, float* out);
  static void encode(const float* in, std::uint8_t* block);
};
struct Q5_1Block {  // d, m, 32 fifth bits, 16 bytes of nibbles: d * q + m
  static constexpr std::size_t kValues = 32, kBytes = 24;
  static constexpr std::uint32_t kGgmlType = 7;
  static void decode(const std::uint8_t* block, float* out);
  static void encode(const float* in, std::uint8_t* block);
};
// The K-quants: super-blocks of 256 values in sub-blocks of 16 or 32 with quantised scales.
struct Q2_KBlock {  // 16 (scale, min) nibble pairs, 64 bytes of 2-bit quants, d, dmin
  static constexpr std::size_t kValues = 256, kBytes = 84;
  static constexpr std::uint32_t kGgmlType = 10;
  static void decode(const std::uint8_t* block, float* out);
  static void encode(const float* in, std::uint8_t* block);
};
struct Q3_KBlock {  // 32 bytes of high bits, 64 of 2-bit quants, 12 of 6-bit scales, d
  static constexpr std::size_t kValues = 256, kBytes = 110;
  static constexpr std::uint32_t kGgmlType = 11;
  static void decode(const std::uint8_t* block, float* out);
  static void encode(const float* in, std::uint8_t* block);
};
struct Q4_KBlock {  // d, dmin, 12 bytes of 6-bit scales and mins, 128 bytes of nibbles
  static constexpr std::size_t kValues = 256, kBytes = 144;
  static constexpr std::uint32_t kGgmlType = 12;
  static void decode(const std::uint8_t* block, float* out);
  static void encode(const float* in, std::uint8_t* block);
};
struct Q5_KBlock {  // d, dmin, 12 bytes of scales and mins, 32 of fifth bits, 128 of nibbles
  static constexpr std::size_t kValues = 256, kBytes = 176;
  static constexpr std::uint32_t kGgmlType = 13;
  static void decode(const std::uint8_t* block, float* out);
  static void encode(const float* in, std::uint8_t* block);
};
struct Q6_KBlock {  // 128 bytes of low nibbles, 64 of high 2 bits, 16 int8 scales, d
  static constexpr std::size_t kValues = 256, kBytes = 210;
  static constexpr std::uint32_t kGgmlType = 14;
  static void decode(const std::uint8_t* block, float* out);
  static void encode(const float* in, std::uint8_t* block);
};

}  // namespace engine::formats

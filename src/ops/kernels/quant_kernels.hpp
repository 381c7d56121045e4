// Decode kernels for the ggml block formats kept as the file has them (rows of whole blocks,
// row-major; ops/formats/ggml_blocks.hpp): each block of a register tile's weight rows is
// expanded in registers, kWidth values at a time, to exactly the f32 values ggml's
// dequantisation gives (every product there is exact in f32, so an FMA cannot change one), and
// multiplied into f32 x. The results are the dot products of the dequantised weights.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

/// The f16 at p (unaligned) as f32.
inline float half_at(const std::uint8_t* p) {
  std::uint16_t bits;
  std::memcpy(&bits, p, sizeof bits);
  return engine::f16_to_f32(bits);
}

/// Q4_0: d (f16), then 16 bytes whose low nibbles are values 0-15 and high nibbles 16-31;
/// value = d * (q - 8).
struct Q4_0Values {
  static constexpr std::size_t kValues = 32, kBytes = 18;
  struct Scales {
    Vec::Reg d, offset;  // d, -8 d
  };
  static Scales scales(const std::uint8_t* block) {
    const float d = half_at(block);
    return {Vec::set1(d), Vec::set1(-8.0f * d)};
  }
  /// Values [i, i + kWidth) of the block: q d - 8 d, where q d, 8 d and their sum are exact (4-
  /// and 11-bit significands), so one FMA gives d (q - 8) as ggml does.
  static Vec::Reg values(const std::uint8_t* block, const Scales& s, std::size_t i) {
    const Vec::I32 q = Vec::i32_bits(Vec::i32_load_u8(block + 2 + i % 16), i < 16 ? 0 : 4, 0xF);
    return Vec::fmadd(Vec::i32_to_f32(q), s.d, s.offset);
  }
};

/// Q4_K: d, dmin (f16), 8 6-bit scales and mins, then 4 runs of 32 bytes, run c holding
/// sub-block 2c in its low nibbles and 2c + 1 in its high ones; value = d * scale * q - dmin * min.
struct Q4_KValues {
  static constexpr std::size_t kValues = 256, kBytes = 144;
  struct Scales {
    float step[8], shift[8];
  };
  static Scales scales(const std::uint8_t* block) {
    const float d = half_at(block), dmin = half_at(block + 2);
    Scales s;
    for (std::size_t j = 0; j < 8; ++j) {
      int scale, min;
      engine::formats::k4_scale_min(j, block + 4, scale, min);
      s.step[j] = d * static_cast<float>(scale);
      s.shift[j] = dmin * static_cast<float>(min);
    }
    return s;
  }
  static Vec::Reg values(const std::uint8_t* block, const Scales& s, std::size_t i) {
    const std::size_t j = i / 32;
    const Vec::I32 q =
        Vec::i32_bits(Vec::i32_load_u8(block + 16 + i / 64 * 32 + i % 32), j % 2 == 0 ? 0 : 4, 0xF);
    return Vec::sub(Vec::mul(Vec::set1(s.step[j]), Vec::i32_to_f32(q)), Vec::set1(s.shift[j]));
  }
};

/// Q6_K: 128 bytes of low nibbles, 64 of high 2-bit pairs, 16 int8 scales, d (f16). Each half
/// of 128 values takes 64 low-nibble bytes (value l + 32g: byte l + 32 (g % 2), the high nibble
/// for g >= 2) and 32 high-pair bytes (bits 2g, 2g + 1 of byte l); value = d * scale * (q - 32).
struct Q6_KValues {
  static constexpr std::size_t kValues = 256, kBytes = 210;
  struct Scales {
    float step[16];
  };
  static Scales scales(const std::uint8_t* block) {
    const float d = half_at(block + 208);
    Scales s;
    for (std::size_t j = 0; j < 16; ++j)
      s.step[j] = d * static_cast<float>(static_cast<std::int8_t>(block[192 + j]));
    return s;
  }
  static Vec::Reg values(const std::uint8_t* block, const Scales& s, std::size_t i) {
    const std::size_t half = i / 128, g = i % 128 / 32, l = i % 32;
    const Vec::I32 low =
        Vec::i32_bits(Vec::i32_load_u8(block + 64 * half + 32 * (g % 2) + l), g < 2 ? 0 : 4, 0xF);
    const Vec::I32 high =
        Vec::i32_bits(Vec::i32_load_u8(block + 128 + 32 * half + l), static_cast<int>(2 * g), 3);
    const Vec::Reg q = Vec::i32_to_f32(Vec::i32_or(low, Vec::i32_shl(high, 4)));
    return Vec::mul(Vec::set1(s.step[i / 16]), Vec::sub(q, Vec::set1(32.0f)));
  }
};

/// f32 x times weight rows of Block's blocks: per block of the tile's R rows their scales once,
/// then each kWidth values expanded and multiplied into the C rows of x.
template <typename Block>
struct BlockRowsTile {
  static_assert(Block::kValues % Vec::kWidth == 0 && 16 % Vec::kWidth == 0);
  // Each row is a stream of its own: prefetched this far ahead of its loads.
  static constexpr std::size_t kAheadBytes = 1024;
  const std::uint8_t* w;  // the first row's blocks
  const float* x;         // (M, cols)
  float* y;               // (M, ldy)
  std::size_t cols, ldy;

  template <std::size_t R, std::size_t C>
  void run(std::size_t r, std::size_t m) const {
    const std::size_t row_bytes = cols / Block::kValues * Block::kBytes;
    const std::uint8_t* wr = w + r * row_bytes;
    const float* xr = x + m * cols;
    const auto step = [&](Vec::Reg(&acc)[R][C], std::size_t b, std::size_t) {
      const std::uint8_t* blocks[R];
      typename Block::Scales s[R];
      for (std::size_t k = 0; k < R; ++k) {
        blocks[k] = wr + k * row_bytes + b * Block::kBytes;
        Vec::prefetch(blocks[k] + kAheadBytes);
        s[k] = Block::scales(blocks[k]);
      }
      const float* xb = xr + b * Block::kValues;
      // Unrolled, so each chunk's offsets and shifts are constants.
#pragma GCC unroll 32
      for (std::size_t i = 0; i < Block::kValues; i += Vec::kWidth) {
        Vec::Reg xv[C];
        for (std::size_t c = 0; c < C; ++c) xv[c] = Vec::load(xb + c * cols + i);
        for (std::size_t k = 0; k < R; ++k) {
          const Vec::Reg wv = Block::values(blocks[k], s[k], i);
          for (std::size_t c = 0; c < C; ++c) acc[k][c] = Vec::fmadd(wv, xv[c], acc[k][c]);
        }
      }
    };
    tile_sums<R, C, 1>(cols / Block::kValues, step, y + m * ldy + r, ldy);
  }
};

template <typename Block>
inline void gemm_blocks(const std::uint8_t* w, const float* x, float* y, std::size_t rows,
                        std::size_t cols, std::size_t M, std::size_t ldy) {
  for_each_tile(BlockRowsTile<Block>{w, x, y, cols, ldy}, rows, M);
}

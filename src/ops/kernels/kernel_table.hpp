// The per-ISA kernel table: one entry per hot loop, filled once per compiled ISA
// (kernel_table.cpp is compiled four times) and chosen by ops/kernel_dispatch.cpp.
#pragma once

#include <cstddef>
#include <cstdint>

#include "engine/ops/isa.hpp"

namespace engine::kernels {

struct KernelTable {
  /// out[j] = exp(scale*x[j] - m) / sum over unmasked j; m = max over unmasked.
  /// mask == nullptr: every position may attend. Masked positions get exactly 0, and a row with
  /// nothing to attend (all masked, or all -inf) gets all zeros, never NaN.
  void (*masked_softmax)(const float* x, const std::uint8_t* mask, float* out, std::size_t n,
                         float scale);
  float (*dot)(const float* a, const float* b, std::size_t n);
  /// y[m*ldy + r] = dot(w row r, x row m) for r < rows, m < M: x (M, cols) times a (rows, cols)
  /// matrix in the tile layout (w: the tiles of the first of `rows` rows, a row at a multiple of
  /// kLayoutTileRows, see ops/tile_layout.hpp), every weight row read once for all M (a GEMV when
  /// M = 1). Each output is summed the same way whatever M is.
  void (*gemm)(const float* w, const float* x, float* y, std::size_t rows, std::size_t cols,
               std::size_t M, std::size_t ldy);
  /// The same for weights in panels of quantised blocks and x quantised by quantize_q8 (xq (M,
  /// cols), xd (M, cols / 32)) with its sums by q8_sums (w: the panel of the first of `rows`
  /// rows; cols a multiple of 32): integer sums per block for 16 rows at once, scaled once per
  /// (sub-)block. Q8_0 in panels of 32 rows (ops/formats/q8_0_panels.hpp); the other
  /// ggml block types in panels of 16 rows (ops/formats/block_panels.hpp).
  using QuantPanelGemm = void(const std::uint8_t* w, const std::int8_t* xq, const float* xd,
                              const std::int32_t* sums16, const float* dsums32, float* y,
                              std::size_t rows, std::size_t cols, std::size_t M, std::size_t ldy);
  QuantPanelGemm* gemm_q8_0;
  QuantPanelGemm* gemm_q4_0;
  QuantPanelGemm* gemm_q4_1;
  QuantPanelGemm* gemm_q5_0;
  QuantPanelGemm* gemm_q5_1;
  QuantPanelGemm* gemm_q2_k;
  QuantPanelGemm* gemm_q3_k;
  QuantPanelGemm* gemm_q4_k;
  QuantPanelGemm* gemm_q5_k;
  QuantPanelGemm* gemm_q6_k;
  /// y (M, cols) = a block of M rows packed in tiles (x_tiles (M, K), see ops/panel_layout.hpp)
  /// times one panel of f32 weights (K, kPanelWidth), over steps [k_begin, k_end) of k
  /// (from k_begin > 0 on the partial sums y holds); cols <= kPanelWidth outputs per row at
  /// y[m * ldy + j]. Prefetches next_bytes from `next` (null: none) meanwhile. Every output is
  /// one FMA chain over k: the same sums whatever M and the steps.
  void (*gemm_panel)(const float* x_tiles, std::size_t M, std::size_t K, std::size_t k_begin,
                     std::size_t k_end, const float* panel, const void* next,
                     std::size_t next_bytes, float* y, std::size_t ldy, std::size_t cols);
  /// The same for a panel of IEEE half weights (K, kPanelWidth), widened to f32 as they load:
  /// the sums gemm_panel makes on those weights as f32.
  void (*gemm_f16_panel)(const float* x_tiles, std::size_t M, std::size_t K, std::size_t k_begin,
                         std::size_t k_end, const std::uint16_t* panel, const void* next,
                         std::size_t next_bytes, float* y, std::size_t ldy, std::size_t cols);
  /// The same for a panel of bf16 weights in pairs of k (ceil(K / 2), kPanelWidth, 2; see
  /// ops/formats/value_panels.hpp) against the block rounded to bf16 (to_bf16) in the same pairs
  /// (x_tiles: per row of a tile ceil(K / 2) words, the first value in the low half): exact
  /// products summed in f32 (vdpbf16ps where the ISA has it). k_begin even.
  void (*gemm_bf16_panel)(const std::uint32_t* x_tiles, std::size_t M, std::size_t K,
                          std::size_t k_begin, std::size_t k_end, const std::uint16_t* panel,
                          const void* next, std::size_t next_bytes, float* y, std::size_t ldy,
                          std::size_t cols);
  /// Decode on panels (f32 weights, as gemm_panel takes them): y[m * ldy + r] = feature r of the
  /// consecutive panels at w times row m of x (M, K), r < rows (the last panel may be partial),
  /// m < M. Each output is summed the same way whatever M.
  void (*gemm_decode_panels)(const float* w, const float* x, float* y, std::size_t rows,
                             std::size_t K, std::size_t M, std::size_t ldy);
  /// The same for panels of IEEE half weights, widened to f32 as they load.
  void (*gemm_f16_decode_panels)(const std::uint16_t* w, const float* x, float* y, std::size_t rows,
                                 std::size_t K, std::size_t M, std::size_t ldy);
  /// The same for bf16 panels in pairs of k (as gemm_bf16_panel takes them) and x (M, K) rounded
  /// to bf16 (to_bf16): exact products summed in f32.
  void (*gemm_bf16_decode_panels)(const std::uint16_t* w, const std::uint16_t* x, float* y,
                                  std::size_t rows, std::size_t K, std::size_t M, std::size_t ldy);
  /// The same for a block quantised per 32 values (as quantize_q8) in Q8 tiles (x_tiles) times
  /// a Q8_0 panel (K / 32 blocks of kQ8PanelBlockBytes), steps [k_begin, k_end) multiples of
  /// 32: an exact integer sum per block, then one multiply-add by both scales.
  void (*gemm_q8_panel)(const std::uint8_t* x_tiles, std::size_t M, std::size_t K,
                        std::size_t k_begin, std::size_t k_end, const std::uint8_t* panel,
                        const void* next, std::size_t next_bytes, float* y, std::size_t ldy,
                        std::size_t cols);
  /// n (a multiple of 32) values to blocks of 32: d[b] = max|x| / 127, q = round(x / d[b]).
  /// Bit-identical on every ISA.
  void (*quantize_q8)(const float* x, std::int8_t* q, float* d, std::size_t n);
  /// The sums of n quants from quantize_q8 per 16 (sums16, n / 16) and per block of 32 times
  /// the block's d (dsums32, n / 32), which the Q4_0 and K-quant kernels take.
  void (*q8_sums)(const std::int8_t* q, const float* d, std::size_t n, std::int32_t* sums16,
                  float* dsums32);
  /// n values to bf16, round to nearest even. Bit-identical on every ISA.
  void (*to_bf16)(const float* x, std::uint16_t* out, std::size_t n);
  /// n IEEE half values widened to f32 (exact; F16C where the ISA has it): an f16 matrix's rows
  /// for oneDNN.
  void (*widen_f16)(const std::uint16_t* in, float* out, std::size_t n);
  /// y += a * x
  void (*axpy)(float a, const float* x, float* y, std::size_t n);
  /// out = weight * x / sqrt(mean(x^2) + eps)
  void (*rmsnorm)(const float* x, const float* weight, float* out, std::size_t n, float eps);
  /// out = (x - mean(x)) / sqrt(var(x) + eps) * weight + bias (population variance)
  void (*layernorm)(const float* x, const float* weight, const float* bias, float* out,
                    std::size_t n, float eps);
  /// gate = silu(gate) * up, with silu(g) = g / (1 + exp(-g))
  void (*swiglu)(float* gate, const float* up, std::size_t n);
  /// x = 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))): GPT-2's GELU (tanh approximation)
  void (*gelu)(float* x, std::size_t n);
  /// Rotates the pairs (v[2i], v[2i+1]) of each head of head_size (even) in v's n floats by
  /// cos[i], sin[i]: v0 cos - v1 sin, v0 sin + v1 cos. Bit-identical on every ISA.
  void (*rope)(float* v, std::size_t n, std::size_t head_size, const float* cos, const float* sin);
  // The Llama-family variants (qwen2, phi3, gemma2).
  /// Rotates the pairs (v[i], v[i + head_size/2]) of each head (RoPE on halves, llama.cpp's
  /// NEOX) by cos[i], sin[i], as `rope` does its pairs. Bit-identical on every ISA.
  void (*rope_halves)(float* v, std::size_t n, std::size_t head_size, const float* cos,
                      const float* sin);
  /// gate = gelu(gate) * up, with `gelu`'s GELU (Gemma's GELU-gated feed-forward)
  void (*geglu)(float* gate, const float* up, std::size_t n);
  /// out[i*ldo + j] = dot(q + i*head_size, keys + j*stride + (i / group)*head_size), i < heads,
  /// j < n: a run of query heads against cached keys, position by position.
  void (*attention_scores)(const float* q, const float* keys, std::size_t stride, std::size_t n,
                           std::size_t head_size, std::size_t heads, std::size_t group, float* out,
                           std::size_t ldo);
  /// out + i*head_size = sum_j p[i*ldp + j] * (values + j*stride + (i / group)*head_size),
  /// i < heads, j < n, skipping p == 0: the same run's weighted sums.
  void (*attention_weighted_sum)(const float* p, std::size_t ldp, const float* values,
                                 std::size_t stride, std::size_t n, std::size_t head_size,
                                 std::size_t heads, std::size_t group, float* out);
  /// out[t*ldo + j] = dot(q row t, key j) for t < rows, j < n: q(t, d) at q[t*ldq + d], the
  /// keys transposed (key j's element d at keys_t[d*ldk + j]). A block of queries (prefill).
  void (*attention_block_scores)(const float* q, std::size_t ldq, const float* keys_t,
                                 std::size_t ldk, std::size_t rows, std::size_t n,
                                 std::size_t head_size, float* out, std::size_t ldo);
  /// out[t*ldo + c] = sum_j p[t*ldp + j] * values[j*ldv + c] for t < rows, c < head_size,
  /// j < n: a block's probabilities times the values.
  void (*attention_block_weighted_sum)(const float* p, std::size_t ldp, const float* values,
                                       std::size_t ldv, std::size_t rows, std::size_t n,
                                       std::size_t head_size, float* out, std::size_t ldo);
};

const KernelTable& kernel_table_scalar();
const KernelTable& kernel_table_avx2();
const KernelTable& kernel_table_avx512();
const KernelTable& kernel_table_avx512_vnni_bf16();

/// The table of `isa` (which the CPU must support).
const KernelTable& kernels_for(Isa isa);
/// The table of active_isa().
const KernelTable& kernels();

}  // namespace engine::kernels

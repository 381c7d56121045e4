// Linear layers over a block of rows (prompt prefill, batches) through oneDNN's matmul, which
// runs near the CPU's peak where a GEMV per row cannot: bf16 weights always, f32 weights where
// our panel kernel does not run (ops/panel_matmul.hpp: below AVX-512). f32 and bf16 weights run
// on a packed copy made at load (oneDNN's blocked layout: faster blocks, for a second copy of
// the layer matrices); others, or without one, our (N, K) matrix read back as rows
// (ops/tile_layout.hpp) is oneDNN's (K, N) `ba`.
#pragma once

#include <cstddef>
#include <cstdint>

#include "ops/matrix.hpp"
#include "ops/workspace.hpp"

namespace engine {

/// y (M, w.rows) = x (M, w.cols) · wᵀ. f32 weights run f32; bf16 weights run bf16 x bf16 with
/// f32 accumulation (x rounded to bf16); every other type is expanded to f32 first (the block is
/// compute-bound, so reading it once more costs little). Primitives are created once per
/// (shape, type, thread count) and reused. Uses w.packed when the block's primitive expects its
/// layout.
/// `scratch` holds x rounded to bf16 and the rows of an unpacked w read back.
void onednn_matmul(OnednnScratch& scratch, const float* x, const Matrix& w, float* y, int M);

/// Bytes of oneDNN's packed copy of w (with the layout it was made in): 0 unless w's format
/// takes one (f32, bf16), or when it has no rows. The layout is the one the primitives created for
/// the thread count set now expect.
std::size_t onednn_packed_bytes(const Matrix& w);
/// Writes that copy of w to `out` (onednn_packed_bytes(w), 64-byte aligned) and returns the
/// weights inside it, for Matrix::packed.
const void* onednn_pack(const Matrix& w, std::uint8_t* out);

}  // namespace engine

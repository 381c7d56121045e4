// f32 linear layers over blocks of rows (prompt prefill, large batches) on weights in panels of
// kPanelWidth output features (ops/panel_layout.hpp), the layout a load gives them. On AVX-512 this
// beats oneDNN's f32 matmul on the same blocks (weights streamed from memory while the previous
// panel computes; see ops/kernels/panel_kernels.hpp); elsewhere oneDNN stays.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>

#include "engine/ops/isa.hpp"
#include "ops/kernels/kernel_table.hpp"
#include "ops/matmul.hpp"
#include "ops/matrix.hpp"
#include "ops/workspace.hpp"

namespace engine {

/// Whether blocks on weights of this type run on panels with this ISA's kernels, as its format
/// says (ops/weight_format.hpp): f32 and f16 with AVX-512 (else through oneDNN), Q8_0 with
/// AVX-512 VNNI (else expanded to f32 for oneDNN, a chunk of rows at a time); no other type.
bool prefers_panels(DType type, Isa isa);

/// Bytes of a packed copy of w's panels: 0 for the types whose loaded layout is their panels
/// (f32, f16 and Q8_0: no copy), for types without panels, or when w has no rows.
std::size_t panel_bytes(const Matrix& w);
/// The panels of w (a type with panels, in its loaded layout), for Matrix::panels: w's own data
/// where that is its panels, else written to `out` (panel_bytes(w), 64-byte aligned, zeroed).
const void* pack_panels(const Matrix& w, std::uint8_t* out);

/// Each product's y (M, w.rows) = x (M, K) · wᵀ on w.panels (every w with K columns and one
/// type) with the kernels of `k`: x packed in tiles once (for Q8_0 quantised per 32 values as
/// the Q8_0 decode kernel takes it), then all the products' panels split across the threads.
/// Row m of a y is the same whatever M and the other products are. At most 4 products.
void panel_matmul(const kernels::KernelTable& k, PanelScratch& scratch, const float* x,
                  std::initializer_list<Product> products, int M);

}  // namespace engine

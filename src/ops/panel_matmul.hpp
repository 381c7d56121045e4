// f32 linear layers over blocks of rows (prompt prefill, large batches) on weights packed at
// load in panels of kPanelWidth output features (ops/panel_layout.hpp). On AVX-512 this beats
// oneDNN's f32 matmul on the same blocks by 10-17 % (weights streamed from memory while the
// previous panel computes; see ops/kernels/panel_kernels.hpp); elsewhere oneDNN stays.
#pragma once

#include <cstdint>
#include <initializer_list>

#include "engine/model/weights.hpp"
#include "engine/ops/isa.hpp"
#include "ops/kernels/kernel_table.hpp"
#include "ops/matmul.hpp"
#include "util/huge_page_buffer.hpp"

namespace engine {

/// Whether f32 blocks run on panels with this ISA's kernels (else through oneDNN).
bool prefers_panels(Isa isa);

/// The panels of f32 w: (ceil(rows / kPanelWidth), cols, kPanelWidth), features past w.rows
/// zero. Sets `panels` to the start of the returned buffer (empty, panels null, unless w is f32).
HugePageBuffer pack_panels(const Matrix& w, const float*& panels);

/// Each product's y (M, w.rows) = x (M, K) · wᵀ on w.panels (every w with K columns) with the
/// kernels of `k`: x packed in tiles once, then all the products' panels split across the
/// threads. Row m of a y is the same whatever M and the other products are. At most 4 products.
void panel_matmul(const kernels::KernelTable& k, const float* x,
                  std::initializer_list<Product> products, int M);

}  // namespace engine

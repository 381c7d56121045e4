#include "attention/multi_head_attention.hpp"

#include <cmath>
#include <cstdint>
#include <cstring>

#include "engine/ops/masked_softmax.hpp"
#include "ops/kernels/kernel_table.hpp"

namespace engine {

void multi_head_attention(const ModelConfig& c, const float* q, const float* keys,
                          const float* values, const Mask& mask, float* scores, float* out) {
  const kernels::KernelTable& k = kernels::kernels();
  const Isa isa = active_isa();
  const int T = mask.rows(), n_keys = mask.cols();
  const int hs = c.head_size(), kv_dim = c.kv_dim(), group = c.kv_group();
  const float scale = 1.0f / std::sqrt(static_cast<float>(hs));
  const std::int64_t work = static_cast<std::int64_t>(T) * c.n_heads * n_keys * hs;

#pragma omp parallel for collapse(2) schedule(static) if (work >= (1 << 17))
  for (int t = 0; t < T; ++t)
    for (int h = 0; h < c.n_heads; ++h) {
      const float* qh = q + static_cast<std::size_t>(t) * c.dim + h * hs;
      const std::size_t kv_offset = static_cast<std::size_t>(h / group) * hs;
      float* s = scores + (static_cast<std::size_t>(t) * c.n_heads + h) * n_keys;
      float* o = out + static_cast<std::size_t>(t) * c.dim + h * hs;
      const std::span<float> row(s, n_keys);

      // Mask stage: a contiguous row reads only its range; any other mask goes element-wise.
      const auto range = mask.row_range(t);
      const int begin = range ? range->begin : 0, end = range ? range->end : n_keys;
      for (int j = begin; j < end; ++j)
        s[j] = (range || mask.at(t, j))
                   ? k.dot(qh, keys + static_cast<std::size_t>(j) * kv_dim + kv_offset, hs)
                   : 0.0f;
      if (range)
        masked_softmax(row, *range, row, scale, isa);
      else
        masked_softmax(row, mask.row(t), row, scale, isa);

      std::memset(o, 0, hs * sizeof(float));
      for (int j = begin; j < end; ++j)
        if (s[j] != 0.0f)
          k.axpy(s[j], values + static_cast<std::size_t>(j) * kv_dim + kv_offset, o, hs);
    }
}

}  // namespace engine

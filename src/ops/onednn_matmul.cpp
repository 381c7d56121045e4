#include "ops/onednn_matmul.hpp"

#include <fmt/format.h>
#include <omp.h>

#include <map>
#include <mutex>
#include <oneapi/dnnl/dnnl.hpp>
#include <tuple>
#include <vector>

#include "engine/error.hpp"
#include "ops/kernels/kernel_table.hpp"
#include "ops/matmul.hpp"

namespace engine {
namespace {

using dt = dnnl::memory::data_type;
using tag = dnnl::memory::format_tag;

struct PrimitiveKey {
  int M, K, N, threads;
  bool bf16;
  auto operator<=>(const PrimitiveKey&) const = default;
};

// One CPU engine and the primitives made so far. A primitive keeps the thread count it was
// created with, so the count is part of the key.
class PrimitiveCache {
 public:
  dnnl::matmul get(const PrimitiveKey& key) {
    std::lock_guard lock(mutex_);
    auto it = primitives_.find(key);
    if (it != primitives_.end()) return it->second;
    const dt type = key.bf16 ? dt::bf16 : dt::f32;
    const dnnl::memory::desc src({key.M, key.K}, type, tag::ab);
    const dnnl::memory::desc weights({key.K, key.N}, type, tag::ba);
    const dnnl::memory::desc dst({key.M, key.N}, dt::f32, tag::ab);
    dnnl::matmul primitive(
        dnnl::matmul::primitive_desc(dnnl::matmul::desc(src, weights, dst), engine_));
    primitives_.emplace(key, primitive);
    return primitive;
  }
  const dnnl::engine& engine() const { return engine_; }

 private:
  std::mutex mutex_;
  dnnl::engine engine_{dnnl::engine::kind::cpu, 0};
  std::map<PrimitiveKey, dnnl::matmul> primitives_;
};

PrimitiveCache& cache() {
  static PrimitiveCache instance;
  return instance;
}

// Per-thread scratch for converted inputs, reused across calls.
thread_local std::vector<std::uint16_t> t_bf16_x;
thread_local std::vector<float> t_f32_weights;

}  // namespace

void onednn_matmul(const float* x, const Matrix& w, float* y, int M) {
  const int K = w.cols, N = w.rows;
  const void* src = x;
  const void* weights = w.data;
  bool bf16 = false;
  switch (w.dtype) {
    case DType::f32:
      break;
    case DType::bf16:
      bf16 = true;
      t_bf16_x.resize(static_cast<std::size_t>(M) * K);
      // The vector kernel (the scalar quantize_bf16 is for weights at load): every block pays it.
      kernels::kernels().to_bf16(x, t_bf16_x.data(), t_bf16_x.size());
      src = t_bf16_x.data();
      break;
    case DType::q8_0:
    case DType::f16: {
      t_f32_weights.resize(static_cast<std::size_t>(N) * K);
      // The scratch is thread-local: take its address here, not inside the parallel loop.
      float* expanded = t_f32_weights.data();
#pragma omp parallel for schedule(static)
      for (int r = 0; r < N; ++r) matrix_row(w, r, expanded + static_cast<std::size_t>(r) * K);
      weights = expanded;
      break;
    }
  }
  try {
    PrimitiveCache& c = cache();
    const dnnl::matmul primitive = c.get({M, K, N, omp_get_max_threads(), bf16});
    const dt type = bf16 ? dt::bf16 : dt::f32;
    dnnl::memory src_mem({{M, K}, type, tag::ab}, c.engine(), const_cast<void*>(src));
    dnnl::memory weights_mem({{K, N}, type, tag::ba}, c.engine(), const_cast<void*>(weights));
    dnnl::memory dst_mem({{M, N}, dt::f32, tag::ab}, c.engine(), y);
    dnnl::stream stream(c.engine());
    primitive.execute(
        stream,
        {{DNNL_ARG_SRC, src_mem}, {DNNL_ARG_WEIGHTS, weights_mem}, {DNNL_ARG_DST, dst_mem}});
    stream.wait();
  } catch (const dnnl::error& e) {
    throw Error(ErrorCode::unsupported,
                fmt::format("oneDNN matmul ({}x{} by {}x{}) failed: {}", M, K, N, K, e.what()));
  }
}

}  // namespace engine

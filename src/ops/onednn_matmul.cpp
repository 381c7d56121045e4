#include "ops/onednn_matmul.hpp"

#include <fmt/format.h>
#include <omp.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <map>
#include <mutex>
#include <oneapi/dnnl/dnnl.hpp>
#include <tuple>
#include <vector>

#include "engine/error.hpp"
#include "ops/kernels/kernel_table.hpp"
#include "ops/matmul.hpp"
#include "ops/parallel_chunks.hpp"
#include "ops/tile_layout.hpp"
#include "ops/weight_format.hpp"

namespace engine {
namespace {

using dt = dnnl::memory::data_type;
using tag = dnnl::memory::format_tag;

// A linear layer's block: x (M, K) · w (N, K)ᵀ into y (M, N) with rows ldy apart; x row-major,
// w our rows read back from the tiles (oneDNN's (K, N) `ba`) unless `packed`.
struct PrimitiveKey {
  int M, K, N, ldy, threads;  // y (M, N) with rows ldy apart
  bool bf16;
  bool packed;  // w in the layout oneDNN picks (`any`), else our rows
  auto operator<=>(const PrimitiveKey&) const = default;
};

PrimitiveKey linear_key(int M, int K, int N, bool bf16, bool packed, int ldy) {
  return {M, K, N, ldy, omp_get_max_threads(), bf16, packed};
}

struct Primitive {
  dnnl::matmul::primitive_desc pd;
  dnnl::matmul matmul;
};

// One CPU engine and the primitives made so far. A primitive keeps the thread count it was
// created with, so the count is part of the key.
class PrimitiveCache {
 public:
  Primitive get(const PrimitiveKey& key) {
    std::lock_guard lock(mutex_);
    auto it = primitives_.find(key);
    if (it != primitives_.end()) return it->second;
    const dt type = key.bf16 ? dt::bf16 : dt::f32;
    const dnnl::memory::desc src({key.M, key.K}, type, tag::ab);
    const dnnl::memory::desc weights({key.K, key.N}, type, key.packed ? tag::any : tag::ba);
    const dnnl::memory::desc dst({key.M, key.N}, dt::f32, {key.ldy, 1});
    const dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(src, weights, dst), engine_);
    return primitives_.emplace(key, Primitive{pd, dnnl::matmul(pd)}).first->second;
  }
  // A reorder from `from` to `to`. Made under the same lock: creating a primitive goes through
  // oneDNN's global primitive cache, and models loading on several threads pack at once.
  dnnl::reorder reorder(const dnnl::memory& from, const dnnl::memory& to) {
    std::lock_guard lock(mutex_);
    return dnnl::reorder(from, to);
  }
  const dnnl::engine& engine() const { return engine_; }

 private:
  std::mutex mutex_;
  dnnl::engine engine_{dnnl::engine::kind::cpu, 0};
  std::map<PrimitiveKey, Primitive> primitives_;
};

PrimitiveCache& cache() {
  static PrimitiveCache instance;
  return instance;
}

// A packed copy starts with the layout it was made in (oneDNN 2.x memory descriptors are plain C
// structs), so a block runs on it only with a primitive that expects that very layout.
constexpr std::size_t kPackedHeader = 1024;
static_assert(sizeof(dnnl_memory_desc_t) <= kPackedHeader && kPackedHeader % 64 == 0);
// The rows the layout is chosen for: a prompt block.
constexpr int kPackRows = 128;
// Rows of an unpacked w a block takes at a time (a multiple of kLayoutTileRows): 3 MB of f32
// weights 768 wide.
constexpr int kChunkRows = 1024;
static_assert(kChunkRows % kLayoutTileRows == 0);

const dnnl_memory_desc_t& packed_layout(const void* packed) {
  return *reinterpret_cast<const dnnl_memory_desc_t*>(static_cast<const std::uint8_t*>(packed) -
                                                      kPackedHeader);
}

bool is_bf16(const Matrix& w) {
  return weight_format(w.dtype).onednn_bf16;
}

// The blocked layout a block's primitive expects for w's weights.
dnnl::memory::desc packed_layout_for(const Matrix& w) {
  try {
    return cache()
        .get(linear_key(kPackRows, w.cols, w.rows, is_bf16(w), true, w.rows))
        .pd.weights_desc();
  } catch (const dnnl::error& e) {
    throw Error(ErrorCode::unsupported,
                fmt::format("oneDNN weight layout ({}x{}) failed: {}", w.rows, w.cols, e.what()));
  }
}

void execute(const Primitive& primitive, const void* a, const void* b, void* c) {
  const dnnl::engine& engine = cache().engine();
  dnnl::memory src(primitive.pd.src_desc(), engine, const_cast<void*>(a));
  dnnl::memory weights(primitive.pd.weights_desc(), engine, const_cast<void*>(b));
  dnnl::memory dst(primitive.pd.dst_desc(), engine, c);
  dnnl::stream stream(engine);
  primitive.matmul.execute(stream,
                           {{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, weights}, {DNNL_ARG_DST, dst}});
  stream.wait();
}

// Rows [first, first + count) of w (first a multiple of kLayoutTileRows) as a primitive on our
// rows takes them: every format's rows as f32 (into `scratch`, reused across calls), for bf16
// then narrowed back to its own values (exact); a layout tile of rows at a time.
const void* row_major_weights(OnednnScratch& scratch, const Matrix& w, std::size_t first_row,
                              std::size_t count) {
  const std::size_t K = w.cols;
  const WeightFormat& format = weight_format(w.dtype);
  const bool bf16 = is_bf16(w);
  if (bf16) scratch.bf16_weights.resize(count * K);
  scratch.f32_weights.resize(count * K);
  std::uint16_t* const rows_bf16 = scratch.bf16_weights.data();
  float* const rows_f32 = scratch.f32_weights.data();
  const std::int64_t tiles = (count + kLayoutTileRows - 1) / kLayoutTileRows;
#pragma omp parallel for schedule(static)
  for (std::int64_t tile = 0; tile < tiles; ++tile) {
    const std::size_t at = tile * kLayoutTileRows, first = first_row + at;
    const std::size_t rows = std::min(kLayoutTileRows, count - at);
    format.load_rows(w, first, rows, rows_f32 + at * K);
    if (bf16) kernels::kernels().to_bf16(rows_f32 + at * K, rows_bf16 + at * K, rows * K);
  }
  return bf16 ? static_cast<const void*>(rows_bf16) : rows_f32;
}

}  // namespace

std::size_t onednn_packed_bytes(const Matrix& w) {
  if (!weight_format(w.dtype).onednn_packs || w.rows == 0) return 0;
  return kPackedHeader + packed_layout_for(w).get_size();
}

const void* onednn_pack(const Matrix& w, std::uint8_t* out) {
  const dnnl::memory::desc layout = packed_layout_for(w);
  // The header, then the weights (as aligned as out: kPackedHeader is a multiple of 64).
  std::uint8_t* const weights = out + kPackedHeader;
  std::memcpy(out, &layout.data, sizeof(layout.data));
  try {
    PrimitiveCache& c = cache();
    const dt type = is_bf16(w) ? dt::bf16 : dt::f32;
    OnednnScratch read_back;  // the whole matrix: freed once packed
    dnnl::memory plain({{w.cols, w.rows}, type, tag::ba}, c.engine(),
                       const_cast<void*>(row_major_weights(read_back, w, 0, w.rows)));
    dnnl::memory blocked(layout, c.engine(), weights);
    dnnl::stream stream(c.engine());
    c.reorder(plain, blocked).execute(stream, plain, blocked);
    stream.wait();
    return weights;
  } catch (const dnnl::error& e) {
    throw Error(ErrorCode::unsupported,
                fmt::format("oneDNN weight packing ({}x{}) failed: {}", w.rows, w.cols, e.what()));
  }
}

void onednn_matmul(OnednnScratch& scratch, const float* x, const Matrix& w, float* y, int M) {
  const int K = w.cols, N = w.rows;
  const bool bf16 = is_bf16(w);
  const void* src = x;
  if (bf16) {
    scratch.bf16_x.resize(static_cast<std::size_t>(M) * K);
    // The vector kernel (the scalar quantize_bf16 is for weights at load): every block pays it,
    // on OpenMP's threads like the oneDNN call after it (a block never runs in a crew).
    std::uint16_t* converted = scratch.bf16_x.data();
    for_chunks(Parallel::forking(), scratch.bf16_x.size(), [&](std::size_t i, std::size_t count) {
      kernels::kernels().to_bf16(x + i, converted + i, count);
    });
    src = converted;
  }
  try {
    PrimitiveCache& c = cache();
    if (w.packed) {
      const Primitive primitive = c.get(linear_key(M, K, N, bf16, true, N));
      if (primitive.pd.weights_desc() == dnnl::memory::desc(packed_layout(w.packed)))
        return execute(primitive, src, w.packed, y);
    }
    // Our rows, read back a chunk at a time into cache-resident scratch: a whole classifier
    // (the block of a batch of 17+ sequences, or every position's logits) read back per call
    // made a batched decode step markedly slower.
    for (int first = 0; first < N; first += kChunkRows) {
      const int count = std::min(kChunkRows, N - first);
      execute(c.get(linear_key(M, K, count, bf16, false, N)), src,
              row_major_weights(scratch, w, first, count), y + first);
    }
  } catch (const dnnl::error& e) {
    throw Error(ErrorCode::unsupported,
                fmt::format("oneDNN matmul ({}x{} by {}x{}) failed: {}", M, K, N, K, e.what()));
  }
}

}  // namespace engine

// Every matrix of a model goes once at load into its format's layout (ops/weight_format.hpp:
// panels of 32 rows for f32, f16, bf16 (its values paired along k) and Q8_0), the layout the
// decode kernels stream, in one huge-page buffer; f32, f16 and bf16 layer matrices and classifier
// are converted to another format on the way when asked (bf16, Q8_0, the 4- to 6-bit types: the
// decode step then reads fewer bytes). The token and position embeddings keep their type (an
// embedding is read one row per token); a shared classifier gets a converted copy of its own.
// The parts of a fused QKV matrix (gpt2) are converted as three matrices. Norms and biases stay
// where the file has them. Setting up blocks of rows (the formats' own panels, else oneDNN's
// packed copy), the last step of a load, is here too.
#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <numeric>
#include <vector>

#include "engine/error.hpp"
#include "engine/ops/isa.hpp"
#include "model/model_impl.hpp"
#include "ops/onednn_matmul.hpp"
#include "ops/panel_matmul.hpp"
#include "ops/tile_layout.hpp"
#include "ops/weight_format.hpp"
#include "util/huge_page_buffer.hpp"
#include "util/log.hpp"
#include "util/mapped_file.hpp"

namespace engine {

namespace {

// Offsets of consecutive parts of one buffer, each starting on a cache line.
constexpr std::size_t kPartAlignment = 64;
std::size_t aligned_part(std::size_t bytes) {
  return (bytes + kPartAlignment - 1) / kPartAlignment * kPartAlignment;
}

// Bytes of a model file read between releases of its pages.
constexpr std::ptrdiff_t kReleaseBytes = 32 << 20;

// A matrix as convert_weights writes it: its rows in `to`, in that format's loaded layout.
struct Conversion {
  Matrix* m;
  DType to;
  std::size_t bytes() const { return weight_format(to).loaded_bytes(m->rows, m->cols); }
};

// Writes the rows of c.m (in the type it has in the file) to `out` as c.to, a layout tile of
// rows at a time; a row changing type goes by way of f32.
void convert_rows(const Conversion& c, std::uint8_t* out) {
  const Matrix& m = *c.m;
  const WeightFormat &from_format = weight_format(m.dtype), &to = weight_format(c.to);
  const std::size_t rows = m.rows, cols = m.cols,
                    row_bytes = Matrix{nullptr, m.dtype, 1, m.cols}.bytes();
  const std::uint8_t* in = static_cast<const std::uint8_t*>(m.data);
  const std::int64_t tiles = (rows + kLayoutTileRows - 1) / kLayoutTileRows;
#pragma omp parallel if (rows * cols > (1 << 16))
  {
    // A tile's rows converted to the file blocks of c.to, before they go to the tile.
    const std::size_t to_row_bytes = file_row_bytes(to, cols);
    std::vector<std::uint8_t> converted(m.dtype == c.to ? 0 : kLayoutTileRows * to_row_bytes);
    std::vector<float> values(m.dtype == c.to ? 0 : cols);
#pragma omp for schedule(static)
    for (std::int64_t tile = 0; tile < tiles; ++tile) {
      const std::size_t first = tile * kLayoutTileRows;
      const std::size_t count = std::min(kLayoutTileRows, rows - first);
      const std::uint8_t* from = in + first * row_bytes;
      if (m.dtype != c.to) {
        for (std::size_t r = 0; r < count; ++r) {
          from_format.widen_row(from + r * row_bytes, values.data(), cols);
          to.quantize_row(values.data(), converted.data() + r * to_row_bytes, cols);
        }
        from = converted.data();
      }
      to.store_rows(from, first, count, rows, cols, out);
    }
  }
}

}  // namespace

// All the written matrices go into one buffer, and so do all the packed copies: huge pages are
// whole 2 MB pages, and a buffer per matrix padded each one (a higher peak RSS).
void Model::Impl::convert_weights(DType weight_type) {
  const WeightFormat& target = weight_format(weight_type);
  if (!target.quantize_row) {
    std::vector<std::string_view> targets;
    for (const WeightFormat* f : weight_formats())
      if (f->quantize_row) targets.push_back(f->name);
    throw Error(ErrorCode::unsupported,
                fmt::format("cannot convert weights to {} (expected {})", dtype_name(weight_type),
                            fmt::join(targets, "|")));
  }
  std::vector<Conversion> conversions;
  int kept_width = 0, kept_type = 0;
  // Every matrix goes to tiles: in its own type, or (f32, f16 and bf16 ones the layers read) in
  // weight_type; f32, the default, keeps every type.
  const auto add = [&](Matrix& m, bool converts) {
    if (m.rows == 0) return;  // absent
    DType to = m.dtype;
    if (converts && weight_type != DType::f32 && m.dtype != weight_type) {
      if (!weight_format(m.dtype).widen_row)
        ++kept_type;  // already quantised: converting again would only lose more
      else if (!whole_blocks(target, m.cols))
        ++kept_width;  // blocks need rows that are whole blocks wide
      else
        to = weight_type;
    }
    conversions.push_back({&m, to});
  };
  for (LayerWeights& l : weights_.layers)
    for (Matrix* m : l.matrices()) add(*m, true);
  add(weights_.wcls, true);
  add(weights_.token_embedding, false);  // read one row per token: keeps its type
  add(weights_.position_embedding, false);
  if (kept_width)
    log::info("{}: {} matrices kept their type (width not whole {} blocks)", path_, kept_width,
              target.name);
  if (kept_type)
    log::info("{}: {} quantised matrices kept their type (only f32, f16 and bf16 convert to {})",
              path_, kept_type, target.name);
  // A classifier that is the embedding's own tensor (tied) in the embedding's type is written
  // once: first[i] is the first conversion of conversion i's tensor to the same type.
  std::vector<std::size_t> first(conversions.size());
  std::size_t total = 0;
  for (std::size_t i = 0; i < conversions.size(); ++i) {
    while (conversions[first[i]].m->data != conversions[i].m->data ||
           conversions[first[i]].to != conversions[i].to)
      ++first[i];
    if (first[i] == i) total += aligned_part(conversions[i].bytes());
  }
  if (total == 0) return;  // no matrices
  HugePageBuffer& buffer = converted_.emplace_back(total);
  std::vector<std::uint8_t*> parts(conversions.size());
  for (std::size_t i = 0, at = 0; i < conversions.size(); ++i)
    if (first[i] == i) {
      parts[i] = buffer.data() + at;
      at += aligned_part(conversions[i].bytes());
    }
  // Converted in the file's order, its pages leave the process's memory once read for the last
  // time, kReleaseBytes at a time: the file and its converted copy are never both resident (a
  // call per matrix, a TLB shootdown each, made loads slower). Norms and biases map again from
  // the page cache.
  std::vector<std::size_t> order(conversions.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return conversions[a].m->data < conversions[b].m->data;
  });
  const std::uint8_t* released = file_ ? file_->data() : nullptr;
  for (std::size_t n = 0; n < order.size(); ++n) {
    const std::size_t i = order[n];
    if (first[i] == i) convert_rows(conversions[i], parts[i]);
    const auto* end =
        static_cast<const std::uint8_t*>(conversions[i].m->data) + conversions[i].m->bytes();
    const bool last = n + 1 == order.size();
    if (file_ && (last || end - released >= kReleaseBytes) &&
        (last || conversions[order[n + 1]].m->data != conversions[i].m->data)) {
      file_->release(released, last ? file_->data() + file_->size() - released : end - released);
      released = std::max(released, end);
    }
  }
  for (std::size_t i = 0; i < conversions.size(); ++i) {
    Matrix& m = *conversions[i].m;
    m.data = parts[first[i]];
    m.dtype = conversions[i].to;
  }
}

// Blocks of rows (prefill) run the layer matrices on panels where their format has them (bf16
// everywhere, f32 and f16 on AVX-512, Q8_0 on AVX-512 VNNI: the loaded matrix itself,
// ops/panel_matmul.hpp); f32 on the other ISAs on a copy in oneDNN's blocked layout, a second
// copy of each layer matrix (Q8_0 and f16 there have none: oneDNN takes their rows expanded a
// chunk at a time). The classifier runs one row per sequence and keeps its rows only.
void Model::Impl::pack_weights() {
  const Isa isa = active_isa();
  const auto on_panels = [&](const Matrix& m) { return prefers_panels(m.dtype, isa); };
  const auto packed_bytes = [&](const Matrix& m) {
    return on_panels(m) ? panel_bytes(m) : onednn_packed_bytes(m);
  };
  std::size_t total = 0;
  for (LayerWeights& l : weights_.layers)
    for (const Matrix* m : l.matrices()) total += aligned_part(packed_bytes(*m));
  std::uint8_t* part = total > 0 ? converted_.emplace_back(total).data() : nullptr;
  for (LayerWeights& l : weights_.layers)
    for (Matrix* m : l.matrices()) {
      if (m->rows == 0) continue;  // absent
      const std::size_t bytes = packed_bytes(*m);
      if (on_panels(*m))
        m->panels = pack_panels(*m, part);  // no bytes: the loaded matrix is its panels
      else if (bytes > 0)
        m->packed = onednn_pack(*m, part);
      part += aligned_part(bytes);
    }
}

std::uint64_t Model::Impl::loaded_bytes() const {
  std::uint64_t bytes = 0;
  for (const HugePageBuffer& buffer : converted_) bytes += buffer.size();
  return bytes;
}

}  // namespace engine

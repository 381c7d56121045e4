// Reader for llama2.c checkpoints (run.c's format):
// - legacy: 7 int32 (dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size, seq_len), a
//   negative vocab_size meaning an unshared classifier follows; weights grouped by kind with the
//   RoPE tables (unused: we compute RoPE) before the classifier.
// - version 1 ("ak42" magic, fp32): a 256-byte header with the same 7 ints and a shared-classifier
//   byte; norms first, then embedding and the matrices, no RoPE tables.
#include "model/llama2c_checkpoint.hpp"

#include <fmt/format.h>

#include <cstring>

#include "engine/error.hpp"
#include "util/mapped_file.hpp"

namespace engine {
namespace {

constexpr std::uint32_t kMagicV1 = 0x616b3432;  // "ak42"
constexpr std::size_t kLegacyHeaderBytes = 7 * sizeof(std::int32_t);
constexpr std::size_t kV1HeaderBytes = 256;

std::int32_t read_i32(const std::uint8_t* p) {
  std::int32_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

[[noreturn]] void fail(const std::string& path, const std::string& problem) {
  throw Error(ErrorCode::bad_format, fmt::format("{}: {}", path, problem));
}

// A file that is neither GGUF nor llama2.c's version 1 is read as a legacy llama2.c header; when
// that header makes no sense either, the file is most likely not a model at all (text, an image).
constexpr const char* kNotAModel = "not a model file (neither GGUF nor llama2.c)";

// Rejects zero, negative and absurd hyper-parameters before any size is computed from them.
// `legacy`: the header had no version 1 magic, so a nonsense field means "not a model file".
void validate(const ModelConfig& c, const std::string& path, bool legacy) {
  struct Field {
    const char* name;
    int value;
    int max;
  };
  const Field fields[] = {{"dim", c.dim, 1 << 16},
                          {"hidden_dim", c.hidden_dim, 1 << 18},
                          {"n_layers", c.n_layers, 1 << 10},
                          {"n_heads", c.n_heads, 1 << 10},
                          {"n_kv_heads", c.n_kv_heads, 1 << 10},
                          {"vocab_size", c.vocab_size, 1 << 22},
                          {"seq_len", c.seq_len, 1 << 20}};
  for (const auto& f : fields)
    if (f.value <= 0 || f.value > f.max)
      fail(path,
           fmt::format("{}: {} = {} (expected 1..{})",
                       legacy ? kNotAModel : "not a llama2.c checkpoint", f.name, f.value, f.max));
  if (c.dim % c.n_heads != 0)
    fail(path, fmt::format("dim {} is not a multiple of n_heads {}", c.dim, c.n_heads));
  if (c.head_size() % 2 != 0)
    fail(path, fmt::format("head size {} is odd (RoPE rotates pairs)", c.head_size()));
  if (c.n_kv_heads > c.n_heads || c.n_heads % c.n_kv_heads != 0)
    fail(path,
         fmt::format("n_heads {} is not a multiple of n_kv_heads {}", c.n_heads, c.n_kv_heads));
}

// Hands out consecutive tensors from the mapped file, in floats.
class TensorCursor {
 public:
  explicit TensorCursor(const std::uint8_t* base) : base_(base) {}
  const float* take(std::uint64_t count) {
    const float* p = reinterpret_cast<const float*>(base_) + offset_;
    offset_ += count;
    return p;
  }
  void skip(std::uint64_t count) { offset_ += count; }

 private:
  const std::uint8_t* base_;
  std::uint64_t offset_ = 0;
};

}  // namespace

class Llama2cCheckpointReader {
 public:
  static void read(Model::Impl& model, const std::string& path) {
    model.file_ = std::make_unique<MappedFile>(path);
    const MappedFile& file = *model.file_;
    model.path_ = path;
    model.file_bytes_ = file.size();
    if (file.size() == 0) fail(path, "empty file");
    if (file.size() < kLegacyHeaderBytes)
      fail(path,
           fmt::format("{}: {} bytes, too small for a llama2.c header", kNotAModel, file.size()));

    ModelConfig& c = model.config_;
    const std::uint8_t* p = file.data();
    const bool v1 = read_i32(p) == static_cast<std::int32_t>(kMagicV1);
    std::size_t header = kLegacyHeaderBytes;
    if (v1) {
      if (file.size() < kV1HeaderBytes)
        fail(path, fmt::format("file is {} bytes, too small for a version 1 header", file.size()));
      const int version = read_i32(p + 4);
      if (version != 1)
        throw Error(ErrorCode::unsupported,
                    fmt::format("{}: llama2.c export version {} (only 1, fp32, is supported)", path,
                                version));
      p += 8;
      header = kV1HeaderBytes;
    }
    c.dim = read_i32(p);
    c.hidden_dim = read_i32(p + 4);
    c.n_layers = read_i32(p + 8);
    c.n_heads = read_i32(p + 12);
    c.n_kv_heads = read_i32(p + 16);
    c.vocab_size = read_i32(p + 20);
    c.seq_len = read_i32(p + 24);
    if (v1) {
      c.shared_classifier = p[28] != 0;
    } else {
      // Legacy: the sign of vocab_size says whether the classifier is shared.
      c.shared_classifier = c.vocab_size > 0;
      if (c.vocab_size < 0 && c.vocab_size != INT32_MIN) c.vocab_size = -c.vocab_size;
    }
    validate(c, path, !v1);

    const std::uint64_t expected = header + sizeof(float) * tensor_floats(c, v1);
    if (file.size() != expected)
      fail(path, fmt::format("{}: expected {} bytes for dim={} layers={} vocab={} seq_len={}, "
                             "file has {}",
                             file.size() < expected ? "truncated" : "unexpected trailing data",
                             expected, c.dim, c.n_layers, c.vocab_size, c.seq_len, file.size()));

    TensorCursor cursor(file.data() + header);
    if (v1)
      assign_v1(model.weights_, c, cursor);
    else
      assign_legacy(model.weights_, c, cursor);
  }

 private:
  struct Sizes {
    std::uint64_t layers, dim, q, kv, hidden, vocab, rope;
  };
  static Sizes sizes(const ModelConfig& c) {
    const std::uint64_t layers = c.n_layers, dim = c.dim, head = c.head_size();
    return {layers,
            dim,
            dim * head * c.n_heads,
            dim * head * c.n_kv_heads,
            dim * static_cast<std::uint64_t>(c.hidden_dim),
            dim * static_cast<std::uint64_t>(c.vocab_size),
            static_cast<std::uint64_t>(c.seq_len) * head / 2};
  }

  static std::uint64_t tensor_floats(const ModelConfig& c, bool v1) {
    const Sizes s = sizes(c);
    std::uint64_t n = s.vocab + s.layers * (2 * s.dim + 2 * s.q + 2 * s.kv + 3 * s.hidden) + s.dim;
    if (!v1) n += 2 * s.rope;
    if (!c.shared_classifier) n += s.vocab;
    return n;
  }

  // The file stores each kind of tensor for all layers together: (layer, rows, cols).
  static void take_layers(std::vector<LayerWeights>& layers, TensorCursor& t, std::uint64_t rows,
                          std::uint64_t cols, Matrix LayerWeights::*field) {
    for (LayerWeights& layer : layers)
      layer.*
          field = {t.take(rows * cols), DType::f32, static_cast<int>(rows), static_cast<int>(cols)};
  }
  static void take_layers(std::vector<LayerWeights>& layers, TensorCursor& t, std::uint64_t n,
                          const float* LayerWeights::*field) {
    for (LayerWeights& layer : layers) layer.*field = t.take(n);
  }
  static void take_matrices(std::vector<LayerWeights>& layers, const ModelConfig& c,
                            TensorCursor& t) {
    const std::uint64_t dim = c.dim, q = c.head_size() * c.n_heads, kv = c.kv_dim();
    take_layers(layers, t, q, dim, &LayerWeights::wq);
    take_layers(layers, t, kv, dim, &LayerWeights::wk);
    take_layers(layers, t, kv, dim, &LayerWeights::wv);
    take_layers(layers, t, dim, q, &LayerWeights::wo);
  }
  static void take_ffn(std::vector<LayerWeights>& layers, const ModelConfig& c, TensorCursor& t) {
    const std::uint64_t dim = c.dim, hidden = c.hidden_dim;
    take_layers(layers, t, hidden, dim, &LayerWeights::w1);
    take_layers(layers, t, dim, hidden, &LayerWeights::w2);
    take_layers(layers, t, hidden, dim, &LayerWeights::w3);
  }
  static Matrix take_vocab_matrix(const ModelConfig& c, TensorCursor& t) {
    return {t.take(static_cast<std::uint64_t>(c.vocab_size) * c.dim), DType::f32, c.vocab_size,
            c.dim};
  }

  static void assign_legacy(TransformerWeights& w, const ModelConfig& c, TensorCursor& t) {
    w.layers.resize(c.n_layers);
    w.token_embedding = take_vocab_matrix(c, t);
    take_layers(w.layers, t, c.dim, &LayerWeights::rms_att);
    take_matrices(w.layers, c, t);
    take_layers(w.layers, t, c.dim, &LayerWeights::rms_ffn);
    take_ffn(w.layers, c, t);
    w.rms_final = t.take(c.dim);
    t.skip(2 * sizes(c).rope);  // freq_cis_real, freq_cis_imag
    w.wcls = c.shared_classifier ? w.token_embedding : take_vocab_matrix(c, t);
  }

  static void assign_v1(TransformerWeights& w, const ModelConfig& c, TensorCursor& t) {
    w.layers.resize(c.n_layers);
    take_layers(w.layers, t, c.dim, &LayerWeights::rms_att);
    take_layers(w.layers, t, c.dim, &LayerWeights::rms_ffn);
    w.rms_final = t.take(c.dim);
    w.token_embedding = take_vocab_matrix(c, t);
    take_matrices(w.layers, c, t);
    take_ffn(w.layers, c, t);
    w.wcls = c.shared_classifier ? w.token_embedding : take_vocab_matrix(c, t);
  }
};

void read_llama2c_checkpoint(Model::Impl& model, const std::string& path) {
  Llama2cCheckpointReader::read(model, path);
}

}  // namespace engine

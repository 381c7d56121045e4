// engine::convert: a loaded llama model -> one GGUF file. llama2.c weights rotate consecutive
// pairs in RoPE, exactly what GGUF `llama` means, so Q/K rows are written as they are (as
// llama.cpp's own llama2c converter does).
#include "engine/convert.hpp"

#include <fmt/format.h>

#include <filesystem>

#include "convert/llama_gguf_metadata.hpp"
#include "engine/error.hpp"
#include "format/gguf_tensor_type.hpp"
#include "format/gguf_writer.hpp"
#include "model/quant_mix.hpp"
#include "model/weights.hpp"
#include "ops/matmul.hpp"
#include "ops/weight_format.hpp"
#include "tokenizer/sentencepiece_bpe.hpp"

namespace engine {
namespace {

// Adds matrix `m` as tensor `name`, converted row by row to the type file type `type` gives it
// there (model/quant_mix.hpp).
void add_matrix(GgufWriter& out, const FileType& type, TensorPlace place, const Matrix& m) {
  place.cols = static_cast<std::size_t>(m.cols);
  const WeightFormat& format = weight_format(tensor_type(type, place));
  const Matrix stored{nullptr, format.dtype, m.rows, m.cols};
  // Rows quantised on every thread (the scale searches are the slow part of a conversion), then
  // written in order.
  out.add_tensor(std::string(place.name), m.rows, m.cols, false, format.ggml_type, stored.bytes(),
                 [m, &format, bytes = stored.bytes()](const auto& write) {
                   const std::size_t row_bytes = bytes / m.rows;
                   std::vector<std::uint8_t> converted(bytes);
#pragma omp parallel
                   {
                     std::vector<float> row(m.cols);
#pragma omp for schedule(static)
                     for (int r = 0; r < m.rows; ++r) {
                       matrix_row(m, r, row.data());
                       format.quantize_row(row.data(), converted.data() + r * row_bytes,
                                           row.size());
                     }
                   }
                   write(converted.data(), converted.size());
                 });
}

void add_vector(GgufWriter& out, const std::string& name, const float* v, int n) {
  out.add_tensor(name, 1, n, true, kGgmlF32, n * sizeof(float),
                 [v, n](const auto& write) { write(v, n * sizeof(float)); });
}

}  // namespace

void convert(const Model& model, const Tokenizer& tokenizer, const std::string& path,
             const ConvertOptions& options) {
  const FileType& type = parse_file_type(options.type);
  if (model.config().architecture != Architecture::llama)
    throw Error(ErrorCode::unsupported,
                fmt::format("convert writes llama models only, and {} is {}", model.path(),
                            architecture_name(model.config().architecture)));
  const auto* vocab = dynamic_cast<const SentencePieceBpe*>(&tokenizer);
  if (!vocab)
    throw Error(ErrorCode::unsupported, "convert embeds SentencePiece-style tokenizers only");
  const ModelConfig& c = model.config();
  const TransformerWeights& w = model.weights();

  GgufWriter out(path);
  add_llama_metadata(out, c, std::filesystem::path(model.path()).stem().string());
  add_sentencepiece_vocabulary(out, *vocab);
  out.add_u32("general.file_type", type.llama_ftype);

  const auto place = [&](const std::string& name, int layer) {
    return TensorPlace{.name = name,
                       .layer = layer,
                       .n_layers = c.n_layers,
                       .kv_group = c.kv_group(),
                       .classifier = name == "output.weight" ||
                                     (c.shared_classifier && name == "token_embd.weight")};
  };
  add_matrix(out, type, place("token_embd.weight", -1), w.token_embedding);
  for (int l = 0; l < c.n_layers; ++l) {
    const LayerWeights& lw = w.layers[l];
    const std::string blk = fmt::format("blk.{}.", l);
    const auto add = [&](const char* name, const Matrix& m) {
      add_matrix(out, type, place(blk + name + ".weight", l), m);
    };
    add_vector(out, blk + "attn_norm.weight", lw.rms_att, c.dim);
    add("attn_q", lw.wq);
    add("attn_k", lw.wk);
    add("attn_v", lw.wv);
    add("attn_output", lw.wo);
    add_vector(out, blk + "ffn_norm.weight", lw.rms_ffn, c.dim);
    add("ffn_gate", lw.w1);
    add("ffn_down", lw.w2);
    add("ffn_up", lw.w3);
  }
  add_vector(out, "output_norm.weight", w.rms_final, c.dim);
  if (!c.shared_classifier) add_matrix(out, type, place("output.weight", -1), w.wcls);
  out.write(options.progress);
}

}  // namespace engine

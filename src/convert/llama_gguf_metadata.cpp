#include "convert/llama_gguf_metadata.hpp"

namespace engine {

void add_llama_metadata(GgufWriter& out, const ModelConfig& c, std::string_view name) {
  out.add_string("general.architecture", "llama");
  out.add_string("general.name", name);
  out.add_u32("general.alignment", 32);
  out.add_u32("llama.context_length", c.seq_len);
  out.add_u32("llama.embedding_length", c.dim);
  out.add_u32("llama.block_count", c.n_layers);
  out.add_u32("llama.feed_forward_length", c.hidden_dim);
  out.add_u32("llama.attention.head_count", c.n_heads);
  out.add_u32("llama.attention.head_count_kv", c.n_kv_heads);
  out.add_u32("llama.rope.dimension_count", c.head_size());
  out.add_f32("llama.attention.layer_norm_rms_epsilon", c.norm_eps);
  out.add_f32("llama.rope.freq_base", c.rope_theta);
  out.add_u32("llama.vocab_size", c.vocab_size);
}

void add_sentencepiece_vocabulary(GgufWriter& out, const SentencePieceBpe& vocab) {
  std::vector<std::string> tokens;
  std::vector<float> scores;
  std::vector<std::int32_t> types;
  for (const VocabEntry& e : vocab.entries()) {
    tokens.push_back(e.piece);
    scores.push_back(e.score);
    types.push_back(static_cast<std::int32_t>(e.type));  // the same numbering in GGUF
  }
  out.add_string("tokenizer.ggml.model", "llama");
  out.add_strings("tokenizer.ggml.tokens", tokens);
  out.add_f32s("tokenizer.ggml.scores", scores);
  out.add_i32s("tokenizer.ggml.token_type", types);
  out.add_u32("tokenizer.ggml.bos_token_id", vocab.bos_id());
  out.add_u32("tokenizer.ggml.eos_token_id", vocab.eos_id());
  for (std::size_t id = 0; id < vocab.entries().size(); ++id)
    if (vocab.entries()[id].type == PieceType::unknown)
      out.add_u32("tokenizer.ggml.unknown_token_id", static_cast<std::uint32_t>(id));
  out.add_bool("tokenizer.ggml.add_bos_token", true);
}

}  // namespace engine

// The file types `engine convert --type` writes, and the type each matrix gets in one: llama.cpp's
// mixes (llama_tensor_get_type in llama-quant.cpp), so a converted file has the tensor types a
// file of that name from llama.cpp has. The rule (docs/design.md): the classifier (output.weight,
// or a tied token_embd.weight) in Q6_K unless the base type is Q8_0; in Q4_K_M and Q5_K_M,
// attn_v and ffn_down in Q6_K in the first and last eighth of the layers and every third layer
// between; Q3_K_M and Q2_K raise attn_v, ffn_down and attn_output a step; every other matrix in
// the base type; a K-quant matrix whose rows are not whole 256-value blocks falls back to Q5_0,
// Q5_1 or Q8_0 (then F16) as llama.cpp does.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "engine/dtype.hpp"

namespace engine {

/// How a file type picks types beyond its base type.
enum class MixRule : std::uint8_t {
  none,    // f32, f16, bf16: every matrix as it is
  single,  // the base type, the classifier in Q6_K (Q4_0 ... Q6_K, Q8_0)
  q2_k,
  q3_k_m,
  k_m,  // Q4_K_M, Q5_K_M
};

struct FileType {
  std::string_view name;  // as --type spells it
  DType base;
  MixRule rule;
  std::uint32_t llama_ftype;  // general.file_type, llama.cpp's LLAMA_FTYPE_* number
};

/// Every file type, f32 first.
std::span<const FileType> file_types();
/// The file type called `name` (any case); an unknown name throws invalid_argument listing them.
const FileType& parse_file_type(std::string_view name);

/// Where a matrix sits in a llama model: what the mix rules look at.
struct TensorPlace {
  std::string_view name;         // its GGUF name: "blk.3.attn_v.weight", "output.weight", ...
  int layer = -1, n_layers = 0;  // layer -1: outside the layers
  int kv_group = 1;              // query heads per key/value head
  std::size_t cols = 0;          // a row's values
  bool classifier = false;  // output.weight, or a token_embd.weight that is also the classifier
};

/// The type file type `t` writes the matrix at `place` in. Throws unsupported when llama.cpp's
/// fallback for rows that are not whole blocks is a type the engine does not write (IQ4_NL).
DType tensor_type(const FileType& t, const TensorPlace& place);

}  // namespace engine

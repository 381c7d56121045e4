#include "model/quant_mix.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <string>
#include <vector>

#include "engine/error.hpp"
#include "ops/weight_format.hpp"

namespace engine {
namespace {

constexpr std::array<FileType, 13> kFileTypes = {{
    {"f32", DType::f32, MixRule::none, 0},
    {"f16", DType::f16, MixRule::none, 1},
    {"bf16", DType::bf16, MixRule::none, 32},
    {"q8_0", DType::q8_0, MixRule::single, 7},
    {"q4_0", DType::q4_0, MixRule::single, 2},
    {"q4_1", DType::q4_1, MixRule::single, 3},
    {"q5_0", DType::q5_0, MixRule::single, 8},
    {"q5_1", DType::q5_1, MixRule::single, 9},
    {"q2_k", DType::q2_k, MixRule::q2_k, 10},
    {"q3_k_m", DType::q3_k, MixRule::q3_k_m, 12},
    {"q4_k_m", DType::q4_k, MixRule::k_m, 15},
    {"q5_k_m", DType::q5_k, MixRule::k_m, 17},
    {"q6_k", DType::q6_k, MixRule::single, 18},
}};

bool contains(std::string_view name, std::string_view part) {
  return name.find(part) != std::string_view::npos;
}

// llama.cpp's use_more_bits: the first and last eighth of the layers and every third between.
bool more_bits(int layer, int n_layers) {
  return layer < n_layers / 8 || layer >= 7 * n_layers / 8 || (layer - n_layers / 8) % 3 == 2;
}

// The type the rule gives before llama.cpp checks that rows are whole blocks of it.
DType chosen_type(const FileType& t, const TensorPlace& p) {
  const int layer = p.layer, n = p.n_layers;
  if (p.classifier) {
    if (!whole_blocks(weight_format(t.base), p.cols)) return DType::q8_0;
    return t.base == DType::q8_0 ? DType::q8_0 : DType::q6_k;
  }
  if (contains(p.name, "attn_v.weight")) {
    if (t.rule == MixRule::q2_k) return p.kv_group >= 4 ? DType::q4_k : DType::q3_k;
    if (t.rule == MixRule::q3_k_m) return layer < 2 ? DType::q5_k : DType::q4_k;
    if (t.rule == MixRule::k_m && more_bits(layer, n)) return DType::q6_k;
  } else if (contains(p.name, "ffn_down")) {
    if (t.rule == MixRule::q2_k) return DType::q3_k;
    if (t.rule == MixRule::q3_k_m) return layer < n / 16 ? DType::q5_k : DType::q4_k;
    if (t.rule == MixRule::k_m && more_bits(layer, n)) return DType::q6_k;
  } else if (contains(p.name, "attn_output.weight")) {
    if (t.rule == MixRule::q2_k) return DType::q3_k;
    if (t.rule == MixRule::q3_k_m) return DType::q4_k;
  }
  return t.base;
}

}  // namespace

std::span<const FileType> file_types() {
  return kFileTypes;
}

const FileType& parse_file_type(std::string_view name) {
  std::string lower(name);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  std::vector<std::string_view> names;
  for (const FileType& t : file_types()) {
    if (t.name == lower) return t;
    names.push_back(t.name);
  }
  throw Error(ErrorCode::invalid_argument,
              fmt::format("unknown file type '{}' (expected {})", name, fmt::join(names, "|")));
}

DType tensor_type(const FileType& t, const TensorPlace& place) {
  if (t.rule == MixRule::none) return t.base;
  DType type = chosen_type(t, place);
  if (whole_blocks(weight_format(type), place.cols)) return type;
  // llama.cpp's fallbacks for rows that are not whole blocks of the chosen type.
  switch (type) {
    case DType::q4_k:
      type = DType::q5_0;
      break;
    case DType::q5_k:
      type = DType::q5_1;
      break;
    case DType::q6_k:
      type = DType::q8_0;
      break;
    case DType::q2_k:
    case DType::q3_k:
      throw Error(ErrorCode::unsupported,
                  fmt::format("{}: rows of {} values are not whole {} blocks, and llama.cpp's "
                              "fallback (iq4_nl) is not a type the engine writes",
                              place.name, place.cols, dtype_name(type)));
    default:  // Q4_0 ... Q8_0: llama.cpp refuses the file; the matrix stays f32 instead
      return DType::f32;
  }
  return whole_blocks(weight_format(type), place.cols) ? type : DType::f16;
}

}  // namespace engine

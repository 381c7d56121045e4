// Block layouts of the ggml types (ggml_type_traits in ggml.c): sizes follow from the block
// structs, e.g. Q8_0 = one f16 scale + 32 int8, Q4_K = 2 f16 + 12 scale bytes + 128 nibble bytes.
#include "format/gguf_tensor_type.hpp"

#include <array>

namespace engine {
namespace {

struct Entry {
  std::uint32_t type;
  GgmlTypeInfo info;
};

constexpr std::uint32_t kQK = 32;     // elements per block of the legacy quantizations
constexpr std::uint32_t kQK_K = 256;  // elements per super-block of the k- and i-quants

constexpr std::array kTypes = {
    Entry{0, {"f32", 1, 4}},           Entry{1, {"f16", 1, 2}},
    Entry{2, {"q4_0", kQK, 18}},       Entry{3, {"q4_1", kQK, 20}},
    Entry{6, {"q5_0", kQK, 22}},       Entry{7, {"q5_1", kQK, 24}},
    Entry{8, {"q8_0", kQK, 34}},       Entry{9, {"q8_1", kQK, 36}},
    Entry{10, {"q2_K", kQK_K, 84}},    Entry{11, {"q3_K", kQK_K, 110}},
    Entry{12, {"q4_K", kQK_K, 144}},   Entry{13, {"q5_K", kQK_K, 176}},
    Entry{14, {"q6_K", kQK_K, 210}},   Entry{15, {"q8_K", kQK_K, 292}},
    Entry{16, {"iq2_xxs", kQK_K, 66}}, Entry{17, {"iq2_xs", kQK_K, 74}},
    Entry{18, {"iq3_xxs", kQK_K, 98}}, Entry{19, {"iq1_s", kQK_K, 50}},
    Entry{20, {"iq4_nl", kQK, 18}},    Entry{21, {"iq3_s", kQK_K, 110}},
    Entry{22, {"iq2_s", kQK_K, 82}},   Entry{23, {"iq4_xs", kQK_K, 136}},
    Entry{24, {"i8", 1, 1}},           Entry{25, {"i16", 1, 2}},
    Entry{26, {"i32", 1, 4}},          Entry{27, {"i64", 1, 8}},
    Entry{28, {"f64", 1, 8}},          Entry{29, {"iq1_m", kQK_K, 56}},
    Entry{30, {"bf16", 1, 2}},         Entry{34, {"tq1_0", kQK_K, 54}},
    Entry{35, {"tq2_0", kQK_K, 66}},   Entry{39, {"mxfp4", kQK, 17}},
};

}  // namespace

std::optional<GgmlTypeInfo> ggml_type_info(std::uint32_t type) {
  for (const Entry& e : kTypes)
    if (e.type == type) return e.info;
  return std::nullopt;
}

}  // namespace engine

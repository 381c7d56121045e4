// The ggml tensor element types a GGUF file may list, with the block layout needed to size a
// tensor of any of them: the reader bounds-checks every tensor, runnable by the engine or not.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace engine {

/// ggml_type numbers of the types the engine has a DType for.
inline constexpr std::uint32_t kGgmlF32 = 0;
inline constexpr std::uint32_t kGgmlF16 = 1;
inline constexpr std::uint32_t kGgmlQ8_0 = 8;
inline constexpr std::uint32_t kGgmlBf16 = 30;

/// How a ggml type stores elements: whole blocks of `block_elements` in `block_bytes` each.
struct GgmlTypeInfo {
  std::string_view name;
  std::uint32_t block_elements;
  std::uint32_t block_bytes;
};

/// The layout of ggml type number `type`, or nullopt for numbers no current ggml type has
/// (never assigned, or removed like Q4_2 and the repacked Q4_0_4_4 family).
std::optional<GgmlTypeInfo> ggml_type_info(std::uint32_t type);

}  // namespace engine

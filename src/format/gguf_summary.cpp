#include "engine/model/gguf_summary.hpp"

#include <fmt/format.h>

#include <map>
#include <string_view>

#include "format/gguf_file.hpp"
#include "util/mapped_file.hpp"

namespace engine {

GgufSummary summarize_gguf(const std::string& path) {
  const MappedFile file(path);
  const GgufFile gguf({file.data(), file.size()}, path);
  GgufSummary summary;
  summary.version = gguf.version();
  std::map<std::string_view, int> counts;
  for (const GgufTensorInfo& t : gguf.tensors()) ++counts[t.layout.name];
  for (const auto& [name, count] : counts) summary.tensor_types.emplace_back(name, count);
  if (const auto model = gguf.find<std::string_view>("tokenizer.ggml.model"))
    summary.tokenizer_model = std::string(*model);
  summary.has_chat_template = gguf.find_value("tokenizer.chat_template") != nullptr;
  summary.has_long_rope_factors = gguf.find_tensor("rope_factors_long.weight") != nullptr;
  if (const auto arch = gguf.find<std::string_view>("general.architecture"))
    summary.original_context_length =
        gguf.find<std::uint64_t>(fmt::format("{}.rope.scaling.original_context_length", *arch));
  return summary;
}

}  // namespace engine

// llama.cpp's tokenizer test vectors (models/llamacpp-vocab/*.inp/.out): the format is described
// in /work/shared/models/llamacpp-vocab/FORMAT.md. Each .inp test is followed by the separator;
// each .out line holds " id" per token.
#pragma once

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "test_paths.hpp"

namespace engine::test {

struct VectorCase {
  std::string text;
  std::vector<int> ids;
};

inline std::string read_text_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

/// The cases of `vocab` (e.g. "ggml-vocab-llama-spm.gguf"), in file order.
inline std::vector<VectorCase> read_llamacpp_vectors(const std::string& vocab) {
  const std::string inp = read_text_file(require_model("llamacpp-vocab/" + vocab + ".inp"));
  const std::string out = read_text_file(require_model("llamacpp-vocab/" + vocab + ".out"));
  const std::string separator = "\n__ggml_vocab_test__\n";
  std::vector<VectorCase> cases;
  for (std::size_t pos = 0; pos < inp.size();) {
    const std::size_t end = inp.find(separator, pos);
    if (end == std::string::npos) break;
    cases.push_back({inp.substr(pos, end - pos), {}});
    pos = end + separator.size();
  }
  std::istringstream lines(out);
  std::string line;
  for (VectorCase& c : cases) {
    if (!std::getline(lines, line)) break;
    std::istringstream ids(line);
    for (int id; ids >> id;) c.ids.push_back(id);
  }
  return cases;
}

}  // namespace engine::test

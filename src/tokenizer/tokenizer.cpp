// The format-independent part of the Tokenizer interface.
#include "engine/tokenizer.hpp"

#include <algorithm>

namespace engine {

std::string Tokenizer::decode(std::span<const int> tokens) const {
  std::string text;
  // A sequence starts as if it followed BOS, so the first token loses the dummy-prefix space
  // whether or not BOS is included: SentencePiece's DecodeIds does the same.
  int prev = bos_id();
  for (const int token : tokens) {
    text += decode(prev, token);
    prev = token;
  }
  return text;
}

bool Tokenizer::is_end_of_generation(int id) const {
  const std::vector<int>& ids = end_of_generation_ids();
  return std::binary_search(ids.begin(), ids.end(), id);
}

}  // namespace engine

// Special tokens in text and at the end of generation, shared by both vocabulary kinds.
#pragma once

#include <array>
#include <functional>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

namespace engine {

/// Finds special tokens written in text, leftmost-longest as Hugging Face's added-token matcher
/// does: some are always matched (user-defined tokens), the others only when specials are parsed.
class SpecialTokenMatcher {
 public:
  /// A run of plain text (id < 0) or one special token written in the text.
  struct Fragment {
    std::string_view text;
    int id = -1;
  };

  /// Adds the token `text` (not empty) with id `id`; `always`: matched without parse_special.
  void add(std::string text, int id, bool always);
  /// `text` cut into plain runs and the special tokens in it (no empty fragments).
  std::vector<Fragment> split(std::string_view text, bool parse_special) const;

 private:
  struct Entry {
    std::string text;
    int id;
    bool always;
  };
  // By first byte, longest first.
  std::array<std::vector<Entry>, 256> by_first_byte_;
};

/// The sorted, distinct ids that end generation: the valid ones of `ids` (EOS, EOT, EOM; -1 is
/// none) and every token whose text llama.cpp recognises as an end of turn or of text.
std::vector<int> find_end_of_generation_ids(int vocab_size,
                                            const std::function<std::string_view(int)>& text_of,
                                            std::initializer_list<int> ids);

}  // namespace engine

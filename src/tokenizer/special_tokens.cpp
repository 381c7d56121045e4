#include "tokenizer/special_tokens.hpp"

#include <algorithm>

namespace engine {

void SpecialTokenMatcher::add(std::string text, int id, bool always) {
  auto& entries = by_first_byte_[static_cast<unsigned char>(text.front())];
  const auto longer = [](const Entry& a, const Entry& b) { return a.text.size() > b.text.size(); };
  Entry entry{std::move(text), id, always};
  entries.insert(std::upper_bound(entries.begin(), entries.end(), entry, longer), std::move(entry));
}

std::vector<SpecialTokenMatcher::Fragment> SpecialTokenMatcher::split(std::string_view text,
                                                                      bool parse_special) const {
  std::vector<Fragment> fragments;
  std::size_t plain = 0;
  for (std::size_t pos = 0; pos < text.size();) {
    const Entry* found = nullptr;
    for (const Entry& e : by_first_byte_[static_cast<unsigned char>(text[pos])]) {
      if ((e.always || parse_special) && text.substr(pos).starts_with(e.text)) {
        found = &e;
        break;
      }
    }
    if (!found) {
      ++pos;
      continue;
    }
    if (plain < pos) fragments.push_back({text.substr(plain, pos - plain)});
    fragments.push_back({text.substr(pos, found->text.size()), found->id});
    pos = plain = pos + found->text.size();
  }
  if (plain < text.size()) fragments.push_back({text.substr(plain)});
  return fragments;
}

std::vector<int> find_end_of_generation_ids(int vocab_size,
                                            const std::function<std::string_view(int)>& text_of,
                                            std::initializer_list<int> ids) {
  // llama.cpp's list (src/llama-vocab.cpp, special_eog_ids): end-of-turn and end-of-text tokens
  // of the common chat formats, and the FIM padding, repository and file-separator tokens.
  static constexpr std::string_view kTexts[] = {
      "<|eot_id|>",   "<|im_end|>",    "<|end|>",     "<end_of_turn>", "<|endoftext|>",
      "<|eom_id|>",   "<EOT>",         "<|fim_pad|>", "<fim-pad>",     "<PAD>",
      "<|fim_repo|>", "<|repo_name|>", "<fim-repo>",  "<REPO>",        "<|file_sep|>",
  };
  std::vector<int> eog;
  for (const int id : ids)
    if (id >= 0 && id < vocab_size) eog.push_back(id);
  for (int id = 0; id < vocab_size; ++id) {
    const std::string_view text = text_of(id);
    if (text.starts_with('<') &&
        std::find(std::begin(kTexts), std::end(kTexts), text) != std::end(kTexts))
      eog.push_back(id);
  }
  std::sort(eog.begin(), eog.end());
  eog.erase(std::unique(eog.begin(), eog.end()), eog.end());
  return eog;
}

}  // namespace engine

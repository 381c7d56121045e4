// Byte-level BPE encoding with a priority queue over a linked list of symbols, as Hugging Face's
// tokenizers (BPE word merges) does: the lowest-ranked adjacent pair merges first, the leftmost
// of equal ranks first, so encoding equals GPT-2's reference ids.
#include "tokenizer/byte_level_bpe.hpp"

#include <fmt/format.h>

#include <limits>
#include <queue>

#include "engine/error.hpp"
#include "tokenizer/gpt2_pretokenizer.hpp"
#include "tokenizer/sentencepiece_normalizer.hpp"

namespace engine {
namespace {

[[noreturn]] void fail(std::string_view source, const std::string& problem) {
  throw Error(ErrorCode::bad_format, fmt::format("{}: {}", source, problem));
}

std::string utf8(char32_t c) {
  std::string out;
  if (c < 0x80) {
    out += static_cast<char>(c);
  } else if (c < 0x800) {
    out += static_cast<char>(0xC0 | (c >> 6));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else {
    out += static_cast<char>(0xE0 | (c >> 12));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  }
  return out;
}

// GPT-2's bytes_to_unicode: printable Latin-1 bytes stand for themselves, the 68 others (control
// characters, space, DEL, NBSP, soft hyphen) for U+0100 onwards, in byte order.
struct ByteAlphabet {
  std::array<std::string, 256> spelling;
  std::unordered_map<std::string, std::uint8_t> byte_of;

  ByteAlphabet() {
    char32_t next = 0x100;
    for (int b = 0; b < 256; ++b) {
      const bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || b >= 0xAE;
      spelling[b] = utf8(printable ? static_cast<char32_t>(b) : next++);
      byte_of.emplace(spelling[b], static_cast<std::uint8_t>(b));
    }
  }
};

const ByteAlphabet& alphabet() {
  static const ByteAlphabet instance;
  return instance;
}

// The bytes a token stands for. A character outside the byte alphabet (possible in added
// tokens) stands for its own UTF-8 bytes.
std::string token_bytes(std::string_view token) {
  std::string out;
  for (std::size_t pos = 0; pos < token.size();) {
    const std::size_t size = std::max<std::size_t>(1, utf8_char_size(token.substr(pos)));
    const std::string c(token.substr(pos, size));
    const auto it = alphabet().byte_of.find(c);
    out += it != alphabet().byte_of.end() ? std::string(1, static_cast<char>(it->second)) : c;
    pos += size;
  }
  return out;
}

std::uint64_t pair_key(int left, int right) {
  return static_cast<std::uint64_t>(left) << 32 | static_cast<std::uint32_t>(right);
}

}  // namespace

ByteLevelBpe::ByteLevelBpe(ByteLevelVocabulary vocab, std::string_view source)
    : tokens_(std::move(vocab.tokens)),
      bos_id_(vocab.bos_id),
      eos_id_(vocab.eos_id),
      add_bos_(vocab.add_bos) {
  if (tokens_.empty()) fail(source, "the vocabulary is empty");
  if (tokens_.size() > static_cast<std::size_t>(std::numeric_limits<int>::max()))
    fail(source, fmt::format("{} tokens do not fit in int token ids", tokens_.size()));
  if (!vocab.types.empty() && vocab.types.size() != tokens_.size())
    fail(source, fmt::format("{} token types for {} tokens", vocab.types.size(), tokens_.size()));
  std::unordered_map<std::string_view, int> ids;
  bytes_.reserve(tokens_.size());
  control_.resize(tokens_.size());
  for (int id = 0; id < vocab_size(); ++id) {
    if (tokens_[id].empty()) fail(source, fmt::format("token {} is empty", id));
    if (const auto [it, inserted] = ids.emplace(tokens_[id], id); !inserted)
      fail(source,
           fmt::format("token '{}' is defined twice (ids {} and {})", tokens_[id], it->second, id));
    bytes_.push_back(token_bytes(tokens_[id]));
    control_[id] = !vocab.types.empty() && vocab.types[id] == PieceType::control;
  }
  for (int b = 0; b < 256; ++b) {
    const auto it = ids.find(alphabet().spelling[b]);
    if (it == ids.end())
      fail(source, fmt::format("no token for byte 0x{:02X}: not a byte-level vocabulary", b));
    byte_token_[b] = it->second;
  }
  for (std::size_t rank = 0; rank < vocab.merges.size(); ++rank) {
    const std::string_view merge = vocab.merges[rank];
    const std::size_t space = merge.find(' ');
    const auto left = ids.find(merge.substr(0, space));
    const auto right =
        space == std::string_view::npos ? ids.end() : ids.find(merge.substr(space + 1));
    const auto result = left == ids.end() || right == ids.end()
                            ? ids.end()
                            : ids.find(std::string(left->first) + std::string(right->first));
    if (result == ids.end())
      fail(source,
           fmt::format("merge {} '{}' is not two tokens that join into a token", rank, merge));
    // A repeated pair keeps its first (best) rank.
    merges_.emplace(pair_key(left->second, right->second),
                    Merge{static_cast<int>(rank), result->second});
  }
  for (const auto& [name, id] : {std::pair{"bos_id", bos_id_}, std::pair{"eos_id", eos_id_}})
    if (id < -1 || id >= vocab_size())
      fail(source, fmt::format("{} {} is out of range for {} tokens", name, id, vocab_size()));
}

void ByteLevelBpe::check_id(int id) const {
  if (id < 0 || id >= vocab_size())
    throw Error(ErrorCode::invalid_argument,
                fmt::format("token id {} is out of range [0, {})", id, vocab_size()));
}

std::string_view ByteLevelBpe::piece(int id) const {
  check_id(id);
  return tokens_[id];
}

std::string ByteLevelBpe::decode(int /*prev_token*/, int token) const {
  check_id(token);
  return control_[token] ? std::string() : bytes_[token];
}

void ByteLevelBpe::encode_word(std::string_view word, std::vector<int>& ids) const {
  struct Symbol {
    int id;
    int prev;
    int next;
  };
  std::vector<Symbol> symbols;
  symbols.reserve(word.size());
  for (std::size_t i = 0; i < word.size(); ++i)
    symbols.push_back({byte_token_[static_cast<std::uint8_t>(word[i])], static_cast<int>(i) - 1,
                       i + 1 < word.size() ? static_cast<int>(i) + 1 : -1});

  struct Candidate {
    int rank;
    int left;
    int left_id;
    int right_id;
    int result;
  };
  // Lowest rank first, then leftmost.
  const auto later = [](const Candidate& a, const Candidate& b) {
    return a.rank > b.rank || (a.rank == b.rank && a.left > b.left);
  };
  std::priority_queue<Candidate, std::vector<Candidate>, decltype(later)> agenda(later);
  const auto add_candidate = [&](int left) {
    if (left < 0 || symbols[left].next < 0) return;
    const int right_id = symbols[symbols[left].next].id;
    const auto it = merges_.find(pair_key(symbols[left].id, right_id));
    if (it != merges_.end())
      agenda.push({it->second.rank, left, symbols[left].id, right_id, it->second.result});
  };
  for (int i = 0; i + 1 < static_cast<int>(symbols.size()); ++i) add_candidate(i);
  while (!agenda.empty()) {
    const Candidate top = agenda.top();
    agenda.pop();
    Symbol& left = symbols[top.left];
    // Stale: either side has merged since this pair was queued.
    if (left.id != top.left_id || left.next < 0 || symbols[left.next].id != top.right_id) continue;
    const Symbol right = symbols[left.next];
    symbols[left.next].id = -1;
    left.id = top.result;
    left.next = right.next;
    if (right.next >= 0) symbols[right.next].prev = top.left;
    add_candidate(left.prev);
    add_candidate(top.left);
  }
  for (int i = symbols.empty() ? -1 : 0; i >= 0; i = symbols[i].next) ids.push_back(symbols[i].id);
}

std::vector<int> ByteLevelBpe::encode(std::string_view text, bool add_bos, bool add_eos) const {
  std::vector<int> ids;
  if (add_bos && add_bos_ && bos_id_ >= 0) ids.push_back(bos_id_);
  for (const std::string_view word : gpt2_pretokenize(text)) encode_word(word, ids);
  if (add_eos && eos_id_ >= 0) ids.push_back(eos_id_);
  return ids;
}

}  // namespace engine

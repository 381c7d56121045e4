// Byte-level BPE encoding with a priority queue over a linked list of symbols, as Hugging Face's
// tokenizers (BPE word merges) does: the lowest-ranked adjacent pair merges first, the leftmost
// of equal ranks first, so encoding equals GPT-2's reference ids.
#include "tokenizer/byte_level_bpe.hpp"

#include <fmt/format.h>

#include <limits>
#include <queue>

#include "engine/error.hpp"
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
// Every spelling is below U+0144, so one or two UTF-8 bytes.
struct ByteAlphabet {
  static constexpr char32_t kEnd = 0x144;
  std::array<std::string, 256> spelling;
  std::array<int, kEnd> byte_of;  // -1: the code point spells no byte

  ByteAlphabet() {
    byte_of.fill(-1);
    char32_t next = 0x100;
    for (int b = 0; b < 256; ++b) {
      const bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || b >= 0xAE;
      const char32_t code = printable ? static_cast<char32_t>(b) : next++;
      spelling[b] = utf8(code);
      byte_of[code] = b;
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
  const ByteAlphabet& a = alphabet();
  std::string out;
  out.reserve(token.size());
  for (std::size_t pos = 0; pos < token.size();) {
    const std::size_t size = std::max<std::size_t>(1, utf8_char_size(token.substr(pos)));
    const auto byte = [&](std::size_t i) { return static_cast<char32_t>(token[pos + i] & 0xFF); };
    const char32_t code = size == 1   ? byte(0)
                          : size == 2 ? (byte(0) & 0x1F) << 6 | (byte(1) & 0x3F)
                                      : ByteAlphabet::kEnd;
    if (code < ByteAlphabet::kEnd && a.byte_of[code] >= 0) {
      out += static_cast<char>(a.byte_of[code]);
    } else {
      out += token.substr(pos, size);
    }
    pos += size;
  }
  return out;
}

}  // namespace

ByteLevelBpe::ByteLevelBpe(ByteLevelVocabulary vocab, std::string_view source)
    : tokens_(std::move(vocab.tokens)),
      ignore_merges_(vocab.ignore_merges),
      pre_tokenizer_(vocab.pre_tokenizer),
      pre_tokenizer_name_(std::move(vocab.pre_tokenizer_name)),
      bos_id_(vocab.bos_id),
      eos_id_(vocab.eos_id),
      add_bos_(vocab.add_bos),
      add_eos_(vocab.add_eos),
      source_(source) {
  if (tokens_.empty()) fail(source, "the vocabulary is empty");
  if (tokens_.size() > static_cast<std::size_t>(std::numeric_limits<int>::max()))
    fail(source, fmt::format("{} tokens do not fit in int token ids", tokens_.size()));
  if (!vocab.types.empty() && vocab.types.size() != tokens_.size())
    fail(source, fmt::format("{} token types for {} tokens", vocab.types.size(), tokens_.size()));
  types_ = vocab.types.empty() ? std::vector<PieceType>(tokens_.size(), PieceType::normal)
                               : std::move(vocab.types);
  ids_.reserve(tokens_.size());
  bytes_.reserve(tokens_.size());
  for (int id = 0; id < vocab_size(); ++id) {
    if (tokens_[id].empty()) fail(source, fmt::format("token {} is empty", id));
    if (const auto [it, inserted] = ids_.emplace(tokens_[id], id); !inserted)
      fail(source,
           fmt::format("token '{}' is defined twice (ids {} and {})", tokens_[id], it->second, id));
    const PieceType type = types_[id];
    // llama.cpp writes user-defined tokens as they appear in text, not in the byte spelling.
    bytes_.push_back(type == PieceType::user_defined ? tokens_[id] : token_bytes(tokens_[id]));
    if (type == PieceType::user_defined || type == PieceType::control || type == PieceType::unknown)
      specials_.add(tokens_[id], id, type == PieceType::user_defined);
  }
  for (int b = 0; b < 256; ++b) {
    const auto it = ids_.find(alphabet().spelling[b]);
    byte_token_[b] = it == ids_.end() ? -1 : it->second;
  }
  merges_ = std::move(vocab.merges);
  merge_ranks_.reserve(merges_.size());
  for (std::size_t rank = 0; rank < merges_.size(); ++rank) {
    // The separator is the first space after the first character, as llama.cpp splits.
    const std::size_t space = merges_[rank].find(' ', 1);
    if (space == std::string::npos || space + 1 == merges_[rank].size())
      fail(source, fmt::format("merge {} '{}' is not two tokens", rank, merges_[rank]));
    // A repeated merge keeps its first (best) rank.
    merge_ranks_.emplace(merges_[rank], static_cast<int>(rank));
  }
  for (const auto& [name, id] :
       {std::pair{"bos_id", bos_id_}, std::pair{"eos_id", eos_id_},
        std::pair{"eot_id", vocab.eot_id}, std::pair{"eom_id", vocab.eom_id}})
    if (id < -1 || id >= vocab_size())
      fail(source, fmt::format("{} {} is out of range for {} tokens", name, id, vocab_size()));
  end_of_generation_ = find_end_of_generation_ids(
      vocab_size(), [&](int id) { return std::string_view(tokens_[id]); },
      {eos_id_, vocab.eot_id, vocab.eom_id});
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
  const PieceType type = types_[token];
  const bool silent =
      type == PieceType::control || type == PieceType::unknown || type == PieceType::unused;
  return silent ? std::string() : bytes_[token];
}

void ByteLevelBpe::encode_word(std::string_view word, std::vector<int>& ids) const {
  struct Symbol {
    int id;
    int prev;
    int next;
  };
  std::vector<Symbol> symbols;
  symbols.reserve(word.size());
  for (std::size_t i = 0; i < word.size(); ++i) {
    const auto byte = static_cast<std::uint8_t>(word[i]);
    if (byte_token_[byte] < 0)
      throw Error(
          ErrorCode::invalid_argument,
          fmt::format("the text needs byte 0x{:02X}, which the vocabulary has no token for", byte));
    symbols.push_back({byte_token_[byte], static_cast<int>(i) - 1,
                       i + 1 < word.size() ? static_cast<int>(i) + 1 : -1});
  }

  struct Candidate {
    int rank;
    int left;
    int left_id;
    int right_id;
  };
  // Lowest rank first, then leftmost.
  const auto later = [](const Candidate& a, const Candidate& b) {
    return a.rank > b.rank || (a.rank == b.rank && a.left > b.left);
  };
  std::priority_queue<Candidate, std::vector<Candidate>, decltype(later)> agenda(later);
  std::string key;
  const auto add_candidate = [&](int left) {
    if (left < 0 || symbols[left].next < 0) return;
    const int left_id = symbols[left].id;
    const int right_id = symbols[symbols[left].next].id;
    key.assign(tokens_[left_id]).append(" ").append(tokens_[right_id]);
    const auto it = merge_ranks_.find(key);
    if (it != merge_ranks_.end()) agenda.push({it->second, left, left_id, right_id});
  };
  for (int i = 0; i + 1 < static_cast<int>(symbols.size()); ++i) add_candidate(i);
  while (!agenda.empty()) {
    const Candidate top = agenda.top();
    agenda.pop();
    Symbol& left = symbols[top.left];
    // Stale: either side has merged since this pair was queued.
    if (left.id != top.left_id || left.next < 0 || symbols[left.next].id != top.right_id) continue;
    key.assign(tokens_[top.left_id]).append(tokens_[top.right_id]);
    const auto result = ids_.find(key);
    if (result == ids_.end())
      throw Error(ErrorCode::bad_format,
                  fmt::format("{}: merge {} '{}' does not join two tokens into a token", source_,
                              top.rank, merges_[top.rank]));
    const Symbol right = symbols[left.next];
    symbols[left.next].id = -1;
    left.id = result->second;
    left.next = right.next;
    if (right.next >= 0) symbols[right.next].prev = top.left;
    add_candidate(left.prev);
    add_candidate(top.left);
  }
  for (int i = symbols.empty() ? -1 : 0; i >= 0; i = symbols[i].next) ids.push_back(symbols[i].id);
}

void ByteLevelBpe::encode_text(std::string_view text, std::vector<int>& ids) const {
  std::string spelled;
  for (const std::string_view word : pretokenize(pre_tokenizer_, text)) {
    if (ignore_merges_) {
      spelled.clear();
      for (const char c : word) spelled += alphabet().spelling[static_cast<std::uint8_t>(c)];
      if (const auto it = ids_.find(spelled);
          it != ids_.end() && types_[it->second] == PieceType::normal) {
        ids.push_back(it->second);
        continue;
      }
    }
    encode_word(word, ids);
  }
}

std::vector<int> ByteLevelBpe::encode(std::string_view text, const EncodeOptions& options) const {
  std::vector<int> ids;
  if (options.add_bos && add_bos_ && bos_id_ >= 0) ids.push_back(bos_id_);
  for (const SpecialTokenMatcher::Fragment& fragment :
       specials_.split(text, options.parse_special)) {
    if (fragment.id >= 0) {
      ids.push_back(fragment.id);
    } else {
      encode_text(fragment.text, ids);
    }
  }
  if (options.add_eos && add_eos_ && eos_id_ >= 0) ids.push_back(eos_id_);
  return ids;
}

}  // namespace engine

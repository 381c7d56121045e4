// SentencePiece BPE (bpe_model.cc and the id/decode rules of sentencepiece_processor.cc in
// libsentencepiece 0.1.97), reproduced id for id: the reference tests compare against the library.
#include "tokenizer/sentencepiece_bpe.hpp"

#include <fmt/format.h>

#include <limits>
#include <queue>

#include "engine/error.hpp"

namespace engine {
namespace {

// What libsentencepiece prints for <unk> (TrainerSpec.unk_surface's default).
constexpr std::string_view kUnknownSurface = " \xE2\x81\x87 ";

[[noreturn]] void fail(std::string_view source, const std::string& problem) {
  throw Error(ErrorCode::bad_format, fmt::format("{}: {}", source, problem));
}

bool is_mergeable(PieceType type) {
  return type == PieceType::normal || type == PieceType::user_defined || type == PieceType::unused;
}

}  // namespace

std::optional<std::uint8_t> parse_byte_piece(std::string_view piece) {
  if (piece.size() != 6 || !piece.starts_with("<0x") || piece[5] != '>') return std::nullopt;
  int value = 0;
  for (const char c : piece.substr(3, 2)) {
    if (c >= '0' && c <= '9') {
      value = value * 16 + (c - '0');
    } else if (c >= 'A' && c <= 'F') {
      value = value * 16 + (c - 'A' + 10);
    } else {
      return std::nullopt;
    }
  }
  return static_cast<std::uint8_t>(value);
}

SentencePieceBpe::SentencePieceBpe(SentencePieceVocabulary vocab, std::string_view source)
    : entries_(std::move(vocab.entries)),
      normalizer_(vocab.normalizer),
      byte_fallback_(vocab.byte_fallback),
      bos_id_(vocab.bos_id),
      eos_id_(vocab.eos_id),
      unk_id_(vocab.unk_id),
      add_bos_(vocab.add_bos),
      add_eos_(vocab.add_eos) {
  if (entries_.empty()) fail(source, "the vocabulary is empty");
  if (entries_.size() > static_cast<std::size_t>(std::numeric_limits<int>::max()))
    fail(source, fmt::format("{} pieces do not fit in int token ids", entries_.size()));
  const bool unk_named = unk_id_ >= 0;
  byte_ids_.fill(-1);
  for (int id = 0; id < vocab_size(); ++id) {
    const VocabEntry& e = entries_[id];
    if (e.piece.empty()) fail(source, fmt::format("piece {} is empty", id));
    auto& map = is_mergeable(e.type) ? mergeable_ : reserved_;
    if (const auto [it, inserted] = map.emplace(e.piece, id); !inserted)
      fail(source,
           fmt::format("piece '{}' is defined twice (ids {} and {})", e.piece, it->second, id));
    switch (e.type) {
      case PieceType::unknown:
        if (!unk_named) {
          if (unk_id_ >= 0)
            fail(source, fmt::format("two unknown pieces (ids {} and {})", unk_id_, id));
          unk_id_ = id;
        }
        controls_.add(e.piece, id, false);
        break;
      case PieceType::control:
        controls_.add(e.piece, id, false);
        break;
      case PieceType::byte: {
        const auto byte = parse_byte_piece(e.piece);
        if (!byte)
          fail(source, fmt::format("byte piece {} '{}' is not of the form <0xXX>", id, e.piece));
        byte_ids_[*byte] = id;
        break;
      }
      case PieceType::user_defined:
        max_user_defined_size_ = std::max(max_user_defined_size_, e.piece.size());
        break;
      default:
        break;
    }
  }
  if (unk_id_ < 0) fail(source, "no unknown piece (<unk>): SentencePiece needs one");
  for (const auto& [name, id] :
       {std::pair{"bos_id", bos_id_}, std::pair{"eos_id", eos_id_}, std::pair{"unk_id", unk_id_},
        std::pair{"eot_id", vocab.eot_id}, std::pair{"eom_id", vocab.eom_id}}) {
    if (id < -1 || id >= vocab_size())
      fail(source, fmt::format("{} {} is out of range for {} pieces", name, id, vocab_size()));
  }
  end_of_generation_ = find_end_of_generation_ids(
      vocab_size(), [&](int id) { return std::string_view(entries_[id].piece); },
      {eos_id_, vocab.eot_id, vocab.eom_id});
}

const VocabEntry& SentencePieceBpe::entry(int id) const {
  if (id < 0 || id >= vocab_size())
    throw Error(ErrorCode::invalid_argument,
                fmt::format("token id {} is out of range [0, {})", id, vocab_size()));
  return entries_[id];
}

std::string_view SentencePieceBpe::piece(int id) const {
  return entry(id).piece;
}

std::optional<int> SentencePieceBpe::mergeable_id(std::string_view piece) const {
  const auto it = mergeable_.find(piece);
  if (it == mergeable_.end()) return std::nullopt;
  return it->second;
}

// User-defined pieces are matched greedily (longest first) before any merge and then frozen.
std::size_t SentencePieceBpe::user_defined_prefix(std::string_view text) const {
  for (std::size_t size = std::min(max_user_defined_size_, text.size()); size > 0; --size) {
    const auto id = mergeable_id(text.substr(0, size));
    if (id && entries_[*id].type == PieceType::user_defined) return size;
  }
  return 0;
}

// The merge state: symbols form a linked list over the normalized text; a merged-away symbol
// becomes empty. `unused_splits` remembers how an unused piece was formed so it can be undone.
struct SentencePieceBpe::MergeResult {
  struct Symbol {
    std::string_view text;
    int prev;
    int next;
    bool frozen;
  };
  std::vector<Symbol> symbols;
  std::unordered_map<std::string_view, std::pair<std::string_view, std::string_view>> unused_splits;
};

SentencePieceBpe::MergeResult SentencePieceBpe::merge(std::string_view normalized) const {
  MergeResult result;
  auto& symbols = result.symbols;
  // normalize() replaced malformed UTF-8, so every character has a size here.
  for (std::size_t pos = 0; pos < normalized.size();) {
    const std::string_view rest = normalized.substr(pos);
    const std::size_t user_size = max_user_defined_size_ > 0 ? user_defined_prefix(rest) : 0;
    const std::size_t size =
        user_size > 0 ? user_size : std::max<std::size_t>(1, utf8_char_size(rest));
    const int index = static_cast<int>(symbols.size());
    symbols.push_back({rest.substr(0, size), index - 1, -1, user_size > 0});
    if (index > 0) symbols[index - 1].next = index;
    pos += size;
  }

  struct Candidate {
    float score;
    int left;
    int right;
    std::size_t size;  // of the merged piece: stale once either side has changed
  };
  // Highest score first; on ties the leftmost pair, as libsentencepiece orders its agenda.
  const auto lower_priority = [](const Candidate& a, const Candidate& b) {
    return a.score < b.score || (a.score == b.score && a.left > b.left);
  };
  std::priority_queue<Candidate, std::vector<Candidate>, decltype(lower_priority)> agenda(
      lower_priority);
  const auto add_candidate = [&](int left, int right) {
    if (left < 0 || right < 0 || symbols[left].frozen || symbols[right].frozen) return;
    const std::string_view joined(symbols[left].text.data(),
                                  symbols[left].text.size() + symbols[right].text.size());
    const auto id = mergeable_id(joined);
    if (!id) return;
    agenda.push({entries_[*id].score, left, right, joined.size()});
    if (entries_[*id].type == PieceType::unused)
      result.unused_splits[joined] = {symbols[left].text, symbols[right].text};
  };

  for (int i = 1; i < static_cast<int>(symbols.size()); ++i) add_candidate(i - 1, i);
  while (!agenda.empty()) {
    const Candidate top = agenda.top();
    agenda.pop();
    auto& left = symbols[top.left];
    auto& right = symbols[top.right];
    if (left.text.empty() || right.text.empty() || left.text.size() + right.text.size() != top.size)
      continue;
    left.text = std::string_view(left.text.data(), top.size);
    left.next = right.next;
    if (right.next >= 0) symbols[right.next].prev = top.left;
    right.text = {};
    add_candidate(left.prev, top.left);
    add_candidate(top.left, left.next);
  }
  return result;
}

void SentencePieceBpe::append_ids(std::string_view symbol, const MergeResult& merged,
                                  std::vector<int>& ids) const {
  // libsentencepiece's PieceToId: reserved pieces first, then the others, else <unk>.
  int id = unk_id_;
  if (const auto it = reserved_.find(symbol); it != reserved_.end()) {
    id = it->second;
  } else if (const auto mid = mergeable_id(symbol)) {
    id = *mid;
  }
  if (entries_[id].type == PieceType::unused) {
    if (const auto split = merged.unused_splits.find(symbol); split != merged.unused_splits.end()) {
      append_ids(split->second.first, merged, ids);
      append_ids(split->second.second, merged, ids);
      return;
    }
  }
  if (id == unk_id_ && byte_fallback_) {
    for (const char c : symbol) {
      const int byte_id = byte_ids_[static_cast<std::uint8_t>(c)];
      ids.push_back(byte_id >= 0 ? byte_id : unk_id_);
    }
    return;
  }
  ids.push_back(id);
}

void SentencePieceBpe::encode_text(std::string_view text, std::vector<int>& ids) const {
  const std::string normalized = normalize(text, normalizer_);
  const MergeResult merged = merge(normalized);
  for (int i = merged.symbols.empty() ? -1 : 0; i >= 0; i = merged.symbols[i].next)
    append_ids(merged.symbols[i].text, merged, ids);
}

std::vector<int> SentencePieceBpe::encode(std::string_view text,
                                          const EncodeOptions& options) const {
  std::vector<int> ids;
  if (options.add_bos && add_bos_ && bos_id_ >= 0) ids.push_back(bos_id_);
  if (options.parse_special) {
    for (const SpecialTokenMatcher::Fragment& fragment : controls_.split(text, true)) {
      if (fragment.id >= 0) {
        ids.push_back(fragment.id);
      } else {
        encode_text(fragment.text, ids);
      }
    }
  } else {
    encode_text(text, ids);
  }
  if (options.add_eos && add_eos_ && eos_id_ >= 0) ids.push_back(eos_id_);
  return ids;
}

std::string SentencePieceBpe::decode(int prev_token, int token) const {
  const VocabEntry& e = entry(token);
  switch (e.type) {
    case PieceType::control:
    case PieceType::unused:  // padding never produced from text, as llama.cpp prints it
      return {};
    case PieceType::unknown:
      // Only the unknown piece stands for text; others typed unknown (padding) for nothing.
      return token == unk_id_ ? std::string(kUnknownSurface) : std::string();
    case PieceType::byte:
      return std::string(1, static_cast<char>(*parse_byte_piece(e.piece)));
    default:
      break;
  }
  std::string_view piece = e.piece;
  // The dummy prefix added by encode is not part of the text.
  if (prev_token == bos_id_ && normalizer_.add_dummy_prefix && piece.starts_with(kSpaceSymbol))
    piece.remove_prefix(kSpaceSymbol.size());
  std::string text;
  text.reserve(piece.size());
  for (std::size_t pos = 0; pos < piece.size();) {
    if (piece.substr(pos).starts_with(kSpaceSymbol)) {
      text += ' ';
      pos += kSpaceSymbol.size();
    } else {
      text += piece[pos++];
    }
  }
  return text;
}

}  // namespace engine

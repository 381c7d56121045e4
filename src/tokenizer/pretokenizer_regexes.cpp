#include "tokenizer/pretokenizer_regexes.hpp"

#include <algorithm>
#include <cstdint>
#include <string_view>

namespace engine::regexes {
namespace {

using Piece = std::span<const TextChar>;
using CharTest = bool (*)(const TextChar&);

struct CodeRange {
  std::uint32_t first;
  std::uint32_t last;
};

bool in_ranges(std::span<const CodeRange> ranges, char32_t c) {
  return std::any_of(ranges.begin(), ranges.end(),
                     [c](const CodeRange& r) { return c >= r.first && c <= r.last; });
}

// The ranges of DeepSeek LLM's letter class, as its tokenizer.json spells them.
constexpr CodeRange kCasedLetters[] = {
    {0x41, 0x5A},       {0x61, 0x7A},       {0xB5, 0xB5},       {0xC0, 0xD6},
    {0xD8, 0xF6},       {0xF8, 0x1BA},      {0x1BC, 0x1BF},     {0x1C4, 0x293},
    {0x295, 0x2AF},     {0x370, 0x373},     {0x376, 0x377},     {0x37B, 0x37D},
    {0x37F, 0x37F},     {0x386, 0x386},     {0x388, 0x38A},     {0x38C, 0x38C},
    {0x38E, 0x3A1},     {0x3A3, 0x3F5},     {0x3F7, 0x481},     {0x48A, 0x52F},
    {0x531, 0x556},     {0x10A0, 0x10C5},   {0x13A0, 0x13F5},   {0x13F8, 0x13FD},
    {0x1C90, 0x1CBA},   {0x1CBD, 0x1CBF},   {0x1D00, 0x1D2B},   {0x1D6B, 0x1D77},
    {0x1D79, 0x1D9A},   {0x1E00, 0x1F15},   {0x1F18, 0x1F1D},   {0x1F20, 0x1F45},
    {0x1F48, 0x1F4D},   {0x1F50, 0x1F57},   {0x1F59, 0x1F59},   {0x1F5B, 0x1F5B},
    {0x1F5D, 0x1F5D},   {0x1F5F, 0x1F7D},   {0x1F80, 0x1FB4},   {0x1FB6, 0x1FBC},
    {0x1FBE, 0x1FBE},   {0x1FC2, 0x1FC4},   {0x1FC6, 0x1FCC},   {0x1FD0, 0x1FD3},
    {0x1FD6, 0x1FDB},   {0x1FE0, 0x1FEC},   {0x1FF2, 0x1FF4},   {0x1FF6, 0x1FFC},
    {0x2102, 0x2102},   {0x2107, 0x2107},   {0x210A, 0x2113},   {0x2115, 0x2115},
    {0x2119, 0x211D},   {0x2124, 0x2124},   {0x2126, 0x2126},   {0x2128, 0x2128},
    {0x212A, 0x212D},   {0x212F, 0x2134},   {0x2139, 0x2139},   {0x213C, 0x213F},
    {0x2145, 0x2149},   {0x214E, 0x214E},   {0x2183, 0x2184},   {0x2C00, 0x2C7B},
    {0x2C7E, 0x2CE4},   {0x2CEB, 0x2CEE},   {0x2CF2, 0x2CF3},   {0xA640, 0xA66D},
    {0xA680, 0xA69B},   {0xA722, 0xA76F},   {0xA771, 0xA787},   {0xA78B, 0xA78E},
    {0xAB70, 0xABBF},   {0xFB00, 0xFB06},   {0xFB13, 0xFB17},   {0xFF21, 0xFF3A},
    {0xFF41, 0xFF5A},   {0x10400, 0x1044F}, {0x104B0, 0x104D3}, {0x104D8, 0x104FB},
    {0x10C80, 0x10CB2}, {0x10CC0, 0x10CF2}, {0x118A0, 0x118DF}, {0x1E900, 0x1E943},
};

// [!-/:-~！-／：-～‘-‟　-。]
constexpr CodeRange kAsciiAndFullwidthPunctuation[] = {
    {0x21, 0x2F},     {0x3A, 0x7E},     {0xFF01, 0xFF0F},
    {0xFF1A, 0xFF5E}, {0x2018, 0x201F}, {0x3000, 0x3002},
};

// [一-龥ࠀ-一가-퟿]
constexpr CodeRange kCjk[] = {{0x4E00, 0x9FA5}, {0x0800, 0x4E00}, {0xAC00, 0xD7FF}};

bool at(Piece s, std::size_t i, CharTest test) {
  return i < s.size() && test(s[i]);
}

std::size_t run(Piece s, std::size_t i, CharTest test) {
  while (at(s, i, test)) ++i;
  return i;
}

// X?Y+: X is taken when a Y follows it, as backtracking from the greedy X? finds.
std::size_t optional_then_run(Piece s, std::size_t i, CharTest x, CharTest y) {
  if (at(s, i, x) && at(s, i + 1, y)) return run(s, i + 1, y);
  return run(s, i, y);
}

bool is_space(const TextChar& c) {
  return c.space;
}
bool is_blank(const TextChar& c) {
  return c.code == ' ';
}
bool is_letter(const TextChar& c) {
  return c.is_letter();
}
bool is_number(const TextChar& c) {
  return c.is_number();
}
bool is_other(const TextChar& c) {
  return c.is_other();
}
bool is_cr_or_lf(const TextChar& c) {
  return c.is_cr_or_lf();
}
bool is_punctuation(const TextChar& c) {
  return c.category == UnicodeCategory::punctuation;
}
bool is_ascii_digit(const TextChar& c) {
  return c.code >= '0' && c.code <= '9';
}

// [\p{P}...]+ with the ASCII symbols `extra` added to the class.
std::size_t punctuation_or_any_of(Piece s, std::size_t i, std::u32string_view extra) {
  while (i < s.size() &&
         (is_punctuation(s[i]) || extra.find(s[i].code) != std::u32string_view::npos))
    ++i;
  return i;
}

// 's|'t|'re|'ve|'m|'ll|'d, lower case only or (Llama 3) in either case.
std::size_t contraction(Piece s, std::size_t i, bool any_case) {
  if (!at(s, i, [](const TextChar& c) { return c.code == '\''; })) return i;
  const auto letter = [&](std::size_t j) -> char32_t {
    if (j >= s.size()) return 0;
    const char32_t c = s[j].code;
    return any_case && c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
  };
  const char32_t first = letter(i + 1);
  if (first == 's' || first == 't' || first == 'm' || first == 'd') return i + 2;
  const char32_t second = letter(i + 2);
  if ((first == 'r' && second == 'e') || (first == 'v' && second == 'e') ||
      (first == 'l' && second == 'l'))
    return i + 3;
  return i;
}

// \s+(?!\S)|\s+: a run of spaces before a non-space leaves its last one to what follows.
std::size_t spaces_not_before_word(Piece s, std::size_t i) {
  const std::size_t end = run(s, i, is_space);
  return end < s.size() && end - i >= 2 ? end - 1 : end;
}

// \s*[\r\n]+: backtracking ends the match just after the run's last CR or LF.
std::size_t spaces_through_last_newline(Piece s, std::size_t i) {
  std::size_t end = i;
  for (std::size_t j = i; at(s, j, is_space); ++j)
    if (s[j].is_cr_or_lf()) end = j + 1;
  return end;
}

std::size_t llama3_style(Piece s, std::size_t i, std::size_t max_digits) {
  if (const std::size_t end = contraction(s, i, true); end > i) return end;
  const auto not_cr_lf_letter_number = [](const TextChar& c) {
    return !c.is_cr_or_lf() && !c.is_letter() && !c.is_number();
  };
  if (const std::size_t end = optional_then_run(s, i, not_cr_lf_letter_number, is_letter); end > i)
    return end;
  if (at(s, i, is_number)) return std::min(run(s, i, is_number), i + max_digits);
  if (const std::size_t end = optional_then_run(s, i, is_blank, is_other); end > i)
    return run(s, end, is_cr_or_lf);
  if (const std::size_t end = spaces_through_last_newline(s, i); end > i) return end;
  return spaces_not_before_word(s, i);
}

}  // namespace

std::size_t gpt2(Piece s, std::size_t i) {
  if (const std::size_t end = contraction(s, i, false); end > i) return end;
  for (const CharTest cls : {is_letter, is_number, is_other})
    if (const std::size_t end = optional_then_run(s, i, is_blank, cls); end > i) return end;
  return spaces_not_before_word(s, i);
}

std::size_t llama3(Piece s, std::size_t i) {
  return llama3_style(s, i, 3);
}

std::size_t qwen2(Piece s, std::size_t i) {
  return llama3_style(s, i, 1);
}

std::size_t one_number(Piece s, std::size_t i) {
  return at(s, i, is_number) ? i + 1 : i;
}

std::size_t numbers(Piece s, std::size_t i) {
  return run(s, i, is_number);
}

std::size_t three_ascii_digits(Piece s, std::size_t i) {
  return at(s, i, is_ascii_digit) && at(s, i + 1, is_ascii_digit) && at(s, i + 2, is_ascii_digit)
             ? i + 3
             : i;
}

std::size_t falcon_punctuation(Piece s, std::size_t i) {
  return punctuation_or_any_of(s, i, U"$+<=>^~|`");
}

std::size_t default_punctuation(Piece s, std::size_t i) {
  return punctuation_or_any_of(s, i, U"$+<=>^~|");
}

std::size_t one_cr_or_lf(Piece s, std::size_t i) {
  return at(s, i, is_cr_or_lf) ? i + 1 : i;
}

std::size_t space_then_letters(Piece s, std::size_t i) {
  return optional_then_run(s, i, is_space, is_letter);
}

std::size_t space_then_punctuation(Piece s, std::size_t i) {
  return optional_then_run(s, i, is_space, is_punctuation);
}

std::size_t cjk(Piece s, std::size_t i) {
  return run(s, i, [](const TextChar& c) { return in_ranges(kCjk, c.code); });
}

std::size_t space_then_cased_letters(Piece s, std::size_t i) {
  return optional_then_run(s, i, is_space,
                           [](const TextChar& c) { return in_ranges(kCasedLetters, c.code); });
}

std::size_t space_then_ascii_and_fullwidth_punctuation(Piece s, std::size_t i) {
  return optional_then_run(s, i, is_space, [](const TextChar& c) {
    return in_ranges(kAsciiAndFullwidthPunctuation, c.code);
  });
}

std::size_t trailing_spaces(Piece s, std::size_t i) {
  const std::size_t end = run(s, i, is_space);
  return end == s.size() ? end : i;
}

}  // namespace engine::regexes

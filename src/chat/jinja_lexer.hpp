// The Jinja lexer: template source to a flat token stream (text, tag delimiters and the
// expression tokens inside tags), with the whitespace control Hugging Face's environment uses
// (trim_blocks, lstrip_blocks, `{%-`/`-%}`) already applied to the text tokens.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "engine/error.hpp"

namespace engine::jinja {

/// 1-based, in the template source (columns count bytes).
struct Position {
  int line = 1;
  int column = 1;
};

struct Token {
  enum class Type {
    text,         ///< literal template text
    block_begin,  ///< {%
    block_end,    ///< %}
    print_begin,  ///< {{
    print_end,    ///< }}
    name,
    string,  ///< value: the literal's decoded text
    integer,
    floating,
    op,  ///< an operator or punctuation: == != <= >= // ** + - * / % ~ < > = ( ) [ ] { } , . : |
    end,
  };
  Type type;
  std::string value;
  Position position;
};

/// Tokens of `source`, ending with Type::end. Throws engine::Error (bad_format) with the
/// position for an unterminated tag, comment or string, or a character no token starts with.
std::vector<Token> lex(std::string_view source);

/// "chat template line L:C: " — the prefix of every template error.
std::string where(Position position);

/// Throws engine::Error(code, where(position) + problem).
[[noreturn]] void fail_at(Position position, const std::string& problem,
                          ErrorCode code = ErrorCode::invalid_argument);

}  // namespace engine::jinja

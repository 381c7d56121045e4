#include "chat/jinja_lexer.hpp"

#include <array>
#include <cctype>

#include "chat/python_text.hpp"
#include "engine/error.hpp"

namespace engine::jinja {
namespace {

// jinja2 normalizes \r\n and \r to \n and, without keep_trailing_newline, drops one final
// newline.
std::string normalize_newlines(std::string_view source) {
  std::string out;
  for (std::size_t i = 0; i < source.size(); ++i) {
    if (source[i] == '\r') {
      out += '\n';
      if (i + 1 < source.size() && source[i + 1] == '\n') ++i;
    } else {
      out += source[i];
    }
  }
  if (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

void append_utf8(std::string& out, unsigned long cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xc0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xe0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else {
    out += static_cast<char>(0xf0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  }
}

class Lexer {
 public:
  explicit Lexer(std::string_view source) : source_(normalize_newlines(source)) {}

  std::vector<Token> run() {
    bool line_starting = true;  // the last thing consumed ended a line (for lstrip_blocks)
    bool strip_next_text = false;
    while (pos_ < source_.size()) {
      if (strip_next_text) {
        const std::size_t skip = leading_space(std::string_view(source_).substr(pos_));
        if (skip) line_starting = source_[pos_ + skip - 1] == '\n';
        pos_ += skip;
        strip_next_text = false;
      }
      const std::size_t tag = next_tag();
      std::string text = source_.substr(pos_, tag - pos_);
      if (tag == source_.size()) {
        emit_text(std::move(text), pos_);
        break;
      }
      const char kind = source_[tag + 1];
      const char sign = tag + 2 < source_.size() ? source_[tag + 2] : '\0';
      if (sign == '-') {
        text = strip(text, false, true);
      } else if (sign != '+' && kind != '{') {
        // lstrip_blocks: drop the spaces between the start of the line and the tag.
        const std::size_t line_start = text.rfind('\n') + 1;  // npos + 1 == 0
        if ((line_start > 0 || line_starting) &&
            leading_space(std::string_view(text).substr(line_start)) == text.size() - line_start)
          text.resize(line_start);
      }
      emit_text(std::move(text), pos_);
      pos_ = tag + 2 + (sign == '-' || sign == '+' ? 1 : 0);
      char last = '\0';
      strip_next_text = kind == '#' ? lex_comment(tag, last) : lex_tag(kind, tag, last);
      line_starting = last == '\n';
    }
    tokens_.push_back({Token::Type::end, "", position(source_.size())});
    return std::move(tokens_);
  }

 private:
  // Tokens come in source order, so the line count carries on from the last call.
  Position position(std::size_t offset) {
    if (offset < counted_) {
      counted_ = 0;
      counted_position_ = Position{};
    }
    for (; counted_ < offset && counted_ < source_.size(); ++counted_) {
      if (source_[counted_] == '\n') {
        ++counted_position_.line;
        counted_position_.column = 1;
      } else {
        ++counted_position_.column;
      }
    }
    return counted_position_;
  }

  [[noreturn]] void fail(std::size_t offset, const std::string& problem) {
    fail_at(position(offset), problem, ErrorCode::bad_format);
  }

  std::size_t next_tag() const {
    for (std::size_t i = pos_; i + 1 < source_.size(); ++i)
      if (source_[i] == '{' &&
          (source_[i + 1] == '{' || source_[i + 1] == '%' || source_[i + 1] == '#'))
        return i;
    return source_.size();
  }

  void emit_text(std::string text, std::size_t offset) {
    if (!text.empty()) tokens_.push_back({Token::Type::text, std::move(text), position(offset)});
  }

  // After a tag's end: trim_blocks drops one newline; returns whether `-` asks to strip all
  // whitespace that follows. `last` is the last character the end consumed.
  bool finish_tag(std::size_t end_length, bool trims_newline, char& last) {
    const bool strip_after = source_[pos_] == '-';
    const bool keep_newline = source_[pos_] == '+';
    pos_ += end_length + (strip_after || keep_newline ? 1 : 0);
    last = source_[pos_ - 1];
    if (!strip_after && !keep_newline && trims_newline && pos_ < source_.size() &&
        source_[pos_] == '\n') {
      ++pos_;
      last = '\n';
    }
    return strip_after;
  }

  bool lex_comment(std::size_t tag, char& last) {
    const std::size_t end = source_.find("#}", pos_);
    if (end == std::string::npos) fail(tag, "unterminated comment '{#'");
    pos_ = end > pos_ && (source_[end - 1] == '-' || source_[end - 1] == '+') ? end - 1 : end;
    return finish_tag(2, true, last);
  }

  bool lex_tag(char kind, std::size_t tag, char& last) {
    const bool block = kind == '%';
    tokens_.push_back(
        {block ? Token::Type::block_begin : Token::Type::print_begin, "", position(tag)});
    const std::string_view close = block ? "%}" : "}}";
    int depth = 0;  // open brackets: a `}}` inside a dict literal does not end the tag
    for (;;) {
      while (pos_ < source_.size() && std::isspace(static_cast<unsigned char>(source_[pos_])))
        ++pos_;
      if (pos_ >= source_.size()) fail(tag, block ? "unterminated tag '{%'" : "unterminated '{{'");
      const std::string_view rest = std::string_view(source_).substr(pos_);
      if (depth == 0 &&
          (rest.starts_with(close) ||
           ((rest[0] == '-' || (block && rest[0] == '+')) && rest.substr(1).starts_with(close)))) {
        tokens_.push_back(
            {block ? Token::Type::block_end : Token::Type::print_end, "", position(pos_)});
        return finish_tag(2, block, last);
      }
      lex_expression_token(depth);
    }
  }

  void lex_expression_token(int& depth) {
    const std::size_t start = pos_;
    const char c = source_[pos_];
    if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      while (pos_ < source_.size() &&
             (std::isalnum(static_cast<unsigned char>(source_[pos_])) || source_[pos_] == '_'))
        ++pos_;
      tokens_.push_back({Token::Type::name, source_.substr(start, pos_ - start), position(start)});
    } else if (std::isdigit(static_cast<unsigned char>(c))) {
      lex_number();
    } else if (c == '\'' || c == '"') {
      lex_string();
    } else {
      static constexpr std::array<std::string_view, 6> pairs = {"==", "!=", "<=", ">=", "//", "**"};
      std::size_t length = 0;
      for (std::string_view op : pairs)
        if (std::string_view(source_).substr(pos_).starts_with(op)) length = 2;
      if (!length && std::string_view("+-*/%~<>=()[]{},.:|").find(c) != std::string_view::npos)
        length = 1;
      if (!length) fail(start, std::string("unexpected character '") + c + "'");
      if (c == '(' || c == '[' || c == '{') ++depth;
      if (c == ')' || c == ']' || c == '}') --depth;
      pos_ += length;
      tokens_.push_back({Token::Type::op, source_.substr(start, length), position(start)});
    }
  }

  void lex_number() {
    const std::size_t start = pos_;
    const auto digits = [&] {
      while (pos_ < source_.size() && std::isdigit(static_cast<unsigned char>(source_[pos_])))
        ++pos_;
    };
    digits();
    bool floating = false;
    if (pos_ + 1 < source_.size() && source_[pos_] == '.' &&
        std::isdigit(static_cast<unsigned char>(source_[pos_ + 1]))) {
      floating = true;
      ++pos_;
      digits();
    }
    if (pos_ < source_.size() && (source_[pos_] == 'e' || source_[pos_] == 'E')) {
      floating = true;
      ++pos_;
      if (pos_ < source_.size() && (source_[pos_] == '+' || source_[pos_] == '-')) ++pos_;
      digits();
    }
    tokens_.push_back({floating ? Token::Type::floating : Token::Type::integer,
                       source_.substr(start, pos_ - start), position(start)});
  }

  // A quoted literal, decoded the way jinja2 does (Python's unicode-escape: unknown escapes
  // keep their backslash).
  void lex_string() {
    const std::size_t start = pos_;
    const char quote = source_[pos_++];
    std::string value;
    for (;;) {
      if (pos_ >= source_.size()) fail(start, "unterminated string literal");
      const char c = source_[pos_++];
      if (c == quote) break;
      if (c != '\\') {
        value += c;
        continue;
      }
      if (pos_ >= source_.size()) fail(start, "unterminated string literal");
      const char e = source_[pos_++];
      const auto hex = [&](int count) {
        unsigned long cp = 0;
        for (int i = 0; i < count; ++i, ++pos_) {
          if (pos_ >= source_.size() || !std::isxdigit(static_cast<unsigned char>(source_[pos_])))
            fail(start, "bad escape in string literal");
          const char h = static_cast<char>(std::tolower(static_cast<unsigned char>(source_[pos_])));
          cp = cp * 16 + static_cast<unsigned long>(h <= '9' ? h - '0' : h - 'a' + 10);
        }
        if (cp > 0x10ffff) fail(start, "bad escape in string literal");
        append_utf8(value, cp);
      };
      switch (e) {
        case 'n':
          value += '\n';
          break;
        case 't':
          value += '\t';
          break;
        case 'r':
          value += '\r';
          break;
        case 'b':
          value += '\b';
          break;
        case 'f':
          value += '\f';
          break;
        case 'v':
          value += '\v';
          break;
        case 'a':
          value += '\a';
          break;
        case '0':
          value += '\0';
          break;
        case '\n':
          break;  // a backslash-newline continues the literal
        case '\\':
        case '\'':
        case '"':
          value += e;
          break;
        case 'x':
          hex(2);
          break;
        case 'u':
          hex(4);
          break;
        case 'U':
          hex(8);
          break;
        default:
          value += '\\';
          value += e;
      }
    }
    tokens_.push_back({Token::Type::string, std::move(value), position(start)});
  }

  std::string source_;
  std::size_t pos_ = 0;
  std::size_t counted_ = 0;
  Position counted_position_;
  std::vector<Token> tokens_;
};

}  // namespace

std::vector<Token> lex(std::string_view source) {
  return Lexer(source).run();
}

std::string where(Position position) {
  return "chat template line " + std::to_string(position.line) + ":" +
         std::to_string(position.column) + ": ";
}

}  // namespace engine::jinja

namespace engine::jinja {

void fail_at(Position position, const std::string& problem, ErrorCode code) {
  throw Error(code, where(position) + problem);
}

}  // namespace engine::jinja

#include "chat/jinja_parser.hpp"

#include <initializer_list>

#include "engine/error.hpp"

namespace engine::jinja {
namespace {

using Type = Token::Type;

// Bounds on what the parser, the renderer and the tree's destructor walk recursively, so that a
// hostile template fails with an error instead of overflowing the stack: tokens in one tag bound
// an expression's depth, and blocks ({% if %}, {% for %}) nest only so deep. Real chat templates
// stay far below both.
constexpr std::size_t kMaxTagTokens = 512;
constexpr int kMaxBlockDepth = 64;

ExprPtr make(Expr::Kind kind, Position position, std::string name = {}) {
  auto e = std::make_unique<Expr>();
  e->kind = kind;
  e->position = position;
  e->name = std::move(name);
  return e;
}

ExprPtr make(Expr::Kind kind, Position position, std::string name, ExprPtr a, ExprPtr b = {}) {
  auto e = make(kind, position, std::move(name));
  e->args.push_back(std::move(a));
  if (b) e->args.push_back(std::move(b));
  return e;
}

Node make_node(Node::Kind kind, Position position) {
  Node n;
  n.kind = kind;
  n.position = position;
  return n;
}

class Parser {
 public:
  explicit Parser(std::vector<Token> tokens) : tokens_(std::move(tokens)) {}

  Template run() {
    check_tag_lengths();
    Template t;
    std::string end_tag;
    t.body = parse_body({}, end_tag);
    return t;
  }

 private:
  const Token& peek(std::size_t ahead = 0) const {
    return tokens_[std::min(at_ + ahead, tokens_.size() - 1)];
  }
  const Token& next() { return tokens_[at_ < tokens_.size() - 1 ? at_++ : at_]; }

  bool is_op(std::string_view op, std::size_t ahead = 0) const {
    return peek(ahead).type == Type::op && peek(ahead).value == op;
  }
  bool is_name(std::string_view name) const {
    return peek().type == Type::name && peek().value == name;
  }
  bool skip_op(std::string_view op) {
    if (!is_op(op)) return false;
    ++at_;
    return true;
  }
  bool skip_name(std::string_view name) {
    if (!is_name(name)) return false;
    ++at_;
    return true;
  }

  [[noreturn]] void fail(const Token& token, const std::string& problem,
                         ErrorCode code = ErrorCode::bad_format) const {
    fail_at(token.position, problem, code);
  }

  static std::string describe(const Token& token) {
    switch (token.type) {
      case Type::block_end:
        return "'%}'";
      case Type::print_end:
        return "'}}'";
      case Type::end:
        return "end of template";
      case Type::text:
        return "text";
      case Type::string:
        return "string literal";
      default:
        return "'" + token.value + "'";
    }
  }

  void expect_op(std::string_view op) {
    if (!skip_op(op)) fail(peek(), "expected '" + std::string(op) + "', got " + describe(peek()));
  }
  void expect(Type type, std::string_view what) {
    if (peek().type != type)
      fail(peek(), "expected " + std::string(what) + ", got " + describe(peek()));
    ++at_;
  }
  std::string expect_name() {
    if (peek().type != Type::name) fail(peek(), "expected a name, got " + describe(peek()));
    return next().value;
  }

  // Statements up to a `{% tag %}` with a name in `ends` (consumed up to and including the
  // name, which goes to `end_tag`); with no `ends`, up to the end of the template.
  Body parse_body(std::initializer_list<std::string_view> ends, std::string& end_tag) {
    Body body;
    for (;;) {
      const Token& token = peek();
      if (token.type == Type::end) {
        if (ends.size() == 0) return body;
        fail(token, "missing '{% " + std::string(*(ends.end() - 1)) + " %}'");
      }
      if (token.type == Type::text) {
        Node n = make_node(Node::Kind::text, token.position);
        n.text = next().value;
        body.push_back(std::move(n));
      } else if (token.type == Type::print_begin) {
        next();
        Node n = make_node(Node::Kind::print, token.position);
        n.expr = parse_expression();
        expect(Type::print_end, "'}}'");
        body.push_back(std::move(n));
      } else {
        next();
        const Token& tag = peek();
        if (tag.type != Type::name) fail(tag, "expected a tag name, got " + describe(tag));
        for (std::string_view end : ends)
          if (tag.value == end) {
            end_tag = next().value;
            return body;
          }
        body.push_back(parse_statement());
      }
    }
  }

  void check_tag_lengths() const {
    std::size_t begin = 0;
    bool inside = false;
    for (std::size_t i = 0; i < tokens_.size(); ++i) {
      const Type type = tokens_[i].type;
      if (type == Type::print_begin || type == Type::block_begin) {
        begin = i;
        inside = true;
      }
      if (type == Type::print_end || type == Type::block_end) inside = false;
      if (inside && i - begin > kMaxTagTokens)
        fail(tokens_[begin], "a tag of more than " + std::to_string(kMaxTagTokens) + " tokens");
    }
  }

  // Counts the blocks open around the statement being parsed.
  struct BlockDepth {
    BlockDepth(Parser& parser, const Token& tag) : parser(parser) {
      if (++parser.block_depth_ > kMaxBlockDepth)
        parser.fail(tag, "blocks nested more than " + std::to_string(kMaxBlockDepth) + " deep");
    }
    ~BlockDepth() { --parser.block_depth_; }
    BlockDepth(const BlockDepth&) = delete;
    BlockDepth& operator=(const BlockDepth&) = delete;
    Parser& parser;
  };

  Node parse_statement() {
    const Token& tag = next();
    const BlockDepth depth(*this, tag);
    Node n = make_node(Node::Kind::text, tag.position);
    if (tag.value == "if") {
      n.kind = Node::Kind::if_chain;
      std::string end_tag = "elif";
      ExprPtr condition = parse_expression();
      while (end_tag == "elif") {
        expect(Type::block_end, "'%}'");
        Body body = parse_body({"elif", "else", "endif"}, end_tag);
        n.branches.emplace_back(std::move(condition), std::move(body));
        if (end_tag == "elif") condition = parse_expression();
      }
      if (end_tag == "else") {
        expect(Type::block_end, "'%}'");
        n.branches.emplace_back(nullptr, parse_body({"endif"}, end_tag));
      }
    } else if (tag.value == "for") {
      n.kind = Node::Kind::for_loop;
      const bool parenthesized = skip_op("(");
      do n.targets.push_back(expect_name());
      while (skip_op(","));
      if (parenthesized) expect_op(")");
      if (!skip_name("in")) fail(peek(), "expected 'in', got " + describe(peek()));
      n.expr = parse_or();
      if (skip_name("if")) n.filter = parse_or();
      if (is_name("recursive"))
        fail(peek(), "unsupported recursive for loop", ErrorCode::unsupported);
      expect(Type::block_end, "'%}'");
      std::string end_tag;
      n.body = parse_body({"else", "endfor"}, end_tag);
      if (end_tag == "else") {
        expect(Type::block_end, "'%}'");
        n.else_body = parse_body({"endfor"}, end_tag);
      }
    } else if (tag.value == "set") {
      n.kind = Node::Kind::set;
      n.targets.push_back(expect_name());
      if (skip_op(".")) n.attribute = expect_name();
      if (is_op(",")) fail(peek(), "unsupported set of several names", ErrorCode::unsupported);
      if (!is_op("=")) fail(tag, "unsupported block set (set without '=')", ErrorCode::unsupported);
      next();
      n.expr = parse_expression();
    } else if (tag.value == "break" || tag.value == "continue") {
      n.kind = tag.value == "break" ? Node::Kind::break_loop : Node::Kind::continue_loop;
    } else if (tag.value.starts_with("end") || tag.value == "elif" || tag.value == "else") {
      fail(tag, "unexpected '" + tag.value + "'");
    } else {
      fail(tag, "unsupported tag '" + tag.value + "'", ErrorCode::unsupported);
    }
    expect(Type::block_end, "'%}'");
    return n;
  }

  ExprPtr parse_expression() {
    ExprPtr e = parse_or();
    while (is_name("if")) {
      const Position position = next().position;
      ExprPtr condition = parse_or();
      auto c = make(Expr::Kind::conditional, position, "", std::move(e), std::move(condition));
      c->args.push_back(skip_name("else") ? parse_expression() : nullptr);
      e = std::move(c);
    }
    return e;
  }

  ExprPtr parse_or() {
    ExprPtr e = parse_and();
    while (is_name("or")) {
      const Position position = next().position;
      e = make(Expr::Kind::binary, position, "or", std::move(e), parse_and());
    }
    return e;
  }

  ExprPtr parse_and() {
    ExprPtr e = parse_not();
    while (is_name("and")) {
      const Position position = next().position;
      e = make(Expr::Kind::binary, position, "and", std::move(e), parse_not());
    }
    return e;
  }

  ExprPtr parse_not() {
    if (is_name("not")) {
      const Position position = next().position;
      return make(Expr::Kind::unary, position, "not", parse_not());
    }
    return parse_compare();
  }

  ExprPtr parse_compare() {
    ExprPtr e = parse_sum();
    for (;;) {
      const Token& token = peek();
      std::string op;
      if (token.type == Type::op &&
          (token.value == "==" || token.value == "!=" || token.value == "<" || token.value == ">" ||
           token.value == "<=" || token.value == ">=")) {
        op = token.value;
        next();
      } else if (is_name("in")) {
        op = "in";
        next();
      } else if (is_name("not") && peek(1).type == Type::name && peek(1).value == "in") {
        op = "not in";
        at_ += 2;
      } else {
        return e;
      }
      e = make(Expr::Kind::binary, token.position, op, std::move(e), parse_sum());
    }
  }

  // One precedence level of left-associative operators.
  template <typename Operand>
  ExprPtr parse_level(std::initializer_list<std::string_view> ops, Operand operand) {
    ExprPtr e = (this->*operand)();
    for (;;) {
      bool matched = false;
      for (std::string_view op : ops)
        if (is_op(op)) {
          const Token& token = next();
          e = make(Expr::Kind::binary, token.position, token.value, std::move(e),
                   (this->*operand)());
          matched = true;
          break;
        }
      if (!matched) return e;
    }
  }

  ExprPtr parse_sum() { return parse_level({"+", "-"}, &Parser::parse_concat); }
  ExprPtr parse_concat() { return parse_level({"~"}, &Parser::parse_product); }
  ExprPtr parse_product() { return parse_level({"*", "/", "//", "%"}, &Parser::parse_power); }
  ExprPtr parse_power() { return parse_level({"**"}, &Parser::parse_unary_filtered); }
  ExprPtr parse_unary_filtered() { return parse_unary(true); }

  ExprPtr parse_unary(bool with_filter) {
    ExprPtr e;
    if (is_op("-") || is_op("+")) {
      const Token& token = next();
      e = make(Expr::Kind::unary, token.position, token.value, parse_unary(false));
    } else {
      e = parse_primary();
    }
    e = parse_postfix(std::move(e));
    return with_filter ? parse_filters(std::move(e)) : std::move(e);
  }

  ExprPtr parse_primary() {
    const Token& token = next();
    switch (token.type) {
      case Type::name: {
        const std::string& v = token.value;
        auto e = make(Expr::Kind::literal, token.position);
        if (v == "true" || v == "True") {
          e->value = true;
        } else if (v == "false" || v == "False") {
          e->value = false;
        } else if (v == "none" || v == "None") {
          e->value = nullptr;
        } else {
          e->kind = Expr::Kind::name;
          e->name = v;
        }
        return e;
      }
      case Type::string: {
        auto e = make(Expr::Kind::literal, token.position);
        std::string text = token.value;
        while (peek().type == Type::string) text += next().value;  // adjacent literals join
        e->value = std::move(text);
        return e;
      }
      case Type::integer:
      case Type::floating: {
        auto e = make(Expr::Kind::literal, token.position);
        if (token.type == Type::integer) {
          e->value = integer_of(token);
        } else {
          try {
            e->value = std::stod(token.value);
          } catch (const std::exception&) {
            fail(token, "number out of range: " + token.value);
          }
        }
        return e;
      }
      case Type::op:
        if (token.value == "(") {
          if (skip_op(")")) return make(Expr::Kind::list, token.position);
          ExprPtr e = parse_expression();
          if (!is_op(",")) {
            expect_op(")");
            return e;
          }
          auto tuple = make(Expr::Kind::list, token.position, "", std::move(e));
          while (skip_op(",") && !is_op(")")) tuple->args.push_back(parse_expression());
          expect_op(")");
          return tuple;
        }
        if (token.value == "[") {
          auto list = make(Expr::Kind::list, token.position);
          while (!is_op("]")) {
            list->args.push_back(parse_expression());
            if (!skip_op(",")) break;
          }
          expect_op("]");
          return list;
        }
        if (token.value == "{") {
          auto dict = make(Expr::Kind::dict, token.position);
          while (!is_op("}")) {
            dict->args.push_back(parse_expression());
            expect_op(":");
            dict->args.push_back(parse_expression());
            if (!skip_op(",")) break;
          }
          expect_op("}");
          return dict;
        }
        break;
      default:
        break;
    }
    fail(token, "expected an expression, got " + describe(token));
  }

  // An integer token's value; one past long long is an error of the template, not a throw.
  long long integer_of(const Token& token) {
    try {
      return std::stoll(token.value);
    } catch (const std::exception&) {
      fail(token, "number out of range: " + token.value);
    }
  }

  ExprPtr parse_postfix(ExprPtr e) {
    for (;;) {
      if (is_op(".")) {
        const Position position = next().position;
        const Token& name = next();
        if (name.type != Type::name && name.type != Type::integer)
          fail(name, "expected an attribute name, got " + describe(name));
        if (name.type == Type::integer) {
          auto index = make(Expr::Kind::literal, name.position);
          index->value = integer_of(name);
          e = make(Expr::Kind::item, position, "", std::move(e), std::move(index));
        } else {
          e = make(Expr::Kind::attribute, position, name.value, std::move(e));
        }
      } else if (is_op("[")) {
        e = parse_subscript(std::move(e));
      } else if (is_op("(")) {
        e = parse_call(std::move(e));
      } else {
        return e;
      }
    }
  }

  ExprPtr parse_call(ExprPtr callee) {
    auto call = make(Expr::Kind::call, peek().position, "", std::move(callee));
    parse_call_arguments(*call);
    return call;
  }

  ExprPtr parse_subscript(ExprPtr target) {
    const Position position = next().position;
    ExprPtr first = is_op(":") ? nullptr : parse_expression();
    if (skip_op("]"))
      return make(Expr::Kind::item, position, "", std::move(target), std::move(first));
    auto slice = make(Expr::Kind::slice, position);
    slice->args.push_back(std::move(target));
    slice->args.push_back(std::move(first));
    for (int part = 0; part < 2; ++part) {
      ExprPtr bound;
      if (skip_op(":") && !is_op(":") && !is_op("]")) bound = parse_expression();
      slice->args.push_back(std::move(bound));
    }
    expect_op("]");
    return slice;
  }

  void parse_call_arguments(Expr& call) {
    expect_op("(");
    while (!is_op(")")) {
      if (peek().type == Type::name && is_op("=", 1)) {
        std::string key = next().value;
        next();
        call.keywords.emplace_back(std::move(key), parse_expression());
      } else {
        if (!call.keywords.empty()) fail(peek(), "positional argument after keyword argument");
        call.args.push_back(parse_expression());
      }
      if (!skip_op(",")) break;
    }
    expect_op(")");
  }

  ExprPtr parse_filters(ExprPtr e) {
    for (;;) {
      if (is_op("|")) {
        next();
        const Token& name = peek();
        auto f = make(Expr::Kind::filter, name.position, expect_name(), std::move(e));
        if (is_op("(")) parse_call_arguments(*f);
        e = std::move(f);
      } else if (is_name("is")) {
        next();
        const bool negated = skip_name("not");
        const Token& name = peek();
        auto t = make(Expr::Kind::test, name.position, expect_name(), std::move(e));
        t->negated = negated;
        if (is_op("(")) {
          parse_call_arguments(*t);
        } else if (starts_test_argument()) {
          t->args.push_back(parse_postfix(parse_primary()));
        }
        e = std::move(t);
      } else if (is_op("(")) {
        e = parse_call(std::move(e));
      } else {
        return e;
      }
    }
  }

  // `x is equalto 3`: a test takes one argument without parentheses.
  bool starts_test_argument() const {
    const Token& t = peek();
    if (t.type == Type::name)
      return t.value != "else" && t.value != "or" && t.value != "and" && t.value != "is" &&
             t.value != "if" && t.value != "in" && t.value != "not";
    return t.type == Type::string || t.type == Type::integer || t.type == Type::floating ||
           is_op("[") || is_op("{");
  }

  std::vector<Token> tokens_;
  std::size_t at_ = 0;
  int block_depth_ = 0;
};

}  // namespace

Template parse(std::string_view source) {
  return Parser(lex(source)).run();
}

}  // namespace engine::jinja

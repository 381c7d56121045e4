// The syntax tree of a parsed template: statements (text, output, if, for, set, loop controls)
// holding expressions. Every node keeps its source position for error messages.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "chat/jinja_lexer.hpp"
#include "chat/jinja_value.hpp"

namespace engine::jinja {

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;

struct Expr {
  enum class Kind {
    literal,      ///< `value`
    name,         ///< a variable: `name`
    attribute,    ///< args[0].name
    item,         ///< args[0][args[1]]
    slice,        ///< args[0][args[1]:args[2]:args[3]], absent parts null
    call,         ///< args[0](args[1..], keywords)
    filter,       ///< args[0] | name(args[1..], keywords)
    test,         ///< args[0] is [not] name(args[1..])
    unary,        ///< `name` ("not", "-", "+") args[0]
    binary,       ///< args[0] `name` args[1]; also "and", "or", "in", "not in"
    conditional,  ///< args[0] if args[1] else args[2] (null: undefined)
    list,         ///< [args...] (and tuples)
    dict,         ///< {args[0]: args[1], ...}
  };
  Kind kind;
  Position position;
  std::string name;
  Json value;
  std::vector<ExprPtr> args;
  std::vector<std::pair<std::string, ExprPtr>> keywords;
  bool negated = false;  ///< test: `is not`
};

struct Node;
using Body = std::vector<Node>;

struct Node {
  enum class Kind { text, print, if_chain, for_loop, set, break_loop, continue_loop };
  Kind kind;
  Position position;
  std::string text;  ///< text: the literal output
  ExprPtr expr;      ///< print: what to print; set: the value; for_loop: what to iterate
  /// if_chain: each condition with its body; the `else` branch has a null condition.
  std::vector<std::pair<ExprPtr, Body>> branches;
  std::vector<std::string> targets;  ///< for_loop: the loop variables; set: the name
  std::string attribute;             ///< set: `set name.attribute = ...` when not empty
  ExprPtr filter;                    ///< for_loop: `for x in xs if filter`
  Body body;                         ///< for_loop
  Body else_body;                    ///< for_loop: when nothing was iterated
};

struct Template {
  Body body;
};

}  // namespace engine::jinja

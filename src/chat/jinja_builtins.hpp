// The filters, tests and str/dict methods of the Jinja subset, each with jinja2's (Python's)
// result. A name outside the subset is an engine::Error (unsupported) at the call's position.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "chat/jinja_lexer.hpp"
#include "chat/jinja_value.hpp"

namespace engine::jinja {

struct Arguments {
  std::vector<Value> positional;
  std::vector<std::pair<std::string, Value>> keywords;
  Position position;  ///< of the call, for errors
};

/// `subject | name(args)`.
Value apply_filter(const std::string& name, const Value& subject, const Arguments& args);

/// `subject is name(args)`.
bool apply_test(const std::string& name, const Value& subject, const Arguments& args);

/// `object.name(args)` for str and dict methods.
Value call_method(const Value& object, const std::string& name, const Arguments& args);

/// Python's iter(): a list's items, a dict's keys, a str's code points, nothing for undefined.
std::vector<Value> iterate(const Value& value, Position position);

/// obj[key] (and obj.key for dicts): undefined when absent.
Value get_item(const Value& object, const Value& key, Position position);

}  // namespace engine::jinja

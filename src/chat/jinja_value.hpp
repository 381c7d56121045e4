// Values of the Jinja subset: JSON data (what chat messages and tools are) plus jinja2's
// Undefined, namespace() objects and the global functions a template can test for.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>

namespace engine::jinja {

/// Ordered like Python dicts, so items() and tojson keep insertion order.
using Json = nlohmann::ordered_json;

struct Value {
  enum class Kind { data, undefined, namespace_object, function };
  Kind kind = Kind::data;
  Json data;         ///< data and namespace_object (an object)
  std::string name;  ///< function: its name

  static Value undefined() { return Value{Kind::undefined, nullptr, {}}; }
  static Value function(std::string name) {
    return Value{Kind::function, nullptr, std::move(name)};
  }
  static Value of(Json json) { return Value{Kind::data, std::move(json), {}}; }

  bool is_undefined() const { return kind == Kind::undefined; }
  bool is_string() const { return kind == Kind::data && data.is_string(); }
  bool is_object() const {
    return kind != Kind::undefined && kind != Kind::function && data.is_object();
  }
  bool is_array() const { return kind == Kind::data && data.is_array(); }
  bool is_number() const { return kind == Kind::data && (data.is_number() || data.is_boolean()); }
};

/// Python's bool(): undefined, none, false, 0, "" and empty collections are false.
bool truthy(const Value& value);

/// What {{ value }} prints: Python's str() (None, True, 1.5, ['a', 1]); undefined prints "".
std::string to_text(const Value& value);

/// json.dumps(value, ensure_ascii=False) with `indent` spaces per level when indent >= 0.
std::string to_json_text(const Json& value, int indent);

/// A short name of the value's type for error messages ("string", "list", "undefined", ...).
std::string type_name(const Value& value);

/// Python's ==: 1 == 1.0, lists and dicts by content; undefined equals only undefined.
bool equal(const Value& a, const Value& b);

}  // namespace engine::jinja

#include "chat/jinja_builtins.hpp"

#include <algorithm>
#include <optional>

#include "chat/python_text.hpp"

namespace engine::jinja {
namespace {

[[noreturn]] void unsupported(const Arguments& args, const std::string& what) {
  fail_at(args.position, "unsupported " + what, ErrorCode::unsupported);
}

// Argument `index` (or keyword `keyword`), nullopt when not given.
std::optional<Value> argument(const Arguments& args, std::size_t index, std::string_view keyword) {
  for (const auto& [key, value] : args.keywords)
    if (key == keyword) return value;
  if (index < args.positional.size()) return args.positional[index];
  return std::nullopt;
}

void check_count(const Arguments& args, std::size_t most, const std::string& what) {
  if (args.positional.size() + args.keywords.size() > most)
    fail_at(args.position, what + " takes at most " + std::to_string(most) + " argument(s)");
}

const std::string& text_of(const Value& value, const Arguments& args, const std::string& what) {
  if (!value.is_string())
    fail_at(args.position, what + " expects a string, got " + type_name(value));
  return value.data.get_ref<const std::string&>();
}

std::optional<std::string> optional_text(const Arguments& args, std::size_t index,
                                         std::string_view keyword, const std::string& what) {
  const auto v = argument(args, index, keyword);
  if (!v || (v->kind == Value::Kind::data && v->data.is_null())) return std::nullopt;
  return text_of(*v, args, what);
}

long integer_of(const Value& value, const Arguments& args, const std::string& what) {
  if (value.kind != Value::Kind::data || !value.data.is_number_integer())
    fail_at(args.position, what + " expects an integer, got " + type_name(value));
  return value.data.get<long>();
}

// Python's str.upper()/lower() for ASCII; other letters would need Unicode case tables.
std::string ascii_case(const std::string& text, bool upper, const Arguments& args) {
  std::string out = text;
  for (char& c : out) {
    if (static_cast<unsigned char>(c) >= 0x80)
      unsupported(args, "upper()/lower() of non-ASCII text");
    if (upper && c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    if (!upper && c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::size_t length_of(const Value& value, const Arguments& args) {
  if (value.is_undefined()) return 0;
  if (value.is_string()) return code_points(value.data.get_ref<const std::string&>()).size();
  if (value.kind == Value::Kind::data && (value.data.is_array() || value.data.is_object()))
    return value.data.size();
  fail_at(args.position, "object of type '" + type_name(value) + "' has no length");
}

Value list_of(std::vector<Value> items) {
  Json array = Json::array();
  for (Value& v : items) array.push_back(v.is_undefined() ? Json() : std::move(v.data));
  return Value::of(std::move(array));
}

// select/reject/selectattr/rejectattr: keep the items whose (attribute's) test passes.
Value select_items(const Value& subject, const Arguments& args, bool by_attribute, bool keep) {
  std::size_t next = 0;
  std::string attribute;
  if (by_attribute) {
    if (args.positional.empty()) fail_at(args.position, "selectattr/rejectattr need an attribute");
    attribute = text_of(args.positional[next++], args, "selectattr/rejectattr");
  }
  std::optional<std::string> test;
  if (next < args.positional.size()) test = text_of(args.positional[next++], args, "a test name");
  Arguments test_args{{args.positional.begin() + static_cast<long>(next), args.positional.end()},
                      {},
                      args.position};
  std::vector<Value> kept;
  for (Value& item : iterate(subject, args.position)) {
    Value probe = item;
    if (by_attribute)
      for (const std::string& part : split(attribute, std::string(".")))
        probe = probe.is_object() ? get_item(probe, Value::of(part), args.position)
                                  : Value::undefined();
    const bool passes = test ? apply_test(*test, probe, test_args) : truthy(probe);
    if (passes == keep) kept.push_back(std::move(item));
  }
  return list_of(std::move(kept));
}

Value strip_method(const std::string& text, const std::string& name, const Arguments& args) {
  check_count(args, 1, name + "()");
  const auto chars = optional_text(args, 0, "chars", name + "()");
  return Value::of(strip(text, name != "rstrip", name != "lstrip", chars));
}

// str.startswith/endswith with one prefix or a tuple of them.
bool affix_matches(const std::string& text, const Value& affix, bool start, const Arguments& args) {
  if (affix.is_array()) {
    for (const Json& each : affix.data)
      if (affix_matches(text, Value::of(each), start, args)) return true;
    return false;
  }
  const std::string& a = text_of(affix, args, start ? "startswith()" : "endswith()");
  return start ? text.starts_with(a) : text.ends_with(a);
}

Value string_method(const std::string& text, const std::string& name, const Arguments& args) {
  if (name == "strip" || name == "lstrip" || name == "rstrip")
    return strip_method(text, name, args);
  if (name == "startswith" || name == "endswith") {
    check_count(args, 1, name + "()");
    if (args.positional.empty()) fail_at(args.position, name + "() needs an argument");
    return Value::of(affix_matches(text, args.positional[0], name == "startswith", args));
  }
  if (name == "split") {
    check_count(args, 2, "split()");
    const auto max_split = argument(args, 1, "maxsplit");
    return Value::of(
        split(text, optional_text(args, 0, "sep", "split()"),
              max_split ? static_cast<int>(integer_of(*max_split, args, "split()")) : -1));
  }
  if (name == "upper" || name == "lower") {
    check_count(args, 0, name + "()");
    return Value::of(ascii_case(text, name == "upper", args));
  }
  if (name == "replace") {
    check_count(args, 3, "replace()");
    if (args.positional.size() < 2) fail_at(args.position, "replace() needs two arguments");
    const auto count = argument(args, 2, "count");
    return Value::of(replace(text, text_of(args.positional[0], args, "replace()"),
                             text_of(args.positional[1], args, "replace()"),
                             count ? integer_of(*count, args, "replace()") : -1));
  }
  unsupported(args, "string method '" + name + "'");
}

Value dict_method(const Json& dict, const std::string& name, const Arguments& args) {
  if (name == "items" || name == "keys" || name == "values") {
    check_count(args, 0, name + "()");
    Json out = Json::array();
    for (const auto& [key, value] : dict.items()) {
      if (name == "items") out.push_back(Json::array({key, value}));
      if (name == "keys") out.push_back(key);
      if (name == "values") out.push_back(value);
    }
    return Value::of(std::move(out));
  }
  if (name == "get") {
    check_count(args, 2, "get()");
    if (args.positional.empty()) fail_at(args.position, "get() needs a key");
    const Value found = get_item(Value::of(dict), args.positional[0], args.position);
    if (!found.is_undefined()) return found;
    return args.positional.size() > 1 ? args.positional[1] : Value::of(nullptr);
  }
  unsupported(args, "dict method '" + name + "'");
}

}  // namespace

std::vector<Value> iterate(const Value& value, Position position) {
  std::vector<Value> items;
  if (value.is_undefined()) return items;
  if (value.is_string()) {
    for (std::string_view cp : code_points(value.data.get_ref<const std::string&>()))
      items.push_back(Value::of(std::string(cp)));
  } else if (value.kind == Value::Kind::data && value.data.is_array()) {
    for (const Json& item : value.data) items.push_back(Value::of(item));
  } else if (value.kind == Value::Kind::data && value.data.is_object()) {
    for (const auto& [key, item] : value.data.items()) items.push_back(Value::of(key));
  } else {
    fail_at(position, "'" + type_name(value) + "' object is not iterable");
  }
  return items;
}

Value get_item(const Value& object, const Value& key, Position position) {
  if (object.is_undefined()) fail_at(position, "subscript of an undefined value");
  if (object.is_object()) {
    if (!key.is_string()) return Value::undefined();
    const auto found = object.data.find(key.data.get_ref<const std::string&>());
    return found == object.data.end() ? Value::undefined() : Value::of(*found);
  }
  if ((object.is_array() || object.is_string()) && key.kind == Value::Kind::data &&
      key.data.is_number_integer()) {
    long index = key.data.get<long>();
    if (object.is_string()) {
      const auto cps = code_points(object.data.get_ref<const std::string&>());
      if (index < 0) index += static_cast<long>(cps.size());
      if (index < 0 || index >= static_cast<long>(cps.size())) return Value::undefined();
      return Value::of(std::string(cps[static_cast<std::size_t>(index)]));
    }
    if (index < 0) index += static_cast<long>(object.data.size());
    if (index < 0 || index >= static_cast<long>(object.data.size())) return Value::undefined();
    return Value::of(object.data[static_cast<std::size_t>(index)]);
  }
  return Value::undefined();
}

Value apply_filter(const std::string& name, const Value& subject, const Arguments& args) {
  if (name == "trim") {
    check_count(args, 1, "trim");
    return Value::of(strip(to_text(subject), true, true, optional_text(args, 0, "chars", "trim")));
  }
  if (name == "length" || name == "count") {
    check_count(args, 0, name);
    return Value::of(length_of(subject, args));
  }
  if (name == "tojson") {
    check_count(args, 1, "tojson");
    if (subject.kind != Value::Kind::data)
      fail_at(args.position, "tojson of a " + type_name(subject) + " value");
    const auto indent = argument(args, 0, "indent");
    const bool no_indent = !indent || (indent->kind == Value::Kind::data && indent->data.is_null());
    return Value::of(to_json_text(
        subject.data, no_indent ? -1 : static_cast<int>(integer_of(*indent, args, "tojson"))));
  }
  if (name == "join") {
    check_count(args, 1, "join");
    const std::string separator = optional_text(args, 0, "d", "join").value_or("");
    std::string out;
    bool first = true;
    for (const Value& item : iterate(subject, args.position)) {
      if (!first) out += separator;
      first = false;
      out += to_text(item);
    }
    return Value::of(std::move(out));
  }
  if (name == "list") {
    check_count(args, 0, "list");
    return list_of(iterate(subject, args.position));
  }
  if (name == "first" || name == "last") {
    check_count(args, 0, name);
    std::vector<Value> items = iterate(subject, args.position);
    if (items.empty()) return Value::undefined();
    return name == "first" ? items.front() : items.back();
  }
  if (name == "default" || name == "d") {
    check_count(args, 2, name);
    const auto boolean = argument(args, 1, "boolean");
    const bool use_default =
        subject.is_undefined() || (boolean && truthy(*boolean) && !truthy(subject));
    return use_default ? argument(args, 0, "default_value").value_or(Value::of("")) : subject;
  }
  if (name == "upper" || name == "lower") {
    check_count(args, 0, name);
    return Value::of(ascii_case(to_text(subject), name == "upper", args));
  }
  if (name == "replace") return string_method(to_text(subject), "replace", args);
  if (name == "items") {
    check_count(args, 0, "items");
    if (subject.is_undefined()) return Value::of(Json::array());
    if (subject.kind != Value::Kind::data || !subject.data.is_object())
      fail_at(args.position, "items expects a dict, got " + type_name(subject));
    return dict_method(subject.data, "items", Arguments{{}, {}, args.position});
  }
  if (name == "string") {
    check_count(args, 0, "string");
    return Value::of(to_text(subject));
  }
  if (name == "select" || name == "reject")
    return select_items(subject, args, false, name == "select");
  if (name == "selectattr" || name == "rejectattr")
    return select_items(subject, args, true, name == "selectattr");
  unsupported(args, "filter '" + name + "'");
}

bool apply_test(const std::string& name, const Value& subject, const Arguments& args) {
  const Json& d = subject.data;
  const bool data = subject.kind == Value::Kind::data;
  const auto other = [&] {
    if (args.positional.empty()) fail_at(args.position, "test '" + name + "' needs an argument");
    return args.positional[0];
  };
  if (name == "defined") return !subject.is_undefined();
  if (name == "undefined") return subject.is_undefined();
  if (name == "none") return data && d.is_null();
  if (name == "string") return subject.is_string();
  if (name == "mapping") return data && d.is_object();
  if (name == "iterable")
    return subject.is_undefined() || (data && (d.is_string() || d.is_array() || d.is_object()));
  if (name == "sequence") return data && (d.is_string() || d.is_array() || d.is_object());
  if (name == "number") return subject.is_number();
  if (name == "integer") return data && d.is_number_integer();
  if (name == "float") return data && d.is_number_float();
  if (name == "boolean") return data && d.is_boolean();
  if (name == "true") return data && d.is_boolean() && d.get<bool>();
  if (name == "false") return data && d.is_boolean() && !d.get<bool>();
  if (name == "equalto" || name == "eq" || name == "==") return equal(subject, other());
  if (name == "ne" || name == "!=") return !equal(subject, other());
  if (name == "odd" || name == "even") {
    const long n = integer_of(subject, args, "test '" + name + "'");
    return (n % 2 != 0) == (name == "odd");
  }
  if (name == "in") {
    for (const Value& item : iterate(other(), args.position))
      if (equal(item, subject)) return true;
    return false;
  }
  unsupported(args, "test '" + name + "'");
}

Value call_method(const Value& object, const std::string& name, const Arguments& args) {
  if (object.is_undefined()) fail_at(args.position, "method '" + name + "' of an undefined value");
  if (object.is_string())
    return string_method(object.data.get_ref<const std::string&>(), name, args);
  if (object.kind == Value::Kind::data && object.data.is_object())
    return dict_method(object.data, name, args);
  unsupported(args, "method '" + name + "' of a " + type_name(object) + " value");
}

}  // namespace engine::jinja

#include "chat/jinja_value.hpp"

#include <cstdio>

namespace engine::jinja {
namespace {

std::string number_text(const Json& number) {
  if (number.is_boolean()) return number.get<bool>() ? "True" : "False";
  return number.dump();  // shortest round-trip floats, "1.0" and "1e+16" like Python's repr
}

// Python's repr() of a str: single quotes unless the text has ' and no ".
std::string string_repr(const std::string& text) {
  const char quote =
      text.find('\'') != std::string::npos && text.find('"') == std::string::npos ? '"' : '\'';
  std::string out(1, quote);
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '\\' || c == quote) {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (byte < 0x20 || byte == 0x7f) {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02x", byte);
      out += hex;
    } else {
      out += c;
    }
  }
  return out + quote;
}

// Python's repr() of a value inside a list or dict.
std::string repr(const Json& value) {
  if (value.is_string()) return string_repr(value.get<std::string>());
  if (value.is_null()) return "None";
  if (value.is_array()) {
    std::string out = "[";
    for (std::size_t i = 0; i < value.size(); ++i) out += (i ? ", " : "") + repr(value[i]);
    return out + "]";
  }
  if (value.is_object()) {
    std::string out = "{";
    bool first = true;
    for (const auto& [key, item] : value.items()) {
      out += (first ? "" : ", ") + string_repr(key) + ": " + repr(item);
      first = false;
    }
    return out + "}";
  }
  return number_text(value);
}

void append_json(std::string& out, const Json& value, int indent, int depth) {
  const auto newline = [&](int level) {
    if (indent >= 0) out += '\n' + std::string(static_cast<std::size_t>(indent * level), ' ');
  };
  const char* separator = indent >= 0 ? "," : ", ";
  if (value.is_array() && !value.empty()) {
    out += '[';
    for (std::size_t i = 0; i < value.size(); ++i) {
      if (i) out += separator;
      newline(depth + 1);
      append_json(out, value[i], indent, depth + 1);
    }
    newline(depth);
    out += ']';
  } else if (value.is_object() && !value.empty()) {
    out += '{';
    bool first = true;
    for (const auto& [key, item] : value.items()) {
      if (!first) out += separator;
      first = false;
      newline(depth + 1);
      out += Json(key).dump(-1, ' ', false, Json::error_handler_t::replace) + ": ";
      append_json(out, item, indent, depth + 1);
    }
    newline(depth);
    out += '}';
  } else {
    out += value.dump(-1, ' ', false, Json::error_handler_t::replace);
  }
}

}  // namespace

bool truthy(const Value& value) {
  switch (value.kind) {
    case Value::Kind::undefined:
      return false;
    case Value::Kind::function:
    case Value::Kind::namespace_object:
      return true;
    case Value::Kind::data:
      break;
  }
  const Json& d = value.data;
  if (d.is_null()) return false;
  if (d.is_boolean()) return d.get<bool>();
  if (d.is_number_float()) return d.get<double>() != 0.0;
  if (d.is_number()) return d.get<long>() != 0;
  if (d.is_string()) return !d.get_ref<const std::string&>().empty();
  return !d.empty();
}

std::string to_text(const Value& value) {
  switch (value.kind) {
    case Value::Kind::undefined:
      return "";
    case Value::Kind::function:
      return "<function " + value.name + ">";
    case Value::Kind::namespace_object:
      return "<Namespace " + repr(value.data) + ">";
    case Value::Kind::data:
      break;
  }
  if (value.data.is_string()) return value.data.get<std::string>();
  return repr(value.data);
}

std::string to_json_text(const Json& value, int indent) {
  std::string out;
  append_json(out, value, indent, 0);
  return out;
}

std::string type_name(const Value& value) {
  switch (value.kind) {
    case Value::Kind::undefined:
      return "undefined";
    case Value::Kind::function:
      return "function";
    case Value::Kind::namespace_object:
      return "namespace";
    case Value::Kind::data:
      break;
  }
  switch (value.data.type()) {
    case Json::value_t::null:
      return "none";
    case Json::value_t::boolean:
      return "bool";
    case Json::value_t::string:
      return "string";
    case Json::value_t::array:
      return "list";
    case Json::value_t::object:
      return "dict";
    case Json::value_t::number_float:
      return "float";
    default:
      return "int";
  }
}

bool equal(const Value& a, const Value& b) {
  if (a.kind != b.kind) return false;
  if (a.kind == Value::Kind::undefined) return true;
  if (a.kind == Value::Kind::function) return a.name == b.name;
  // Python's True == 1: a bool compares as a number with numbers.
  if (a.data.is_boolean() != b.data.is_boolean() && a.is_number() && b.is_number()) {
    const auto as_double = [](const Json& j) {
      return j.is_boolean() ? (j.get<bool>() ? 1.0 : 0.0) : j.get<double>();
    };
    return as_double(a.data) == as_double(b.data);
  }
  return a.data == b.data;
}

}  // namespace engine::jinja

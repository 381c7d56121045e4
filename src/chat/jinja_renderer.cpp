#include "chat/jinja_renderer.hpp"

#include <cmath>
#include <unordered_map>

#include "chat/jinja_builtins.hpp"
#include "chat/python_text.hpp"

namespace engine::jinja {
namespace {

constexpr std::string_view kGlobalFunctions[] = {"raise_exception", "strftime_now", "namespace"};

enum class Flow { next, break_loop, continue_loop };

// Python's arithmetic on two numbers (a bool counts as 0 or 1): ints stay ints except for `/`.
Value arithmetic(const std::string& op, const Json& a, const Json& b, Position position) {
  const auto as_long = [](const Json& j) {
    return j.is_boolean() ? long{j.get<bool>()} : j.get<long>();
  };
  const auto as_double = [](const Json& j) {
    return j.is_boolean() ? double{j.get<bool>() ? 1.0 : 0.0} : j.get<double>();
  };
  const bool integers = !a.is_number_float() && !b.is_number_float();
  if (op == "/" || !integers) {
    const double x = as_double(a), y = as_double(b);
    if (y == 0 && (op == "/" || op == "//" || op == "%")) fail_at(position, "division by zero");
    if (op == "+") return Value::of(x + y);
    if (op == "-") return Value::of(x - y);
    if (op == "*") return Value::of(x * y);
    if (op == "/") return Value::of(x / y);
    if (op == "//") return Value::of(std::floor(x / y));
    if (op == "%") return Value::of(x - std::floor(x / y) * y);
    return Value::of(std::pow(x, y));
  }
  const long x = as_long(a), y = as_long(b);
  if (y == 0 && (op == "//" || op == "%")) fail_at(position, "division by zero");
  if (op == "+") return Value::of(x + y);
  if (op == "-") return Value::of(x - y);
  if (op == "*") return Value::of(x * y);
  // Floor division and modulo round toward negative infinity, as in Python.
  const long quotient = x / y - ((x % y != 0 && (x < 0) != (y < 0)) ? 1 : 0);
  if (op == "//") return Value::of(quotient);
  if (op == "%") return Value::of(x - quotient * y);
  if (y < 0) return Value::of(std::pow(static_cast<double>(x), static_cast<double>(y)));
  long power = 1;
  for (long i = 0; i < y; ++i) power *= x;
  return Value::of(power);
}

class Renderer {
 public:
  Renderer(const Json& variables, std::optional<std::time_t> now) : now_(now) {
    auto& globals = scopes_.emplace_back();
    for (const auto& [key, value] : variables.items()) globals[key] = Value::of(value);
  }

  std::string run(const Body& body) {
    exec(body);
    return std::move(out_);
  }

 private:
  using Scope = std::unordered_map<std::string, Value>;

  Flow exec(const Body& body) {
    for (const Node& node : body) {
      const Flow flow = exec(node);
      if (flow != Flow::next) return flow;
    }
    return Flow::next;
  }

  Flow exec(const Node& node) {
    switch (node.kind) {
      case Node::Kind::text:
        out_ += node.text;
        break;
      case Node::Kind::print:
        out_ += to_text(eval(*node.expr));
        break;
      case Node::Kind::if_chain:
        for (const auto& [condition, body] : node.branches)
          if (!condition || truthy(eval(*condition))) return exec(body);
        break;
      case Node::Kind::for_loop:
        return exec_for(node);
      case Node::Kind::set:
        exec_set(node);
        break;
      case Node::Kind::break_loop:
        if (loop_depth_ == 0) fail_at(node.position, "'break' outside a loop");
        return Flow::break_loop;
      case Node::Kind::continue_loop:
        if (loop_depth_ == 0) fail_at(node.position, "'continue' outside a loop");
        return Flow::continue_loop;
    }
    return Flow::next;
  }

  void bind_targets(Scope& scope, const Node& node, const Value& item) {
    if (node.targets.size() == 1) {
      scope[node.targets[0]] = item;
      return;
    }
    if (!item.is_array() || item.data.size() != node.targets.size())
      fail_at(node.position, "cannot unpack a " + type_name(item) + " into " +
                                 std::to_string(node.targets.size()) + " loop variables");
    for (std::size_t i = 0; i < node.targets.size(); ++i)
      scope[node.targets[i]] = Value::of(item.data[i]);
  }

  Flow exec_for(const Node& node) {
    std::vector<Value> items = iterate(eval(*node.expr), node.expr->position);
    if (node.filter) {
      std::vector<Value> kept;
      for (Value& item : items) {
        bind_targets(scopes_.emplace_back(), node, item);
        const bool keep = truthy(eval(*node.filter));
        scopes_.pop_back();
        if (keep) kept.push_back(std::move(item));
      }
      items = std::move(kept);
    }
    if (items.empty()) return exec(node.else_body);
    const long n = static_cast<long>(items.size());
    ++loop_depth_;
    for (long i = 0; i < n; ++i) {
      Scope& scope = scopes_.emplace_back();
      bind_targets(scope, node, items[static_cast<std::size_t>(i)]);
      Json loop = {
          {"index", i + 1},  {"index0", i},        {"revindex", n - i}, {"revindex0", n - i - 1},
          {"first", i == 0}, {"last", i == n - 1}, {"length", n}};
      if (i > 0) loop["previtem"] = items[static_cast<std::size_t>(i - 1)].data;
      if (i + 1 < n) loop["nextitem"] = items[static_cast<std::size_t>(i + 1)].data;
      scope["loop"] = Value::of(std::move(loop));
      const Flow flow = exec(node.body);
      scopes_.pop_back();
      if (flow == Flow::break_loop) break;
    }
    --loop_depth_;
    return Flow::next;
  }

  void exec_set(const Node& node) {
    Value value = eval(*node.expr);
    if (node.attribute.empty()) {
      scopes_.back()[node.targets[0]] = std::move(value);
      return;
    }
    Value* target = find(node.targets[0]);
    if (!target || target->kind != Value::Kind::namespace_object)
      fail_at(node.position,
              "cannot set an attribute of '" + node.targets[0] + "': it is not a namespace()");
    target->data[node.attribute] = value.is_undefined() ? Json() : std::move(value.data);
  }

  Value* find(const std::string& name) {
    for (auto scope = scopes_.rbegin(); scope != scopes_.rend(); ++scope) {
      const auto found = scope->find(name);
      if (found != scope->end()) return &found->second;
    }
    return nullptr;
  }

  Value lookup(const std::string& name) {
    if (const Value* v = find(name)) return *v;
    for (std::string_view f : kGlobalFunctions)
      if (name == f) return Value::function(name);
    return Value::undefined();
  }

  Arguments arguments(const Expr& e, std::size_t first) {
    Arguments args{{}, {}, e.position};
    for (std::size_t i = first; i < e.args.size(); ++i) args.positional.push_back(eval(*e.args[i]));
    for (const auto& [key, value] : e.keywords) args.keywords.emplace_back(key, eval(*value));
    return args;
  }

  Value eval(const Expr& e) {
    switch (e.kind) {
      case Expr::Kind::literal:
        return Value::of(e.value);
      case Expr::Kind::name:
        return lookup(e.name);
      case Expr::Kind::attribute: {
        const Value object = eval(*e.args[0]);
        if (object.is_undefined())
          fail_at(e.position, "attribute '" + e.name + "' of an undefined value");
        return object.is_object() ? get_item(object, Value::of(e.name), e.position)
                                  : Value::undefined();
      }
      case Expr::Kind::item:
        return get_item(eval(*e.args[0]), eval(*e.args[1]), e.position);
      case Expr::Kind::slice:
        return eval_slice(e);
      case Expr::Kind::call:
        return eval_call(e);
      case Expr::Kind::filter:
        return apply_filter(e.name, eval(*e.args[0]), arguments(e, 1));
      case Expr::Kind::test:
        return Value::of(apply_test(e.name, eval(*e.args[0]), arguments(e, 1)) != e.negated);
      case Expr::Kind::unary:
        return eval_unary(e);
      case Expr::Kind::binary:
        return eval_binary(e);
      case Expr::Kind::conditional:
        if (truthy(eval(*e.args[1]))) return eval(*e.args[0]);
        return e.args[2] ? eval(*e.args[2]) : Value::undefined();
      case Expr::Kind::list: {
        Json list = Json::array();
        for (const ExprPtr& item : e.args) list.push_back(data_of(eval(*item), item->position));
        return Value::of(std::move(list));
      }
      case Expr::Kind::dict: {
        Json dict = Json::object();
        for (std::size_t i = 0; i + 1 < e.args.size(); i += 2) {
          const Value key = eval(*e.args[i]);
          if (!key.is_string()) fail_at(e.args[i]->position, "unsupported non-string dict key");
          dict[key.data.get<std::string>()] =
              data_of(eval(*e.args[i + 1]), e.args[i + 1]->position);
        }
        return Value::of(std::move(dict));
      }
    }
    return Value::undefined();
  }

  // A value stored inside a list or dict must be plain data.
  static Json data_of(const Value& v, Position position) {
    if (v.kind != Value::Kind::data)
      fail_at(position, "unsupported " + type_name(v) + " value inside a list or dict",
              ErrorCode::unsupported);
    return v.data;
  }

  Value eval_slice(const Expr& e) {
    const Value target = eval(*e.args[0]);
    std::optional<long> bounds[3];
    for (int i = 0; i < 3; ++i) {
      const Expr* bound = e.args[static_cast<std::size_t>(i) + 1].get();
      if (!bound) continue;
      const Value v = eval(*bound);
      if (v.kind == Value::Kind::data && v.data.is_null()) continue;
      if (v.kind != Value::Kind::data || !v.data.is_number_integer())
        fail_at(bound->position, "slice indices must be integers, got " + type_name(v));
      bounds[i] = v.data.get<long>();
    }
    if (target.is_string()) {
      const auto cps = code_points(target.data.get_ref<const std::string&>());
      std::string out;
      for (std::size_t i :
           slice_positions(static_cast<long>(cps.size()), bounds[0], bounds[1], bounds[2]))
        out += cps[i];
      return Value::of(std::move(out));
    }
    if (!target.is_array()) fail_at(e.position, "cannot slice a " + type_name(target) + " value");
    Json out = Json::array();
    for (std::size_t i :
         slice_positions(static_cast<long>(target.data.size()), bounds[0], bounds[1], bounds[2]))
      out.push_back(target.data[i]);
    return Value::of(std::move(out));
  }

  Value eval_call(const Expr& e) {
    const Expr& callee = *e.args[0];
    if (callee.kind == Expr::Kind::attribute)
      return call_method(eval(*callee.args[0]), callee.name, arguments(e, 1));
    const Value function = eval(callee);
    if (function.kind != Value::Kind::function)
      fail_at(e.position, "a " + type_name(function) + " value is not callable");
    Arguments args = arguments(e, 1);
    if (function.name == "raise_exception") {
      const std::string message = args.positional.empty() ? "" : to_text(args.positional[0]);
      throw Error(ErrorCode::invalid_argument, "chat template: " + message);
    }
    if (function.name == "strftime_now") {
      if (args.positional.empty() || !args.positional[0].is_string())
        fail_at(e.position, "strftime_now() needs a format string");
      return Value::of(strftime_now(args.positional[0].data.get<std::string>()));
    }
    // namespace(key=value, ...): the mutable object `set ns.key = ...` writes to.
    if (!args.positional.empty())
      fail_at(e.position, "unsupported positional arguments to namespace()",
              ErrorCode::unsupported);
    Value ns{Value::Kind::namespace_object, Json::object(), {}};
    for (auto& [key, value] : args.keywords) ns.data[key] = data_of(value, e.position);
    return ns;
  }

  std::string strftime_now(const std::string& format) const {
    const std::time_t t = now_.value_or(std::time(nullptr));
    std::tm parts{};
    if (now_)
      gmtime_r(&t, &parts);
    else
      localtime_r(&t, &parts);
    std::string out(format.size() * 4 + 64, '\0');
    out.resize(std::strftime(out.data(), out.size(), format.c_str(), &parts));
    return out;
  }

  Value eval_unary(const Expr& e) {
    const Value v = eval(*e.args[0]);
    if (e.name == "not") return Value::of(!truthy(v));
    if (!v.is_number())
      fail_at(e.position, "bad operand type for unary " + e.name + ": " + type_name(v));
    if (e.name == "+") return v;
    return arithmetic("-", Json(0), v.data, e.position);
  }

  Value eval_binary(const Expr& e) {
    const std::string& op = e.name;
    Value a = eval(*e.args[0]);
    if (op == "and") return truthy(a) ? eval(*e.args[1]) : a;
    if (op == "or") return truthy(a) ? a : eval(*e.args[1]);
    const Value b = eval(*e.args[1]);
    if (op == "==") return Value::of(equal(a, b));
    if (op == "!=") return Value::of(!equal(a, b));
    if (op == "in" || op == "not in") return Value::of(contains(b, a, e.position) == (op == "in"));
    if (op == "~") return Value::of(to_text(a) + to_text(b));
    const auto type_error = [&]() -> Value {
      fail_at(e.position,
              "unsupported operand types for " + op + ": " + type_name(a) + " and " + type_name(b));
    };
    if (op == "<" || op == ">" || op == "<=" || op == ">=") {
      const bool comparable = (a.is_number() && b.is_number()) || (a.is_string() && b.is_string());
      if (!comparable) type_error();
      if (op == "<") return Value::of(a.data < b.data);
      if (op == ">") return Value::of(a.data > b.data);
      if (op == "<=") return Value::of(a.data <= b.data);
      return Value::of(a.data >= b.data);
    }
    if (a.is_number() && b.is_number()) return arithmetic(op, a.data, b.data, e.position);
    if (op == "+" && a.is_string() && b.is_string())
      return Value::of(a.data.get_ref<const std::string&>() + b.data.get_ref<const std::string&>());
    if (op == "+" && a.is_array() && b.is_array()) {
      for (const Json& item : b.data) a.data.push_back(item);
      return a;
    }
    if (op == "*" && (a.is_string() || a.is_array()) && b.kind == Value::Kind::data &&
        b.data.is_number_integer()) {
      Value out = Value::of(a.is_string() ? Json("") : Json::array());
      for (long i = 0; i < b.data.get<long>(); ++i) {
        if (a.is_string())
          out.data.get_ref<std::string&>() += a.data.get_ref<const std::string&>();
        else
          for (const Json& item : a.data) out.data.push_back(item);
      }
      return out;
    }
    return type_error();
  }

  static bool contains(const Value& container, const Value& item, Position position) {
    if (container.is_string()) {
      if (!item.is_string())
        fail_at(position, "'in <string>' needs a string on the left, got " + type_name(item));
      return container.data.get_ref<const std::string&>().find(
                 item.data.get_ref<const std::string&>()) != std::string::npos;
    }
    if (container.is_object())
      return item.is_string() && container.data.contains(item.data.get_ref<const std::string&>());
    for (const Value& each : iterate(container, position))
      if (equal(each, item)) return true;
    return false;
  }

  std::vector<Scope> scopes_;
  std::string out_;
  int loop_depth_ = 0;
  std::optional<std::time_t> now_;
};

}  // namespace

std::string render(const Template& t, const Json& variables, std::optional<std::time_t> now) {
  if (t.body.empty()) return "";
  return Renderer(variables, now).run(t.body);
}

}  // namespace engine::jinja

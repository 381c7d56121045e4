// Templates outside the Jinja subset, malformed templates and type errors: one engine::Error
// naming the construct and its line:column, never a rendered prompt.
#include <gtest/gtest.h>

#include "engine/chat/chat_template.hpp"
#include "expect_engine_error.hpp"

namespace engine::test {
namespace {

std::string render(const std::string& source) {
  const std::vector<ChatMessage> messages = {{"user", "Hi"}};
  return ChatTemplate(source, "<s>", "</s>").render(messages, true);
}

TEST(JinjaErrors, UnsupportedTagNamesItAndItsPosition) {
  expect_engine_error([] { render("ok\n  {% macro m() %}x{% endmacro %}"); },
                      ErrorCode::unsupported, {"unsupported tag 'macro'", "line 2:6"});
  expect_engine_error([] { render("{% raw %}{{ x }}{% endraw %}"); }, ErrorCode::unsupported,
                      {"unsupported tag 'raw'", "line 1:4"});
  expect_engine_error([] { render("{% for m in messages recursive %}{% endfor %}"); },
                      ErrorCode::unsupported, {"recursive", "line 1:22"});
  expect_engine_error([] { render("{% set x %}block{% endset %}"); }, ErrorCode::unsupported,
                      {"block set", "line 1:4"});
}

TEST(JinjaErrors, UnsupportedFilterTestAndMethodAtRender) {
  expect_engine_error([] { render("{{ messages | map(attribute='role') | join }}"); },
                      ErrorCode::unsupported, {"unsupported filter 'map'", "line 1:15"});
  expect_engine_error([] { render("\n{{ 3 is divisibleby(3) }}"); }, ErrorCode::unsupported,
                      {"unsupported test 'divisibleby'", "line 2:9"});
  expect_engine_error([] { render("{{ 'a'.title() }}"); }, ErrorCode::unsupported,
                      {"unsupported string method 'title'", "line 1:"});
  expect_engine_error([] { render("{{ 'é'.upper() }}"); }, ErrorCode::unsupported, {"non-ASCII"});
}

TEST(JinjaErrors, SyntaxErrorsNameWhatIsWrong) {
  expect_engine_error([] { render("{% if true %}x"); }, ErrorCode::bad_format,
                      {"missing '{% endif %}'"});
  expect_engine_error([] { render("{{ 'abc }}"); }, ErrorCode::bad_format,
                      {"unterminated string", "line 1:4"});
  expect_engine_error([] { render("a {# note"); }, ErrorCode::bad_format,
                      {"unterminated comment", "line 1:3"});
  expect_engine_error([] { render("{{ 1 +  }}"); }, ErrorCode::bad_format,
                      {"expected an expression", "line 1:9"});
  expect_engine_error([] { render("{% if x %}{% endfor %}"); }, ErrorCode::bad_format,
                      {"unexpected 'endfor'", "line 1:14"});
  expect_engine_error([] { render("{{ a ; b }}"); }, ErrorCode::bad_format,
                      {"unexpected character ';'", "line 1:6"});
  // Integers past long long, as a literal and as an index after a dot (the fuzzer's find).
  expect_engine_error([] { render("{{ 99999999999999999999 }}"); }, ErrorCode::bad_format,
                      {"number out of range: 99999999999999999999"});
  expect_engine_error([] { render("{{ messages.99999999999999999999 }}"); }, ErrorCode::bad_format,
                      {"number out of range: 99999999999999999999"});
}

TEST(JinjaErrors, TypeErrorsFailInsteadOfGuessing) {
  expect_engine_error([] { render("{{ 'a' + 1 }}"); }, ErrorCode::invalid_argument,
                      {"unsupported operand types for +: string and int", "line 1:8"});
  expect_engine_error([] { render("{{ missing.role }}"); }, ErrorCode::invalid_argument,
                      {"attribute 'role' of an undefined value"});
  expect_engine_error([] { render("{{ messages[5]['role'] }}"); }, ErrorCode::invalid_argument,
                      {"subscript of an undefined value"});
  expect_engine_error([] { render("{% set d = {'a': 1} %}{% set d.a = 2 %}"); },
                      ErrorCode::invalid_argument, {"not a namespace()"});
  expect_engine_error([] { render("{% for a, b in messages %}{% endfor %}"); },
                      ErrorCode::invalid_argument, {"cannot unpack"});
}

TEST(JinjaErrors, RaiseExceptionCarriesTheTemplatesMessage) {
  expect_engine_error([] { render("{{ raise_exception('Roles must alternate') }}"); },
                      ErrorCode::invalid_argument, {"chat template: Roles must alternate"});
}

TEST(JinjaErrors, MessagesJsonMustBeAListOrAnObjectWithMessages) {
  const ChatTemplate t("{{ messages | length }}", "", "");
  EXPECT_EQ(t.render_json(R"([{"role": "user", "content": "x"}])", false), "1");
  EXPECT_EQ(t.render_json(R"({"messages": [], "tools": []})", false), "0");
  for (const char* bad : {"{", "42", R"({"tools": []})", R"({"messages": 3})"})
    expect_engine_error([&] { t.render_json(bad, false); }, ErrorCode::invalid_argument,
                        {"JSON array of messages"});
}

// `start`, then `piece` n times.
std::string repeat(std::string_view piece, int n, std::string start = {}) {
  std::string out = std::move(start);
  for (int i = 0; i < n; ++i) out += piece;
  return out;
}

// The parser, the renderer and the tree's destructor recurse over the template's nesting: a
// hostile template nested 100000 deep must fail with an error, not overflow the stack.
TEST(JinjaErrors, DeepNestingFailsInsteadOfOverflowingTheStack) {
  constexpr int kDeep = 100000;
  for (const std::string& expression :
       {repeat("(", kDeep) + "1" + repeat(")", kDeep), repeat("[", kDeep) + repeat("]", kDeep),
        repeat("not ", kDeep) + "true", repeat(" + 1", kDeep, "1"),
        repeat("[0]", kDeep, "messages"), repeat(" | trim", kDeep, "'a'")})
    expect_engine_error([&] { render(repeat(" }}", 1, "x\n{{ " + expression)); },
                        ErrorCode::bad_format, {"a tag of more than 512 tokens", "line 2:1"});
  expect_engine_error([] { render(repeat("{% if true %}", kDeep) + repeat("{% endif %}", kDeep)); },
                      ErrorCode::bad_format, {"blocks nested more than 64 deep", "line 1:"});
}

TEST(JinjaErrors, NestingWithinTheLimitsRenders) {
  EXPECT_EQ(render("{{ " + repeat("(", 100) + "1" + repeat(")", 100) + " }}"), "1");
  EXPECT_EQ(render(repeat("{% if true %}", 64) + "x" + repeat("{% endif %}", 64)), "x");
}

}  // namespace
}  // namespace engine::test

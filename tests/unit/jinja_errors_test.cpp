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

}  // namespace
}  // namespace engine::test

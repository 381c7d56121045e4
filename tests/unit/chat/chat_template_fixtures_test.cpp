// ChatTemplate against Python's jinja2: the real templates of models/chat-templates/ over the
// conversations, and small one-construct templates, as tools/fixtures/render_chat_templates.py
// rendered them (tests/data/chat/renderings.json). Byte for byte, and the same raised message.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "engine/chat/chat_template.hpp"
#include "engine/error.hpp"
#include "test_paths.hpp"

namespace engine::test {
namespace {

using Json = nlohmann::ordered_json;

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

const Json& fixtures() {
  static const Json document =
      Json::parse(read_text((std::filesystem::path(ENGINE_TEST_MODELS_DIR).parent_path() /
                             "tests/data/chat/renderings.json")
                                .string()));
  return document;
}

// Renders and compares with one fixture entry: its output, or jinja2's error.
void expect_rendering(const ChatTemplate& t, const Json& variables, bool add_generation_prompt,
                      const Json& expected, const std::string& label) {
  const std::time_t now = fixtures()["now_utc"].get<std::time_t>();
  if (expected.contains("output")) {
    try {
      EXPECT_EQ(t.render_json(variables.dump(), add_generation_prompt, now),
                expected["output"].get<std::string>())
          << label;
    } catch (const Error& e) {
      ADD_FAILURE() << label << ": " << e.what();
    }
    return;
  }
  try {
    const std::string out = t.render_json(variables.dump(), add_generation_prompt, now);
    ADD_FAILURE() << label << ": jinja2 failed (" << expected["error"] << ") but we rendered\n"
                  << out;
  } catch (const Error& e) {
    // raise_exception's message is the template's own; other failures only need to fail.
    if (expected["raised"].get<bool>()) {
      EXPECT_EQ(std::string(e.what()), "chat template: " + expected["error"].get<std::string>())
          << label;
    }
  }
}

TEST(ChatTemplateFixtures, RealTemplatesRenderAsJinja2) {
  const Json& doc = fixtures();
  ASSERT_GT(doc["renderings"].size(), 100u);
  std::map<std::string, ChatTemplate> templates;
  for (const auto& [file, specials] : doc["specials"].items())
    templates.emplace(file, ChatTemplate(read_text(require_model("chat-templates/" + file)),
                                         specials["bos_token"], specials["eos_token"]));
  for (const Json& r : doc["renderings"]) {
    const std::string label = r["template"].get<std::string>() + " / " +
                              r["conversation"].get<std::string>() +
                              (r["add_generation_prompt"].get<bool>() ? " + prompt" : "");
    expect_rendering(templates.at(r["template"]),
                     doc["conversations"][r["conversation"].get<std::string>()],
                     r["add_generation_prompt"], r, label);
  }
}

// The ChatMessage overload (what the CLI and the server use) gives the same text.
TEST(ChatTemplateFixtures, MessageListOverloadMatches) {
  const Json& doc = fixtures();
  int compared = 0;
  for (const Json& r : doc["renderings"]) {
    const Json& conversation = doc["conversations"][r["conversation"].get<std::string>()];
    if (!conversation.is_array() || !r.contains("output")) continue;
    std::vector<ChatMessage> messages;
    for (const Json& m : conversation) messages.push_back({m["role"], m["content"]});
    const Json& specials = doc["specials"][r["template"].get<std::string>()];
    const std::string file = r["template"];
    if (file.find("Llama-3.2") != std::string::npos) continue;  // strftime_now: today's date
    const ChatTemplate t(read_text(require_model("chat-templates/" + file)), specials["bos_token"],
                         specials["eos_token"]);
    EXPECT_EQ(t.render(messages, r["add_generation_prompt"]), r["output"].get<std::string>())
        << file << " / " << r["conversation"];
    ++compared;
  }
  EXPECT_GT(compared, 50);
}

TEST(ChatTemplateFixtures, ConstructsRenderAsJinja2) {
  const Json& doc = fixtures();
  ASSERT_GT(doc["snippets"].size(), 20u);
  for (const Json& s : doc["snippets"]) {
    const std::string label = "snippet " + s["name"].get<std::string>();
    try {
      const ChatTemplate t(s["source"].get<std::string>(), "", "");
      expect_rendering(t, doc["snippet_variables"], false, s, label);
    } catch (const Error& e) {
      EXPECT_TRUE(s.contains("error")) << label << ": " << e.what();
    }
  }
}

}  // namespace
}  // namespace engine::test

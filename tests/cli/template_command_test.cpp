// engine template: the prompt a chat template renders, printed byte for byte as Python's
// jinja2 rendered it (tests/data/chat/renderings.json), and one error line for bad input.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>

#include "cli/expect_error_line.hpp"
#include "cli/run_cli.hpp"
#include "cli/scratch_dir.hpp"
#include "test_paths.hpp"

namespace engine::test {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;

class TemplateCommand : public ::testing::Test {
 protected:
  std::string write(const std::string& name, const std::string& bytes) {
    return dir_.write(name, bytes);
  }
  static Json fixtures() {
    return Json::parse(read_file(fs::path(ENGINE_TEST_MODELS_DIR).parent_path() /
                                 "tests/data/chat/renderings.json"));
  }
  ScratchDir dir_{"engine_template_cli"};
};

TEST_F(TemplateCommand, RendersATemplateFileAsJinja2Does) {
  const Json doc = fixtures();
  int compared = 0;
  for (const Json& r : doc["renderings"]) {
    const std::string file = r["template"];
    const std::string conversation = r["conversation"];
    // One file with tools and one with BOS and unicode, each with and without the prompt.
    const bool wanted = (file.starts_with("Qwen") && conversation == "tools") ||
                        (file.starts_with("mistralai") && conversation == "unicode");
    if (!wanted) continue;
    const Json& specials = doc["specials"][file];
    const std::string messages = write("messages.json", doc["conversations"][conversation].dump());
    const CliResult out =
        run_cli("template --chat-template " + quote(require_model("chat-templates/" + file)) +
                " --bos " + quote(specials["bos_token"]) + " --eos " +
                quote(specials["eos_token"]) + " --messages " + quote(messages) +
                (r["add_generation_prompt"].get<bool>() ? " --add-generation-prompt" : ""));
    EXPECT_EQ(out.exit_code, 0) << out.err;
    EXPECT_EQ(out.out, r["output"].get<std::string>()) << file << " / " << conversation;
    ++compared;
  }
  EXPECT_EQ(compared, 4);
}

TEST_F(TemplateCommand, BuiltInByNameWithGivenSpecials) {
  const std::string messages = write(
      "m.json", R"([{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Yo"}])");
  const CliResult out = run_cli("template --chat-template zephyr --eos '</s>' --messages " +
                                quote(messages) + " --add-generation-prompt");
  EXPECT_EQ(out.exit_code, 0) << out.err;
  EXPECT_EQ(out.out, "<|user|>\nHi</s>\n<|assistant|>\nYo</s>\n<|assistant|>\n");
}

TEST_F(TemplateCommand, ModelsOwnTemplateAndSpecialTokens) {
  const std::string messages = write("m.json", R"([{"role": "user", "content": "Hi"}])");
  const CliResult out =
      run_cli("template -m " + quote(require_model("families/llama32-style-f32.gguf")) +
              " --messages " + quote(messages));
  EXPECT_EQ(out.exit_code, 0) << out.err;
  EXPECT_TRUE(out.out.starts_with("<|begin_of_text|><|start_header_id|>")) << out.out;
  EXPECT_NE(out.out.find("Hi<|eot_id|>"), std::string::npos) << out.out;
}

TEST_F(TemplateCommand, BadInputIsOneErrorLine) {
  const std::string messages = write("m.json", R"([{"role": "system", "content": "S"}])");
  expect_one_error_line(
      run_cli("template -m " + quote(require_model("families/gemma2-style-f32.gguf")) +
              " --messages " + quote(messages)),
      "carries no chat template");
  expect_one_error_line(run_cli("template --chat-template " +
                                quote(require_model("chat-templates/google-gemma-2-2b-it.jinja")) +
                                " --messages " + quote(messages)),
                        "System role not supported");
  expect_one_error_line(run_cli("template --chat-template chatml --messages " +
                                quote(write("bad.json", "{\"messages\": "))),
                        "JSON array of messages");
  expect_one_error_line(run_cli("template --chat-template " +
                                quote(write("t.jinja", "{% macro x() %}{% endmacro %}")) +
                                " --messages " + quote(messages)),
                        "line 1:4: unsupported tag 'macro'");
  expect_one_error_line(run_cli("template --chat-template nosuch --messages " + quote(messages)),
                        "unknown chat template 'nosuch'");
}

}  // namespace
}  // namespace engine::test

// engine generate --attention-png: a picture per prompt of a batch (its padding cut off, so it
// is drawn as when the prompt runs alone), titled, labelled with its tokens, and --scale's
// values.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "cli/render/heatmap.hpp"
#include "cli/run_cli.hpp"
#include "cli/scratch_dir.hpp"
#include "decoded_png.hpp"
#include "engine/attention/mask.hpp"
#include "test_paths.hpp"

namespace engine::test {
namespace {

namespace fs = std::filesystem;

constexpr Rgb kWhite{255, 255, 255};

std::string generate_args() {
  return "generate -m " + quote(require_model("stories260K.bin")) + " -z " +
         quote(require_model("tok512.bin")) + " -n 2 --temperature 0 --log-level warn";
}

/// Runs generate with `args` into a fresh `dir`; fails the test unless it succeeds.
void draw(const fs::path& dir, const std::string& args) {
  fs::remove_all(dir);
  const CliResult r = run_cli(generate_args() + args + " --attention-png " + quote(dir.string()));
  ASSERT_EQ(r.exit_code, 0) << r.err;
}

TEST(AttentionPng, EveryPromptOfABatchIsDrawnAsAlone) {
  const ScratchDir scratch("attention_png_batch");
  const fs::path batch = scratch.path() / "batch", one_by_one = scratch.path() / "b1";
  const fs::path alone = scratch.path() / "alone";
  const std::string prompts = " -p 'Once upon a time there was a girl' -p 'Hi'";
  draw(batch, prompts);
  draw(one_by_one, prompts + " -b 1");
  draw(alone, " -p 'Hi'");
  for (int layer = 0; layer < 5; ++layer) {
    const std::string name = "layer" + std::to_string(layer) + ".png";
    EXPECT_FALSE(fs::exists(batch / name));  // several prompts: each picture names its prompt
    const DecodedPng long_prompt = read_png((batch / ("prompt0_" + name)).string());
    const DecodedPng short_prompt = read_png((batch / ("prompt1_" + name)).string());
    const DecodedPng short_alone = read_png((alone / name).string());
    // The short prompt's picture has its own few rows, not the batch's padded block: its
    // height (which the title does not change) is the one it has alone.
    EXPECT_LT(short_prompt.height, long_prompt.height - 50);
    EXPECT_EQ(short_prompt.height, short_alone.height);
    // Batches of one prompt each draw the same pictures under the same names.
    EXPECT_EQ(read_png((one_by_one / ("prompt1_" + name)).string()).rgb, short_prompt.rgb);
    EXPECT_EQ(read_png((one_by_one / ("prompt0_" + name)).string()).rgb, long_prompt.rgb);
  }
}

TEST(AttentionPng, ScalesChangeThePicture) {
  const ScratchDir scratch("attention_png_scales");
  const std::string prompt = " -p 'Once upon a time there was a girl'";
  draw(scratch.path() / "linear", prompt);
  draw(scratch.path() / "log", prompt + " --scale log");
  draw(scratch.path() / "row", prompt + " --scale row");
  const DecodedPng linear = read_png((scratch.path() / "linear" / "layer0.png").string());
  for (const char* scale : {"log", "row"}) {
    const DecodedPng other = read_png((scratch.path() / scale / "layer0.png").string());
    // The title ("..., log scale") and the cells differ; the picture's height does not.
    EXPECT_EQ(other.height, linear.height) << scale;
    EXPECT_NE(other.rgb, linear.rgb) << scale;
    // A log or per-row scale brings out weights a linear one leaves near white: more of the
    // picture is far from white.
    const auto dark = [](const DecodedPng& png) {
      int count = 0;
      for (int y = 0; y < png.height; ++y)
        for (int x = 0; x < png.width; ++x) {
          const Rgb c = png.at(x, y);
          count += c != kWhite && c.r + c.g + c.b < 600 ? 1 : 0;
        }
      return count;
    };
    EXPECT_GT(dark(other), dark(linear)) << scale;
  }
}

/// The size of the picture of `labels.size()` tokens labelled `labels` under `title`.
std::pair<int, int> labelled_size(const std::vector<std::string>& labels,
                                  const std::string& title) {
  HeatmapStyle style;
  style.title = title;
  style.row_labels = style.column_labels = labels;
  const Mask mask = subsequent_mask(static_cast<int>(labels.size()));
  style.mask = &mask;
  const HeatmapLayout l = heatmap_layout(mask.rows(), mask.cols(), style);
  return {l.width, l.height};
}

// Rows and columns are labelled with the text each token prints (a space as _, a newline as
// \n), or for a token that prints nothing its vocabulary piece: the picture has the size of
// one with those labels. With --chat they are the tokens of the chat template.
TEST(AttentionPng, TokensLabelTheAxes) {
  const ScratchDir scratch("attention_png_labels");
  draw(scratch.path() / "plain", " -p 'Once upon a time'");
  const DecodedPng plain = read_png((scratch.path() / "plain" / "layer0.png").string());
  EXPECT_EQ(std::pair(plain.width, plain.height),
            labelled_size({"<s>", "Once", "_upon", "_a", "_time"}, "layer 0, heads averaged"));

  const fs::path chat = scratch.path() / "chat";
  const CliResult r = run_cli(
      "generate -m " + quote(require_model("families/qwen25-style-f32.gguf")) +
      " --chat -p 'Hi there' -n 1 --log-level warn --attention-png " + quote(chat.string()));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const DecodedPng chat_png = read_png((chat / "layer0.png").string());
  EXPECT_EQ(std::pair(chat_png.width, chat_png.height),
            labelled_size({"<|im_start|>", "user", "\\n", "Hi", "_there", "<|im_end|>", "\\n",
                           "<|im_start|>", "assistant", "\\n"},
                          "layer 0, heads averaged"));
}

TEST(AttentionPng, BadScaleIsAUsageError) {
  for (const std::string& args :
       {std::string(" -p hi --attention-png /tmp/x --scale cubic"),
        std::string(" -p hi --scale log"), std::string(" -p hi --heads")}) {
    const CliResult r = run_cli(generate_args() + args);
    EXPECT_EQ(r.exit_code, 2) << args;
    EXPECT_NE(r.err.find("engine: error:"), std::string::npos) << r.err;
  }
}

}  // namespace
}  // namespace engine::test

// The attention heatmaps of engine generate: each sequence's prompt block without its left
// padding, so every prompt of a batch is drawn as it would be alone.
#include "cli/attention_pictures.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>

#include "cli/output_file.hpp"
#include "engine/error.hpp"

namespace engine::cli {
namespace {

constexpr std::string_view kSentencePieceSpace = "\xE2\x96\x81";  // U+2581, ▁

/// Text as an ASCII label: a space (or SentencePiece's ▁) as '_' so word starts show, \n, \t and
/// \r as escapes, any other control or non-ASCII character as one '?'.
std::string visible(std::string_view text) {
  std::string label;
  for (std::size_t i = 0; i < text.size();) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if (text.substr(i, kSentencePieceSpace.size()) == kSentencePieceSpace) {
      label += '_';
      i += kSentencePieceSpace.size();
      continue;
    }
    ++i;
    if (byte >= 0x80) {  // a UTF-8 lead byte: skip its continuation bytes
      label += '?';
      while (i < text.size() && (static_cast<unsigned char>(text[i]) & 0xC0) == 0x80) ++i;
    } else if (byte == ' ') {
      label += '_';
    } else if (byte == '\n' || byte == '\t' || byte == '\r') {
      label += byte == '\n' ? "\\n" : byte == '\t' ? "\\t" : "\\r";
    } else {
      label += byte > 0x20 && byte < 0x7F ? static_cast<char>(byte) : '?';
    }
  }
  return label;
}

/// The label of `tokens[i]`: the text it stands for after the token before it (what generation
/// prints), or its vocabulary piece for a token that prints nothing (<s>, <|im_start|>).
std::string token_label(const Tokenizer& tokenizer, std::span<const int> tokens, std::size_t i) {
  const std::string text = tokenizer.decode(i ? tokens[i - 1] : tokenizer.bos_id(), tokens[i]);
  return visible(text.empty() ? tokenizer.piece(tokens[i]) : text);
}

/// The sub-matrix of rows and columns [first, size) of a (size, size) row-major matrix.
std::vector<float> crop(std::span<const float> values, int size, int first) {
  std::vector<float> out;
  for (int r = first; r < size; ++r)
    for (int c = first; c < size; ++c)
      out.push_back(values[static_cast<std::size_t>(r) * size + c]);
  return out;
}

HeatmapScale parse_scale(const std::string& name) {
  return name == "log"   ? HeatmapScale::log
         : name == "row" ? HeatmapScale::row
                         : HeatmapScale::linear;
}

}  // namespace

void add_attention_picture_options(CLI::App& cmd, AttentionPictureOptions& options) {
  CLI::Option* dir = cmd.add_option(
      "--attention-png", options.dir,
      "directory for heatmaps of each prompt's attention per layer (heads averaged): layerL.png, "
      "or promptI_layerL.png for several prompts");
  cmd.add_flag("--heads", options.heads, "with --attention-png: one heatmap per head too")
      ->needs(dir);
  cmd.add_option("--scale", options.scale,
                 "with --attention-png: colour scale linear, log (1e-4..1 in decades: spread-out "
                 "attention shows) or row (each query relative to its largest weight)")
      ->check(CLI::IsMember({"linear", "log", "row"}))
      ->capture_default_str()
      ->needs(dir);
}

AttentionPictures::AttentionPictures(const AttentionPictureOptions& options,
                                     const Tokenizer& tokenizer,
                                     std::span<const std::vector<int>> prompt_tokens,
                                     Session& session)
    : state_(std::make_shared<State>()) {
  const std::string& dir = options.dir;
  std::error_code error;
  if (std::filesystem::exists(dir, error) && !std::filesystem::is_directory(dir, error))
    throw Error(ErrorCode::io, fmt::format("--attention-png {}: not a directory", dir));
  std::filesystem::create_directories(dir, error);
  if (error)
    throw Error(ErrorCode::io,
                fmt::format("--attention-png {}: cannot create: {}", dir, error.message()));
  state_->options = options;
  state_->scale = parse_scale(options.scale);
  for (const std::vector<int>& tokens : prompt_tokens) {
    std::vector<std::string>& labels = state_->labels.emplace_back();
    for (std::size_t i = 0; i < tokens.size(); ++i)
      labels.push_back(token_label(tokenizer, tokens, i));
  }

  // Only the prompt block (no cached keys before it: as many keys as queries), not the decode
  // steps. A sequence's padded rows are fully masked; its picture starts at its first real row.
  session.set_attention_observer([state = state_](int sequence, int layer, const float* probs,
                                                  const Mask& mask, int n_heads) {
    const int T = mask.rows();
    if (mask.cols() != T) return;
    int padding = 0;
    while (padding < T && std::ranges::find(mask.row(padding), 1) == mask.row(padding).end())
      ++padding;
    const std::size_t prompt = state->first_prompt + sequence;
    const int n = T - padding;
    const bool several = state->labels.size() > 1;
    Mask shown(n, n, 0);
    for (int r = 0; r < n; ++r)
      for (int c = 0; c < n; ++c) shown.set(r, c, mask.at(padding + r, padding + c));
    HeatmapStyle style;
    style.scale = state->scale;
    style.mask = &shown;
    if (prompt < state->labels.size() && static_cast<int>(state->labels[prompt].size()) == n)
      style.row_labels = style.column_labels = state->labels[prompt];
    const auto write = [&](const std::string& name, const std::string& what,
                           std::span<const float> values) {
      style.title = fmt::format(
          "layer {}, {}{}{}", layer, what, several ? fmt::format(", prompt {}", prompt) : "",
          style.scale == HeatmapScale::linear ? ""
                                              : fmt::format(", {} scale", state->options.scale));
      OutputFile file(fmt::format("{}/{}{}.png", state->options.dir,
                                  several ? fmt::format("prompt{}_", prompt) : "", name));
      write_heatmap_png(file.temp_path(), crop(values, T, padding), n, n, style);
      file.commit();
    };
    // probs: (T, n_heads, T); head and mean: (T, T).
    std::vector<float> mean(static_cast<std::size_t>(T) * T, 0.0f), head(mean.size());
    for (int h = 0; h < n_heads; ++h) {
      for (int t = 0; t < T; ++t)
        for (int j = 0; j < T; ++j) {
          const float p = probs[(static_cast<std::size_t>(t) * n_heads + h) * T + j];
          head[static_cast<std::size_t>(t) * T + j] = p;
          mean[static_cast<std::size_t>(t) * T + j] += p / n_heads;
        }
      if (state->options.heads)
        write(fmt::format("layer{}_head{}", layer, h), fmt::format("head {}", h), head);
    }
    write(fmt::format("layer{}", layer), "heads averaged", mean);
  });
}

}  // namespace engine::cli

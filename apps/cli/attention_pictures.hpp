// engine generate --attention-png: heatmaps of every prompt's attention in its prompt block,
// one per layer (heads averaged) and with --heads one per head, titled, labelled with the
// prompt's tokens and drawn on the --scale the user picks.
#pragma once

#include <CLI/CLI.hpp>

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "cli/render/heatmap.hpp"
#include "engine/model/session.hpp"
#include "engine/tokenizer.hpp"

namespace engine::cli {

struct AttentionPictureOptions {
  std::string dir;  // "": no pictures
  bool heads = false;
  std::string scale = "linear";  // linear, log or row (HeatmapScale)
};

/// Adds --attention-png DIR, --heads and --scale linear|log|row.
void add_attention_picture_options(CLI::App& cmd, AttentionPictureOptions& options);

/// The pictures of one run of `prompts`, drawn from `session`'s attention observer.
class AttentionPictures {
 public:
  /// Creates the directory (Error(io) naming it when it cannot be) and observes `session`, whose
  /// prompt i is the token ids prompt_tokens[i] (what labels its picture).
  AttentionPictures(const AttentionPictureOptions& options, const Tokenizer& tokenizer,
                    std::span<const std::vector<int>> prompt_tokens, Session& session);
  /// The batch about to run starts at prompt `first_prompt`: its sequence s is that prompt + s.
  void begin_batch(std::size_t first_prompt) { state_->first_prompt = first_prompt; }

 private:
  struct State {
    AttentionPictureOptions options;
    HeatmapScale scale = HeatmapScale::linear;
    std::vector<std::vector<std::string>> labels;  // per prompt: one per token
    std::size_t first_prompt = 0;
  };
  std::shared_ptr<State> state_;  // shared with the observer, which the session keeps
};

}  // namespace engine::cli

// libFuzzer target: Model::load on a file (the llama2.c checkpoint reader, legacy and "ak42" v1,
// and for inputs starting with "GGUF" the GGUF reader of every architecture), then the model
// runs: a prompt block of three tokens, two decode steps, each sampled greedily and with a
// temperature. Any input must load or throw engine::Error; a loaded model must run to in-range
// tokens or throw engine::Error (non-finite weights give non-finite logits: the sampler must
// still be total). The weight type the layers are converted to at load follows the input size.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string_view>
#include <vector>

#include "engine/error.hpp"
#include "engine/generation/sampler.hpp"
#include "engine/log.hpp"
#include "engine/model/model.hpp"
#include "engine/model/session.hpp"
#include "memory_file.hpp"

namespace {

// The KV caches a fuzzed header may ask for are allocated up front; past this the model loads
// but does not run (the loader's own bounds are what this target checks there).
constexpr std::uint64_t kMaxCacheBytes = 64 << 20;

constexpr engine::DType kWeightTypes[] = {engine::DType::f32, engine::DType::f16,
                                          engine::DType::bf16, engine::DType::q8_0};

// Samples one token from `logits` with `sampler`; aborts on an id out of range.
int sample(engine::Sampler& sampler, std::span<const float> logits, std::vector<float>& scratch) {
  scratch.assign(logits.begin(), logits.end());
  const int token = sampler.sample(scratch);
  if (token < 0 || static_cast<std::size_t>(token) >= logits.size()) std::abort();
  return token;
}

void run(std::shared_ptr<const engine::Model> model) {
  const engine::ModelConfig& c = model->config();
  const std::uint64_t cache_bytes = std::uint64_t(2) * sizeof(float) * c.n_layers * c.seq_len *
                                    static_cast<std::uint64_t>(c.kv_dim());
  if (cache_bytes > kMaxCacheBytes) return;
  engine::Session session(model);
  engine::Sampler greedy({.temperature = 0, .top_k = 0, .top_p = 1, .seed = 0});
  engine::Sampler warm({.temperature = 0.8f, .top_k = 5, .top_p = 0.9f, .seed = 1});
  const std::vector<int> prompt = {1 % c.vocab_size, 7 % c.vocab_size, (c.vocab_size - 1)};
  std::vector<float> scratch;
  std::span<const float> logits = session.forward(prompt);
  if (logits.size() != static_cast<std::size_t>(c.vocab_size)) std::abort();
  for (int step = 0; step < 2; ++step) {
    const int greedy_token = sample(greedy, logits, scratch);
    const int token = sample(warm, logits, scratch);
    logits = session.forward(std::span<const int>(step == 0 ? &greedy_token : &token, 1));
  }
}

}  // namespace

// Warnings (a context longer than trained, ...) are formatted but not printed.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  engine::set_log_sink([](engine::LogLevel, std::string_view) {});
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static engine::fuzz::MemoryFile file("model");
  file.assign(data, size);
  try {
    run(engine::Model::load(file.path(), kWeightTypes[size % 4]));
  } catch (const engine::Error&) {
  }
  return 0;
}

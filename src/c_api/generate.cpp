// engine_generate(): the C++ generate() behind a C callback and plain structs.
#include "c_api/handles.hpp"
#include "c_api/status.hpp"
#include "engine/generation/generator.hpp"

using engine::c_api::guarded;
using engine::c_api::require;

namespace {

engine::GenerationOptions to_cpp(const engine_generate_options& o) {
  engine::GenerationOptions options;
  options.max_new_tokens = o.max_new_tokens;
  options.sampling = {
      .temperature = o.temperature, .top_k = o.top_k, .top_p = o.top_p, .seed = o.seed};
  return options;
}

engine_finish_reason to_c(engine::FinishReason reason) {
  switch (reason) {
    case engine::FinishReason::eos:
      return ENGINE_FINISH_EOS;
    case engine::FinishReason::length:
      return ENGINE_FINISH_LENGTH;
    case engine::FinishReason::context:
      return ENGINE_FINISH_CONTEXT;
    case engine::FinishReason::stopped:
      break;
  }
  return ENGINE_FINISH_STOPPED;
}

}  // namespace

extern "C" {

engine_generate_options engine_generate_options_default(void) {
  const engine::GenerationOptions d;
  return {.max_new_tokens = d.max_new_tokens,
          .temperature = d.sampling.temperature,
          .top_k = d.sampling.top_k,
          .top_p = d.sampling.top_p,
          .seed = d.sampling.seed};
}

engine_status engine_generate(engine_session* session, const engine_tokenizer* tokenizer,
                              const char* prompt, const engine_generate_options* options,
                              engine_token_callback on_token, void* user,
                              engine_generate_result* result) {
  return guarded([&] {
    require(session, "session");
    require(tokenizer, "tokenizer");
    require(prompt, "prompt");
    engine::Session& s = session->session;
    engine::check_tokenizer_fits(s.model(), *tokenizer->tokenizer, tokenizer->path);
    engine::TokenCallback callback;
    if (on_token)
      callback = [&](int token, std::string_view piece) {
        return on_token(user, token, piece.data(), piece.size()) == 0;
      };
    const engine::GenerationResult r =
        engine::generate(s, *tokenizer->tokenizer, prompt,
                         to_cpp(options ? *options : engine_generate_options_default()), callback);
    if (result)
      *result = {.prompt_tokens = static_cast<int>(r.prompt_tokens.size()),
                 .generated_tokens = static_cast<int>(r.tokens.size()),
                 .finish_reason = to_c(r.finish_reason),
                 .prompt_seconds = r.prompt_seconds,
                 .decode_seconds = r.decode_seconds};
  });
}

}  // extern "C"

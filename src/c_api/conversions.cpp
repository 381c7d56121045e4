#include "c_api/conversions.hpp"

namespace engine::c_api {

GenerationOptions to_cpp(const engine_generate_options& o) {
  GenerationOptions options;
  options.max_new_tokens = o.max_new_tokens;
  options.sampling = {
      .temperature = o.temperature, .top_k = o.top_k, .top_p = o.top_p, .seed = o.seed};
  return options;
}

engine_finish_reason to_c(FinishReason reason) {
  switch (reason) {
    case FinishReason::eos:
      return ENGINE_FINISH_EOS;
    case FinishReason::length:
      return ENGINE_FINISH_LENGTH;
    case FinishReason::context:
      return ENGINE_FINISH_CONTEXT;
    case FinishReason::stopped:
      break;
  }
  return ENGINE_FINISH_STOPPED;
}

}  // namespace engine::c_api

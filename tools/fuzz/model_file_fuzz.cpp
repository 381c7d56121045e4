// libFuzzer target: Model::load on a file, i.e. the llama2.c checkpoint reader (legacy and
// "ak42" v1) and, for inputs starting with "GGUF", the GGUF llama reader. Any input must load
// or throw engine::Error; a loaded model's weights are touched at both ends of every matrix.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <fstream>
#include <string>

#include "engine/error.hpp"
#include "engine/model/model.hpp"

namespace {

float touch(const engine::Matrix& m) {
  if (m.dtype != engine::DType::f32 || m.rows == 0) return 0;  // converted, or absent (gpt2 w1)
  const float* data = static_cast<const float*>(m.data);
  return data[0] + data[static_cast<std::size_t>(m.rows) * m.cols - 1];
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::string path = "/tmp/engine_model_fuzz_" + std::to_string(::getpid());
  std::ofstream(path, std::ios::binary | std::ios::trunc)
      .write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  try {
    const auto model = engine::Model::load(path);
    const engine::TransformerWeights& w = model->weights();
    float sum = touch(w.token_embedding) + touch(w.wcls) + w.rms_final[model->config().dim - 1];
    for (const engine::LayerWeights& l : w.layers)
      for (const engine::Matrix* m : l.matrices()) sum += touch(*m);
    volatile float sink = sum;
    (void)sink;
  } catch (const engine::Error&) {
  }
  return 0;
}

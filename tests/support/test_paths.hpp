// Where tests find the placed model files (models/, filled by models/place.sh).
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

namespace engine::test {

inline std::string model_path(const std::string& name) {
  return std::string(ENGINE_TEST_MODELS_DIR) + "/" + name;
}

/// A placed model file; fails the test (not skips) when it is missing: run models/place.sh.
inline std::string require_model(const std::string& name) {
  const std::string path = model_path(name);
  if (!std::filesystem::exists(path))
    ADD_FAILURE() << path << " is missing: run models/place.sh first";
  return path;
}

}  // namespace engine::test

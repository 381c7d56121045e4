#include "engine/version.hpp"

#define ENGINE_STRINGIFY_(x) #x
#define ENGINE_STRINGIFY(x) ENGINE_STRINGIFY_(x)

namespace engine {
const char* version() {
  return ENGINE_STRINGIFY(ENGINE_VERSION_MAJOR) "." ENGINE_STRINGIFY(
      ENGINE_VERSION_MINOR) "." ENGINE_STRINGIFY(ENGINE_VERSION_PATCH);
}
}  // namespace engine

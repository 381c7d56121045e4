// libengine's version (semantic versioning).
#pragma once

#define ENGINE_VERSION_MAJOR 0
#define ENGINE_VERSION_MINOR 1
#define ENGINE_VERSION_PATCH 0

namespace engine {
/// "MAJOR.MINOR.PATCH" of the library actually linked.
const char* version();
}  // namespace engine

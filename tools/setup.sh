#!/usr/bin/env bash
# One-time set-up on Debian 12: installs the build dependencies (Debian packages only), places
# the model files (models/place.sh), then configures and builds Release into build/.
# The CLI ends up at build/bin/engine.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(cmake g++ make pkg-config ca-certificates curl
          libdnnl-dev ocl-icd-opencl-dev opencl-c-headers  # oneDNN (its CMake config needs OpenCL)
          libcli11-dev libspdlog-dev libfmt-dev libpng-dev libcpp-httplib-dev nlohmann-json3-dev  # libpng: heatmap PNGs; httplib, json: engine serve
          googletest libgtest-dev libsentencepiece-dev libicu-dev  # tests; SentencePiece and ICU are references
          python3)                                           # tests: the hostile-file generator
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  sudo=""; [[ $(id -u) -eq 0 ]] || sudo="sudo"
  echo "setup: installing ${missing[*]}" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

bash models/place.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release ${ENGINE_CMAKE_ARGS:-} >/dev/null
cmake --build build -j"$(nproc)"
echo "setup: done; try  build/bin/engine generate -p \"Once upon a time\"" >&2

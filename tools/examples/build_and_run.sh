#!/usr/bin/env bash
# Builds tools/examples against an installed libengine (cmake --install build --prefix PREFIX),
# once with CMake (find_package) and once with pkg-config, and runs every example greedily for a
# few tokens on models/stories260K.bin: each must exit 0 and print the prompt plus more text.
# Usage: tools/examples/build_and_run.sh PREFIX
set -euo pipefail
prefix=$(realpath "${1:?usage: $0 PREFIX}")
examples=$(cd "$(dirname "$0")" && pwd)
models=$examples/../../models
build=$(mktemp -d)
trap 'rm -rf "$build"' EXIT

cmake -S "$examples" -B "$build" -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" -j"$(nproc)" >/dev/null

# pkg-config, for builds without CMake; the rpath stands in for an ldconfig'd system prefix.
PKG_CONFIG_PATH=$(dirname "$(find "$prefix" -name engine.pc -print -quit)")
export PKG_CONFIG_PATH
# shellcheck disable=SC2046  # pkg-config's flags are meant to be split
cc -std=c11 -Wall -Wextra -Werror "$examples/stream.c" -o "$build/stream_c_pkgconfig" \
  $(pkg-config --cflags --libs engine) -Wl,-rpath,"$(pkg-config --variable=libdir engine)"

prompt="Once upon a time"
for example in stream_cpp stream_c stream_cpp_static stream_c_pkgconfig; do
  if ! out=$("$build/$example" "$models/stories260K.bin" "$models/tok512.bin" "$prompt" 8 \
              2>"$build/stderr") || [[ $out != "$prompt"?* ]]; then
    echo "build_and_run: $example printed '$out', expected '$prompt' and more" >&2
    cat "$build/stderr" >&2
    exit 1
  fi
  echo "$example: $out"
done

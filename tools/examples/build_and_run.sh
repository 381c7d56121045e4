#!/usr/bin/env bash
# Builds tools/examples against an installed libengine (cmake --install build --prefix PREFIX),
# once with CMake (find_package) and with pkg-config (C++ and C, shared and static), and runs
# every example greedily for a few tokens on models/stories260K.bin: each must exit 0 and print
# the prompt plus more text; then the C chat for two turns on models/stories260K.gguf.
# Usage: tools/examples/build_and_run.sh PREFIX
set -euo pipefail
prefix=$(realpath "${1:?usage: $0 PREFIX}")
examples=$(cd "$(dirname "$0")" && pwd)
models=$examples/../../models
build=$(mktemp -d)
trap 'rm -rf "$build"' EXIT

cmake -S "$examples" -B "$build" -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" -j"$(nproc)" >/dev/null

# pkg-config, for builds without CMake: the C++ and the C example, on libengine.so (engine,
# engine-c) and on libengine.a (engine-static, engine-c-static); the rpath stands in for an
# ldconfig'd system prefix.
PKG_CONFIG_PATH=$(dirname "$(find "$prefix" -name engine.pc -print -quit)")
export PKG_CONFIG_PATH
libdir=$(pkg-config --variable=libdir engine)
pkgconfig_build() {  # COMPILER SOURCE PACKAGE OUTPUT
  # shellcheck disable=SC2046  # pkg-config's flags are meant to be split
  $1 -Wall -Wextra -Werror "$examples/$2" -o "$build/$4" $(pkg-config --cflags --libs "$3") \
    -Wl,-rpath,"$libdir"
}
pkgconfig_build "c++" stream.cpp engine stream_cpp_pkgconfig
pkgconfig_build "cc -std=c11" stream.c engine-c stream_c_pkgconfig
pkgconfig_build "c++" stream.cpp engine-static stream_cpp_pkgconfig_static
pkgconfig_build "cc -std=c11" stream.c engine-c-static stream_c_pkgconfig_static
for example in stream_cpp_pkgconfig_static stream_c_pkgconfig_static; do
  if ldd "$build/$example" | grep -q libengine; then
    echo "build_and_run: $example links libengine.so, expected libengine.a" >&2
    exit 1
  fi
done

prompt="Once upon a time"
for example in stream_cpp stream_c stream_cpp_static stream_cpp_pkgconfig stream_c_pkgconfig \
               stream_cpp_pkgconfig_static stream_c_pkgconfig_static; do
  if ! out=$("$build/$example" "$models/stories260K.bin" "$models/tok512.bin" "$prompt" 8 \
              2>"$build/stderr") || [[ $out != "$prompt"?* ]]; then
    echo "build_and_run: $example printed '$out', expected '$prompt' and more" >&2
    cat "$build/stderr" >&2
    exit 1
  fi
  echo "$example: $out"
done

# The chat: two messages, two replies, the second turn reading the first from the cache.
if ! out=$(printf 'Hello\nWhat next?\n' |
           "$build/chat_c" "$models/stories260K.gguf" chatml 2>"$build/stderr") ||
   [[ -z $out ]] || ! grep -q "^turn 2: .* [1-9][0-9]* from the cache" "$build/stderr"; then
  echo "build_and_run: chat_c printed '$out', expected replies, the second turn from the cache" >&2
  cat "$build/stderr" >&2
  exit 1
fi
echo "chat_c: $(tr '\n' '|' <<<"$out")"

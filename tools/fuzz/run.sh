#!/usr/bin/env bash
# Builds the fuzz targets with clang++-14 (-fsanitize=fuzzer,address) into build-fuzz/ and runs
# each for SECONDS (default 60) from the tiny seeds make_seeds.py writes (plus models/tok512.model
# for the SentencePiece reader). Inputs that crash land in build-fuzz/crashes/.
# Needs, besides the project's packages: clang-14 libclang-rt-14-dev libomp-14-dev.
# Usage: tools/fuzz/run.sh [SECONDS] [gguf|model_file|sentencepiece_model ...]
set -euo pipefail
cd "$(dirname "$0")/../.."

seconds=${1:-60}
shift || true
targets=("$@")
((${#targets[@]})) || targets=(gguf model_file sentencepiece_model)
build=${FUZZ_BUILD_DIR:-build-fuzz}

CXX=clang++-14 cmake -S tools/fuzz -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j"$(nproc)" --target "${targets[@]/%/_fuzz}"

python3 tools/fuzz/make_seeds.py "$build/seeds"
mkdir -p "$build/seeds/sentencepiece_model" "$build/crashes"
[[ -f models/tok512.model ]] && cp models/tok512.model "$build/seeds/sentencepiece_model/"

declare -A seeds=([gguf]=gguf [model_file]=model [sentencepiece_model]=sentencepiece_model)
declare -A dicts=([gguf]=gguf [model_file]=gguf)
status=0
for target in "${targets[@]}"; do
  corpus="$build/corpus/$target"
  mkdir -p "$corpus"
  dict=()
  [[ -n ${dicts[$target]:-} ]] && dict=(-dict="tools/fuzz/${dicts[$target]}.dict")
  echo "fuzz: $target for ${seconds}s" >&2
  "$build/${target}_fuzz" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=4096 \
    -print_final_stats=1 -artifact_prefix="$build/crashes/$target-" "${dict[@]}" \
    "$corpus" "$build/seeds/${seeds[$target]}" || status=1
done
exit $status

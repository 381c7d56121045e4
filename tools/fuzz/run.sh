#!/usr/bin/env bash
# Builds the fuzz targets with clang++-14 (-fsanitize=fuzzer,address,undefined) into build-fuzz/
# (or FUZZ_BUILD_DIR, a clang build configured with -DENGINE_BUILD_FUZZERS=ON: CI's sanitizer
# build) and runs each for SECONDS (default 60). Each run first replays, in full, the committed
# regression corpus tools/fuzz/corpus/RUN/ and the seeds (make_seeds.py's tiny files, tok512.* of
# models/), then fuzzes for the rest of its time. CI runs 15 s each; the long run is
# `tools/fuzz/run.sh 3600` (an hour per run), which adds the real-size vocabularies. Inputs that
# crash land in build-fuzz/crashes/; new inputs in build-fuzz/corpus/RUN/. An input running
# longer than FUZZ_TIMEOUT seconds of wall time (default 10) counts as a hang: raise it on a
# machine busy enough to stall a run for that long (docs/fuzzing.md).
# `tools/fuzz/run.sh minimize [RUN ...]` merges what the runs found into the committed corpus,
# keeping only inputs that add coverage and are under 64 KB.
# Needs, besides the project's packages: clang-14 libclang-rt-14-dev libomp-14-dev.
# Usage: tools/fuzz/run.sh [SECONDS|minimize] [RUN ...]   (RUN: a name from the table below)
set -euo pipefail
cd "$(dirname "$0")/../.."

mode=${1:-60}
shift || true
build=${FUZZ_BUILD_DIR:-build-fuzz}
m=models
v=models/llamacpp-vocab

# RUN: target, seeds (make_seeds.py's directories or files of models/), tokenize_text's
# vocabulary and whether it must round-trip valid UTF-8 (see there).
declare -A target=(
  [gguf]=gguf [model_file]=model_file [sentencepiece_model]=sentencepiece_model
  [llama2c_tokenizer]=llama2c_tokenizer [load_tokenizer]=load_tokenizer
  [text_spm_model]=tokenize_text [text_llama2c_bin]=tokenize_text
  [text_gguf_spm]=tokenize_text [text_gguf_bpe]=tokenize_text
  [jinja_template]=jinja_template [completion_request]=completion_request
  [http_request]=http_request [byte_level_bpe]=byte_level_bpe)
declare -A seeds=(
  [gguf]="seeds/gguf" [model_file]="seeds/model"
  [sentencepiece_model]="$m/tok512.model" [llama2c_tokenizer]="$m/tok512.bin"
  [load_tokenizer]="seeds/gguf $m/tok512.bin $m/tok512.model"
  [text_spm_model]=seeds/text [text_llama2c_bin]=seeds/text [text_gguf_spm]=seeds/text
  [text_gguf_bpe]=seeds/text [jinja_template]=seeds/jinja_template
  [completion_request]=seeds/completion_request [http_request]=seeds/http_request
  [byte_level_bpe]=seeds/text)
# Real-size vocabularies run some 50 inputs a second against thousands for the small seeds:
# only runs of 10 minutes or more (the long run) take them, with -max_len raised to fit.
declare -A real_size=([gguf]=$v/ggml-vocab-llama-spm.gguf [llama2c_tokenizer]=$m/tokenizer.bin)
declare -A max_len=([gguf]=800000 [llama2c_tokenizer]=450000)
declare -A dicts=([gguf]=gguf [model_file]=gguf [load_tokenizer]=gguf [jinja_template]=jinja
  [completion_request]=request [http_request]="http request")
# Lossless per the tokenizer tests: Llama 2's vocabulary keeps extra whitespace and falls back
# to bytes (tokenizer_llamacpp_vectors_test), byte-level BPE spells every byte
# (byte_level_bpe_test). tok512.model's normalizer removes extra whitespace: not lossless.
declare -A vocab=([text_spm_model]="$m/tok512.model 0" [text_llama2c_bin]="$m/tokenizer.bin 1"
  [text_gguf_spm]="$v/ggml-vocab-llama-spm.gguf 1" [text_gguf_bpe]="$v/ggml-vocab-gpt-2.gguf 1")
# What the other targets load once: http_request's model, byte_level_bpe's vocabularies.
declare -A inputs_env=([http_request]="ENGINE_FUZZ_MODEL=$build/seeds/model/llama.gguf"
  [byte_level_bpe]="ENGINE_FUZZ_VOCAB_DIR=$v")

runs=("$@")
((${#runs[@]})) || runs=(gguf model_file sentencepiece_model llama2c_tokenizer load_tokenizer
  text_spm_model text_llama2c_bin text_gguf_spm text_gguf_bpe jinja_template completion_request
  http_request byte_level_bpe)

[[ -f $build/CMakeCache.txt ]] ||
  CXX=clang++-14 cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DENGINE_BUILD_TESTS=OFF \
    -DENGINE_SANITIZE=address,undefined,fuzzer-no-link -DENGINE_BUILD_FUZZERS=ON >/dev/null
targets=()
for run in "${runs[@]}"; do targets+=("${target[$run]}_fuzz"); done
cmake --build "$build" -j"$(nproc)" --target $(printf '%s\n' "${targets[@]}" | sort -u)
python3 tools/fuzz/make_seeds.py "$build/seeds"
mkdir -p "$build/crashes"

status=0
for run in "${runs[@]}"; do
  committed=tools/fuzz/corpus/$run found=$build/corpus/$run
  mkdir -p "$committed" "$found"
  env=()
  if [[ -n ${vocab[$run]:-} ]]; then
    read -r file round_trip <<<"${vocab[$run]}"
    [[ -f $file ]] || { echo "fuzz: $run needs $file (models/place.sh)" >&2; status=1; continue; }
    env=(ENGINE_FUZZ_VOCAB="$file" ENGINE_FUZZ_ROUND_TRIP="$round_trip")
  fi
  [[ -n ${inputs_env[$run]:-} ]] && env=(${inputs_env[$run]})
  [[ $run != byte_level_bpe || -d $v ]] ||
    { echo "fuzz: $run needs $v (models/place.sh)" >&2; status=1; continue; }
  if [[ $mode == minimize ]]; then
    small=$build/small/$run
    rm -rf "$small" && mkdir -p "$small"
    find "$found" -type f -size -64k -exec cp {} "$small/" \;
    env "${env[@]}" "$build/bin/${target[$run]}_fuzz" -merge=1 "$committed" "$small" 2>/dev/null
    # Past 200 KB a run the largest inputs go, so that the whole corpus stays under 2 MB.
    total=0
    while read -r size file; do
      total=$((total + size))
      ((total <= 200000)) || rm "$file"
    done < <(find "$committed" -type f -printf '%s %p\n' | sort -n)
    continue
  fi
  # libFuzzer takes directories: the seed files go into one of the run's own.
  inputs=("$build/seeds/files-$run")
  rm -rf "${inputs[0]}" && mkdir -p "${inputs[0]}"
  extra="" len=0
  if ((mode >= 600)) && [[ -n ${real_size[$run]:-} ]]; then
    extra=${real_size[$run]} len=${max_len[$run]}
  fi
  for s in ${seeds[$run]} $extra; do
    if [[ $s == seeds/* ]]; then
      inputs+=("$build/$s")
    elif [[ -f $s ]]; then
      cp "$s" "${inputs[0]}/"
    fi
  done
  flags=(-max_total_time="$mode" -timeout="${FUZZ_TIMEOUT:-10}" -rss_limit_mb=4096 -print_final_stats=1
    -max_len="$len" -artifact_prefix="$build/crashes/$run-")
  if [[ -n ${dicts[$run]:-} ]]; then
    for d in ${dicts[$run]}; do cat "tools/fuzz/$d.dict"; done >"$build/$run.dict"
    flags+=(-dict="$build/$run.dict")
  fi
  echo "fuzz: $run for ${mode}s" >&2
  env "${env[@]}" "$build/bin/${target[$run]}_fuzz" "${flags[@]}" "$found" "$committed" "${inputs[@]}" ||
    status=1
done
exit $status

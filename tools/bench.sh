#!/usr/bin/env bash
# The standard benchmark matrix: stories260K (real) and the 15M/110M/1B shapes (random
# weights from `engine synth`; throughput does not depend on the values), f32/bf16/q8 weights
# converted at load and the 4-bit files `engine convert` writes (q4_0, q4_k_m, q6_k), 1 and 2 threads. Writes a markdown table to stdout (and build/bench/results.md).
# Usage: tools/bench.sh [presets...]   e.g. tools/bench.sh 260K 110M   (default: all)
# Environment: N_PROMPT (128), N_GEN (128), REPS (3), BATCHES (1), ENGINE (build/bin/engine).
set -euo pipefail
cd "$(dirname "$0")/.."
engine=${ENGINE:-build/bin/engine}
out=build/bench
mkdir -p "$out"
presets=("$@")
((${#presets[@]})) || presets=(260K 15M 110M 1B)

{
  echo "Machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GB;" \
       "kernels: $("$engine" info --json | sed 's/.*"isa": "\([a-z0-9_]*\)".*/\1/')"
  echo
  for preset in "${presets[@]}"; do
    if [[ $preset == 260K ]]; then
      model=models/stories260K.bin
    else
      model=$out/synth-$preset.gguf
      [[ -f $model ]] || "$engine" synth --preset "$preset" -o "$model"
    fi
    echo "### $preset ($model)"
    echo
    echo "\$ engine bench -m $model -p ${N_PROMPT:-128} -n ${N_GEN:-128} -r ${REPS:-3} -t 1,2 -b ${BATCHES:-1} --weight-type f32,bf16,q8"
    "$engine" --log-level warn bench -m "$model" -p "${N_PROMPT:-128}" -n "${N_GEN:-128}" \
      -r "${REPS:-3}" -t 1,2 -b "${BATCHES:-1}" --weight-type f32,bf16,q8
    echo
    [[ $preset == 260K ]] && continue
    for type in q4_0 q4_k_m q6_k; do
      quantised=$out/synth-$preset-$type.gguf
      [[ -f $quantised ]] || "$engine" --log-level warn convert "$model" --type "$type" -o "$quantised"
      echo "\$ engine bench -m $quantised -p ${N_PROMPT:-128} -n ${N_GEN:-128} -r ${REPS:-3} -t 1,2 -b ${BATCHES:-1}"
      "$engine" --log-level warn bench -m "$quantised" -p "${N_PROMPT:-128}" -n "${N_GEN:-128}" \
        -r "${REPS:-3}" -t 1,2 -b "${BATCHES:-1}"
      echo
    done
  done
} | tee "$out/results.md"

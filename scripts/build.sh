#!/usr/bin/env bash
# Builds the wasm package into pkg/ and the demo into dist/.
source "$(dirname "$0")/env.sh"
cd "$ROOT"
"$ROOT/scripts/setup.sh"

log "building the wasm package (pkg/)"
wasm-pack build . --release --target web --out-dir pkg --out-name autoencoders
node scripts/package.mjs
log "bundling the demo (dist/)"
npx webpack --mode production

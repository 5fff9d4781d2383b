#!/usr/bin/env bash
# Builds the wasm package into pkg/ and the demo into dist/.
source "$(dirname "$0")/env.sh"
cd "$ROOT"
"$ROOT/scripts/setup.sh"

# Two modules from one crate: the CPU-only one (`autoencoders`, 0.8 MB gzip) that every page
# loads, and the one with WebGPU (`autoencoders_webgpu`, 5.2 MB gzip) that the JS entry fetches
# only for a WebGPU model. wasm-pack writes a whole package into its out-dir, so the second build
# goes to a scratch folder and its two module files are copied beside the first.
log "building the wasm package (pkg/): CPU module"
wasm-pack build . --release --target web --out-dir pkg --out-name autoencoders -- --no-default-features
log "building the wasm package (pkg/): WebGPU module"
webgpu_out="$CARGO_TARGET_DIR/wasm-pack-webgpu"
rm -rf "$webgpu_out"
wasm-pack build . --release --target web --out-dir "$webgpu_out" --out-name autoencoders_webgpu
cp "$webgpu_out/autoencoders_webgpu.js" "$webgpu_out/autoencoders_webgpu_bg.wasm" pkg/
node scripts/package.mjs
log "bundling the demo (dist/)"
npx webpack --mode production

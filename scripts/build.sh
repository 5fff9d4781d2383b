#!/usr/bin/env bash
# Builds the wasm package into pkg/ and the demo into dist/.
source "$(dirname "$0")/env.sh"
cd "$ROOT"
"$ROOT/scripts/setup.sh"

# Three modules from one crate: the CPU-only one (`autoencoders`, 0.8 MB gzip) that every page
# loads; the same with wasm's relaxed SIMD in its matrix kernel (feature `relaxed-simd`), which
# the JS entry loads instead where the engine validates relaxed SIMD; and the one with WebGPU
# (`autoencoders_webgpu`, 5.2 MB gzip) that the JS entry fetches only for a WebGPU model.
# wasm-pack writes a whole package into its out-dir, so the other two builds go to scratch
# folders and their module files are copied beside the first.
log "building the wasm package (pkg/): CPU module"
wasm-pack build . --release --target web --out-dir pkg --out-name autoencoders -- --no-default-features
log "building the wasm package (pkg/): CPU module with relaxed SIMD"
relaxed_out="$CARGO_TARGET_DIR/wasm-pack-relaxed"
rm -rf "$relaxed_out"
wasm-pack build . --release --target web --out-dir "$relaxed_out" --out-name autoencoders_relaxed -- --no-default-features --features relaxed-simd
cp "$relaxed_out/autoencoders_relaxed.js" "$relaxed_out/autoencoders_relaxed_bg.wasm" pkg/
log "building the wasm package (pkg/): WebGPU module"
webgpu_out="$CARGO_TARGET_DIR/wasm-pack-webgpu"
rm -rf "$webgpu_out"
wasm-pack build . --release --target web --out-dir "$webgpu_out" --out-name autoencoders_webgpu
cp "$webgpu_out/autoencoders_webgpu.js" "$webgpu_out/autoencoders_webgpu_bg.wasm" pkg/
node scripts/package.mjs
log "bundling the demo (dist/)"
npx webpack --mode production

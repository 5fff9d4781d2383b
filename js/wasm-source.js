// Where a module started without arguments gets its .wasm from (`name` is the module's file
// stem: 'autoencoders', 'autoencoders_relaxed' or 'autoencoders_webgpu'). In a browser (and with
// any bundler) wasm-bindgen's default is right: `<name>_bg.wasm` beside its JavaScript, fetched.
// The Node.js entry (node.js) replaces `get` with a read of that file, since Node cannot fetch a
// file: URL. Internal: shared by index.js and node.js, not exported from the package.
export const wasmSource = { get: (_name) => undefined };

// The smallest module that uses a relaxed-SIMD instruction (i8x16.relaxed_swizzle; the probe of
// the wasm-feature-detect library): an engine that validates it runs the CPU module built with
// relaxed SIMD (`autoencoders_relaxed_bg.wasm`, whose matrix kernel uses f32x4.relaxed_madd).
const RELAXED_SIMD_PROBE = [0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 15, 1, 13, 0, 65, 1, 253, 15, 65, 2, 253, 15, 253, 128, 2, 11];

/** Whether this engine compiles wasm's relaxed SIMD (checked once, synchronously: microseconds). */
export const relaxedSimd = (() => {
  try {
    return WebAssembly.validate(new Uint8Array(RELAXED_SIMD_PROBE));
  } catch {
    return false;
  }
})();

// Where `init()` without arguments gets the .wasm from. In a browser (and with any bundler)
// wasm-bindgen's default is right: `autoencoders_bg.wasm` beside the module, fetched. The
// Node.js entry (node.js) replaces `get` with a read of that file, since Node cannot fetch a
// file: URL. Internal: shared by index.js and node.js, not exported from the package.
export const wasmSource = { get: () => undefined };

// Where a module started without arguments gets its .wasm from (`name` is the module's file
// stem: 'autoencoders' or 'autoencoders_webgpu'). In a browser (and with any bundler)
// wasm-bindgen's default is right: `<name>_bg.wasm` beside its JavaScript, fetched. The Node.js
// entry (node.js) replaces `get` with a read of that file, since Node cannot fetch a file: URL.
// Internal: shared by index.js and node.js, not exported from the package.
export const wasmSource = { get: (_name) => undefined };

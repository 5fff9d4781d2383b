// The package's entry for Node.js (the `node` condition of its exports map): the same API as
// the browser entry, with each .wasm read from beside this file (the relaxed-SIMD CPU module on
// Node.js 22 and later, the plain one on Node.js 20). The CPU backend always works;
// WebGPU works where the host provides `navigator.gpu` (e.g. the npm `webgpu` package, Dawn:
// `Object.assign(globalThis.navigator ??= {}, { gpu: create([]) })`), and `auto` picks as in a
// browser. The worker API (`autoencoders/worker`) needs a browser's Web Workers.
import { readFile } from 'node:fs/promises';
import { wasmSource } from './wasm-source.js';

wasmSource.get = (name) => ({ module_or_path: readFile(new URL(`./${name}_bg.wasm`, import.meta.url)) });

export * from './index.js';
export { default } from './index.js';

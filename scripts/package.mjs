// Completes wasm-pack's pkg/ (the CPU module, with the relaxed-SIMD CPU module's and the WebGPU
// module's two files each copied in by build.sh) into the npm package: adds the main entry (index.js, the JS face of the wasm
// classes), the worker entry (worker.js, client.js and its types), the package README, and
// package.json metadata (files, exports, repository).
import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pkg = join(root, 'pkg');
for (const file of ['index.js', 'index.d.ts', 'node.js', 'wasm-source.js', 'worker.js', 'client.js', 'client.d.ts', 'images.js']) copyFileSync(join(root, 'js', file), join(pkg, file));
copyFileSync(join(root, 'js', 'README.md'), join(pkg, 'README.md'));

for (const file of ['autoencoders_bg.wasm', 'autoencoders_relaxed_bg.wasm', 'autoencoders_relaxed.js', 'autoencoders_webgpu_bg.wasm', 'autoencoders_webgpu.js']) {
  if (!existsSync(join(pkg, file))) throw new Error(`pkg/${file} is missing: build with ./scripts/build.sh`);
}

const manifest = JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8'));
Object.assign(manifest, {
  description: 'Train and run autoencoders (undercomplete, sparse, contractive, denoising, variational) in the browser on WebGPU, with a CPU fallback.',
  license: 'MIT OR Apache-2.0',
  repository: { type: 'git', url: 'https://example.invalid/autoencoders.git' },
  keywords: ['autoencoder', 'vae', 'webgpu', 'wasm', 'machine-learning', 'burn'],
  type: 'module',
  main: 'index.js',
  types: 'index.d.ts',
  files: [
    'index.js', 'index.d.ts', 'node.js', 'wasm-source.js', 'autoencoders_bg.wasm', 'autoencoders.js', 'autoencoders.d.ts', 'autoencoders_bg.wasm.d.ts',
    'autoencoders_relaxed_bg.wasm', 'autoencoders_relaxed.js',
    'autoencoders_webgpu_bg.wasm', 'autoencoders_webgpu.js',
    'worker.js', 'client.js', 'client.d.ts', 'images.js', 'README.md',
  ],
  exports: {
    '.': { types: './index.d.ts', node: './node.js', default: './index.js' },
    './worker': { types: './client.d.ts', default: './client.js' },
    './autoencoders_bg.wasm': './autoencoders_bg.wasm',
    './autoencoders_relaxed_bg.wasm': './autoencoders_relaxed_bg.wasm',
    './autoencoders_webgpu_bg.wasm': './autoencoders_webgpu_bg.wasm',
    './package.json': './package.json',
  },
  sideEffects: ['./worker.js', './node.js'],
});
writeFileSync(join(pkg, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
console.log(`pkg/ is the npm package ${manifest.name}@${manifest.version}`);

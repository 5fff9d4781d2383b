// Download size of what a page fetches before its first reconstruction: raw, gzip -9 and brotli 11
// (what a static host or CDN would serve). Computed in Node; no browser involved. The smoke run
// asks for a lower brotli quality: quality 11 runs at about 0.3 MB/s here (two minutes for the
// package's wasm).
import { readFileSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { dirname, join } from 'node:path';
import { gzipSync, brotliCompressSync, constants } from 'node:zlib';

/**
 * The bundles compared: the package (its CPU module, the relaxed-SIMD build that Chromium loads,
 * and every JS file its entry imports; the plain build's .wasm is within a kilobyte of it), and
 * TF.js core with its wasm backend (SIMD build); then the package's WebGPU module, which a page
 * fetches only for a WebGPU model (or `auto` on a hardware adapter), after the first reconstruction.
 */
export const BUNDLES = [
  {
    name: 'autoencoders (this package)',
    files: ['pkg/autoencoders_relaxed_bg.wasm', 'pkg/autoencoders_relaxed.js', 'pkg/autoencoders.js', 'pkg/autoencoders_webgpu.js', 'pkg/index.js', 'pkg/wasm-source.js', 'pkg/images.js'],
  },
  {
    name: 'TF.js 4.22 core + wasm backend',
    files: [
      'node_modules/@tensorflow/tfjs-core/dist/tf-core.min.js',
      'node_modules/@tensorflow/tfjs-backend-wasm/dist/tf-backend-wasm.min.js',
      'node_modules/@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm',
    ],
  },
  { name: 'autoencoders WebGPU module (fetched later, for WebGPU only)', files: ['pkg/autoencoders_webgpu_bg.wasm'] },
];

function compressedSizes(bytes, brotliQuality) {
  return {
    raw_bytes: bytes.length,
    gzip9_bytes: gzipSync(bytes, { level: 9 }).length,
    brotli_bytes: brotliCompressSync(bytes, {
      params: { [constants.BROTLI_PARAM_QUALITY]: brotliQuality, [constants.BROTLI_PARAM_SIZE_HINT]: bytes.length },
    }).length,
  };
}

// Results are kept by content hash (and brotli quality) in node_modules/.cache: a rerun on
// unchanged files costs only the hashing.
function cachedSizes(root, brotliQuality) {
  const path = join(root, 'node_modules', '.cache', 'autoencoders-bench', 'sizes.json');
  const cache = existsSync(path) ? JSON.parse(readFileSync(path, 'utf8')) : {};
  return {
    sizes(bytes) {
      const key = `${createHash('sha256').update(bytes).digest('hex')} brotli ${brotliQuality}`;
      cache[key] ??= compressedSizes(bytes, brotliQuality);
      return cache[key];
    },
    save() {
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, JSON.stringify(cache, null, 1));
    },
  };
}

/** Sizes of each file and each bundle's total, in bytes. `extraFiles` are listed too (e.g. a model). */
export function downloadSizes(root, { extraFiles = [], brotliQuality = 11 } = {}) {
  const cache = cachedSizes(root, brotliQuality);
  const fileSizes = (file) => ({ file, ...cache.sizes(readFileSync(join(root, file))) });
  const total = (files, key) => files.reduce((sum, f) => sum + f[key], 0);
  const bundles = BUNDLES.map(({ name, files }) => {
    const sized = files.map(fileSizes);
    return {
      name, files: sized,
      raw_bytes: total(sized, 'raw_bytes'), gzip9_bytes: total(sized, 'gzip9_bytes'), brotli_bytes: total(sized, 'brotli_bytes'),
    };
  });
  const extras = extraFiles.map(fileSizes);
  cache.save();
  return { bundles, extras, unit: 'bytes', gzip_level: 9, brotli_quality: brotliQuality, compressor: `zlib of Node ${process.version}` };
}

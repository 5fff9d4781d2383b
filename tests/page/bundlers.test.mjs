// The npm package, installed from its tarball, used through every common way of shipping it to a
// browser: esbuild 0.28, Vite 7, and a plain `<script type="module">` from a static server (no
// bundler; webpack 5 is covered by package.test.mjs). Each page trains and encodes on the CPU
// directly and through the worker, then loads the model on WebGPU (the second module, fetched
// only then). The configuration each bundler needs is the one the README
// shows, and nothing more.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import * as esbuild from 'esbuild';
import { build as viteBuild } from 'vite';
import { installPackage, openPage } from './helpers.mjs';

// The Quick start of the package README, and its worker example, with tiny settings.
const APP_JS = (from) => `
import { Autoencoder } from '${from}';
import { WorkerAutoencoder } from '${from === 'autoencoders' ? 'autoencoders/worker' : from.replace('index.js', 'client.js')}';

const SIDE = 8, PIXELS = 64;
const data = new Float32Array(32 * PIXELS);
for (let i = 0; i < 32; i++) for (let k = 0; k < SIDE; k++) data[i * PIXELS + (i % 2 ? k * SIDE + (i % SIDE) : (i % SIDE) * SIDE + k)] = 1;
const config = { inputShape: [1, SIDE, SIDE], hidden: [16], latent: 4 };

window.results = (async () => {
  const direct = await Autoencoder.create(config, { backend: 'cpu', seed: 1 });
  const history = await direct.train(data, { epochs: 20, batchSize: 16, learningRate: 0.01 });
  const codes = await direct.encode(data);
  const worker = await WorkerAutoencoder.create(config, { backend: 'cpu', seed: 1 });
  const workerHistory = await worker.train(data, { epochs: 5, batchSize: 16 });
  const workerCodes = await worker.encode(data);
  await worker.dispose();
  // Only now does the page ask for WebGPU: the WebGPU module must not have been fetched before.
  const fetchedEarly = performance.getEntriesByType('resource').map((e) => e.name).filter((n) => /webgpu[^/]*\.wasm$/.test(n));
  const gpu = await Autoencoder.load(await direct.save(), { backend: 'webgpu' });
  const gpuCodes = await gpu.encode(data);
  return {
    first: history.stepLosses[0], last: history.stepLosses.at(-1), codes: codes.length,
    workerSteps: workerHistory.steps, workerCodes: workerCodes.length,
    fetchedEarly, gpuBackend: gpu.backend, gpuMaxDiff: Math.max(...gpuCodes.map((v, i) => Math.abs(v - codes[i]))),
  };
})().catch((e) => ({ failed: String(e?.stack ?? e), code: e?.code }));
`;

const HTML = (script) => `<!doctype html><meta charset="utf-8"><title>consumer</title><script type="module" src="${script}"></script>\n`;

let project;
before(() => { project = installPackage(); });
after(() => rmSync(project, { recursive: true, force: true }));

async function check(dir, page = '') {
  const wasm = [];
  const opened = await openPage(dir, {
    path: page,
    beforeGoto: (_, context) => context.on('request', (r) => { if (r.url().endsWith('.wasm')) wasm.push(r.url()); }),
  });
  try {
    const results = await opened.page.evaluate(() => window.results);
    assert.equal(results.failed, undefined, results.failed);
    assert.ok(results.last < results.first, `the loss falls: ${results.first} -> ${results.last}`);
    assert.deepEqual([results.codes, results.workerSteps, results.workerCodes], [128, 10, 128]);
    // The CPU models ran on the small module; the WebGPU one fetched the other module when it
    // was asked for, and encodes as the CPU model it was saved from.
    assert.deepEqual(results.fetchedEarly, []);
    assert.equal(results.gpuBackend, 'webgpu');
    assert.ok(results.gpuMaxDiff < 1e-4, `WebGPU codes match the CPU's: ${results.gpuMaxDiff}`);
    assert.ok(wasm.some((url) => /autoencoders_webgpu_bg[^/]*\.wasm$/.test(url)), wasm.join(' '));
    // Chromium has relaxed SIMD: the CPU module is that build, shipped by every bundler.
    assert.ok(wasm.some((url) => /autoencoders_relaxed_bg[^/]*\.wasm$/.test(url)), wasm.join(' '));
    assert.ok(!wasm.some((url) => /autoencoders_bg[^/]*\.wasm$/.test(url)), wasm.join(' '));
    assert.deepEqual(opened.errors, []);
    assert.deepEqual(opened.outside, []);
  } finally {
    await opened.close();
  }
}

test('esbuild: the app bundles with two README lines (copy the .wasm files, bundle the worker entry) and runs', { timeout: 300_000 }, async () => {
  const src = join(project, 'esbuild-src');
  const dist = join(project, 'esbuild-dist');
  mkdirSync(src, { recursive: true });
  writeFileSync(join(src, 'app.js'), APP_JS('autoencoders'));
  await esbuild.build({ absWorkingDir: project, entryPoints: [join(src, 'app.js')], bundle: true, format: 'esm', outdir: dist, logLevel: 'error' });
  // The README's two lines for esbuild:
  await esbuild.build({ absWorkingDir: project, entryPoints: ['node_modules/autoencoders/worker.js'], bundle: true, format: 'esm', outdir: dist, logLevel: 'error' });
  for (const wasm of ['autoencoders_bg.wasm', 'autoencoders_relaxed_bg.wasm', 'autoencoders_webgpu_bg.wasm']) copyFileSync(join(project, 'node_modules/autoencoders', wasm), join(dist, wasm));
  writeFileSync(join(dist, 'index.html'), HTML('app.js'));
  await check(dist);
});

test('Vite: the app builds with no configuration and runs', { timeout: 300_000 }, async () => {
  const root = join(project, 'vite-app');
  mkdirSync(root, { recursive: true });
  writeFileSync(join(root, 'app.js'), APP_JS('autoencoders'));
  writeFileSync(join(root, 'index.html'), HTML('./app.js'));
  await viteBuild({ root, logLevel: 'error', configFile: false, build: { outDir: join(root, 'dist') } });
  await check(join(root, 'dist'));
});

test('no bundler: a <script type="module"> page served as is imports the installed files', { timeout: 300_000 }, async () => {
  writeFileSync(join(project, 'app.js'), APP_JS('./node_modules/autoencoders/index.js'));
  writeFileSync(join(project, 'plain.html'), HTML('./app.js'));
  await check(project, 'plain.html');
});

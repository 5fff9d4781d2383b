// The npm package as a user gets it: `npm pack` pkg/, install the tarball into a fresh project,
// type-check a TypeScript consumer, bundle a page with webpack, and use it in headless Chromium
// through the direct API and the worker API, on the CPU and on WebGPU. Also checks that the page
// stays responsive while the worker trains.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import webpack from 'webpack';
import HtmlWebpackPlugin from 'html-webpack-plugin';
import { installPackage, openPage } from './helpers.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
let project;

const CONSUMER_JS = `
import init, { Autoencoder } from 'autoencoders';
import { WorkerAutoencoder } from 'autoencoders/worker';

const SIDE = 8, PIXELS = 64;
function bars(n) {
  const out = new Float32Array(n * PIXELS);
  for (let i = 0; i < n; i++) {
    const row = i % SIDE, vertical = Math.floor(i / SIDE) % 2 === 0;
    for (let k = 0; k < SIDE; k++) out[i * PIXELS + (vertical ? k * SIDE + row : row * SIDE + k)] = 1;
  }
  return out;
}
const config = { inputShape: [1, SIDE, SIDE], hidden: [32], latent: 4 };
const steps = { epochs: 1000, batchSize: 16, learningRate: 0.01 };

async function exercise(model, n) {
  const history = await model.train(bars(16), { ...steps, maxSteps: n });
  const codes = await model.encode(bars(3));
  const images = await model.decode(codes);
  const samples = await model.sample(2, { seed: 1 });
  const bytes = await model.save();
  return {
    backend: model.backend, first: history.stepLosses[0], last: history.stepLosses.at(-1), steps: history.steps,
    codes: codes.length, images: images.length, samples: samples.length, saved: bytes.length,
  };
}

async function responsiveness(model) {
  // While the worker trains, a 10 ms timer on this thread should keep firing on time.
  let last = performance.now(), worst = 0, ticks = 0;
  const timer = setInterval(() => { const now = performance.now(); worst = Math.max(worst, now - last); last = now; ticks++; }, 10);
  const history = await model.train(bars(64), { ...steps, batchSize: 64, maxSteps: 150 });
  clearInterval(timer);
  return { worstGapMs: worst, ticks, steps: history.steps };
}

window.results = (async () => {
  await init();
  const out = {};
  const cpuModel = await Autoencoder.create(config, { backend: 'cpu', seed: 1 });
  out.directCpu = await exercise(cpuModel, 40);
  // Canvas pixels go in as they are: ImageData of any size, resized and turned gray.
  const canvas = new OffscreenCanvas(32, 32);
  const g = canvas.getContext('2d');
  g.fillStyle = 'black'; g.fillRect(0, 0, 32, 32); g.fillStyle = 'white'; g.fillRect(14, 2, 4, 28);
  const drawn = g.getImageData(0, 0, 32, 32);
  out.imageData = { one: (await cpuModel.encode(drawn)).length, two: (await cpuModel.reconstruct([drawn, drawn])).length };
  out.directWebgpu = await exercise(await Autoencoder.create(config, { backend: 'webgpu', seed: 1 }), 8);
  const worker = await WorkerAutoencoder.create(config, { backend: 'cpu', seed: 1 });
  out.workerCpu = await exercise(worker, 40);
  out.responsiveness = await responsiveness(worker);
  try { await worker.encode(new Float32Array(5)); } catch (e) { out.workerError = { code: e.code, message: e.message }; }
  await worker.dispose();
  const gpuWorker = await WorkerAutoencoder.create(config, { backend: 'webgpu', seed: 1 });
  out.workerWebgpu = await exercise(gpuWorker, 6);
  await gpuWorker.dispose();
  return out;
})().catch((e) => ({ failed: String(e && e.stack || e), code: e && e.code }));
`;

// Plain Node.js, no bundler, no arguments to init (or no init at all): the exports map sends Node
// to the package's Node entry, which reads the .wasm from beside it.
const CONSUMER_NODE = `
import { Autoencoder, toImageData } from 'autoencoders';
import { toImageData as toImageDataFromWorkerEntry } from 'autoencoders/worker';
import { readFileSync } from 'node:fs';

const SIDE = 8, PIXELS = 64;
const data = new Float32Array(64 * PIXELS);
for (let i = 0; i < 64; i++) for (let k = 0; k < SIDE; k++) data[i * PIXELS + (i % 2 ? k * SIDE + (i % SIDE) : (i % SIDE) * SIDE + k)] = 1;
const model = await Autoencoder.create({ inputShape: [1, SIDE, SIDE], hidden: [32], latent: 4 }, { backend: 'auto', seed: 1 });
const history = await model.train(data, { epochs: 30, batchSize: 16, learningRate: 0.01 });
const bytes = await model.save();
const loaded = await Autoencoder.load(bytes);
const [a, b] = [await model.encode(data), await loaded.encode(data)];
const samples = await loaded.sample(3, { seed: 7 });
let error;
try { await loaded.sample(2.5); } catch (e) { error = e.code; }
model.dispose();
loaded[Symbol.dispose]();

// Colour: an RGBA picture shaped like ImageData (left half red, right half blue) into a
// 3-channel model, and its reconstruction back out as RGBA pixels.
const W = 4;
const rgba = new Uint8ClampedArray(W * W * 4);
for (let p = 0; p < W * W; p++) rgba.set(p % W < 2 ? [230, 20, 20, 255] : [20, 20, 230, 255], 4 * p);
const picture = { data: rgba, width: W, height: W };
const colour = await Autoencoder.create({ inputShape: [3, W, W], hidden: [16], latent: 2 }, { backend: 'cpu', seed: 1 });
await colour.train([picture, picture, picture, picture], { epochs: 150, batchSize: 4, learningRate: 0.01 });
const out = toImageData(await colour.reconstruct(picture), colour.inputShape);
const px = (x, y) => Array.from(out.data.subarray(4 * (y * W + x), 4 * (y * W + x) + 4));
// samplesPerSecond is the rate of the last ~2 s: after a start that stalls 1.5 s (a callback that
// blocks) it shows the steady speed again, where the average since the start stays dragged down.
const steady = await Autoencoder.create({ inputShape: [1, SIDE, SIDE], hidden: [16], latent: 2 }, { backend: 'cpu', seed: 2 });
const stop = new AbortController();
let calm = null;
let lastRate = null;
let average = null;
const began = Date.now();
await steady.train(data, {
  epochs: 100000, batchSize: 16, signal: stop.signal,
  onProgress: (p) => {
    if (p.globalStep === 1) { while (Date.now() - began < 1500); calm = Date.now(); return; }
    lastRate = p.samplesPerSecond;
    average = p.samplesSeen / ((Date.now() - began) / 1000);
    if (Date.now() - calm > 3000) stop.abort();
  },
});
steady.dispose();
let shapeError;
try { toImageData(new Float32Array(4), [2, 1, 2]); } catch (e) { shapeError = e.code; }
const toPixels = {
  gray: Array.from(toImageData(Float32Array.of(0, 1, 0.5, 2), [1, 1, 2], 1).data),
  rgba: Array.from(toImageData(Float32Array.of(1, 0, 0.5, 0.25), [4, 1, 1]).data),
  sameFunction: toImageData === toImageDataFromWorkerEntry, shapeError,
};
console.log(JSON.stringify({
  colour: { left: px(0, 1), right: px(3, 2), width: out.width, height: out.height }, toPixels, rates: { lastRate, average },
  backend: model.backend, reason: model.backendReason, first: history.stepLosses[0], last: history.stepLosses.at(-1),
  saved: bytes.length, sameCodes: a.every((v, i) => v === b[i]), samples: samples.length, error,
  resolved: import.meta.resolve('autoencoders'),
}));
`;

const CONSUMER_TS = `
import init, { Autoencoder, toImageData, type ModelConfig, type TrainProgress, type TrainHistory, type AutoencoderError } from 'autoencoders';
import { WorkerAutoencoder } from 'autoencoders/worker';

export async function run(pixels: Uint8Array): Promise<number> {
  await init();
  const config: ModelConfig = { kind: 'variational', inputShape: [1, 28, 28], latent: 2, corruption: { type: 'masking', fraction: 0.2 } };
  const model: Autoencoder = await Autoencoder.create(config, { backend: 'auto' });
  const history: TrainHistory = await model.train(pixels, {
    epochs: 2, onProgress: (p: TrainProgress) => console.log(p.loss, p.terms['kl'], p.samplesPerSecond),
  });
  const codes: Float32Array = await model.encode(pixels);
  const worker = await WorkerAutoencoder.create(config, { backend: 'cpu' });
  const images: Float32Array = await worker.interpolate(pixels.subarray(0, 784), pixels.subarray(784, 1568), 8, { method: 'slerp' });
  try { await model.sample(4, { seed: 2 }); } catch (e) { const code: AutoencoderError['code'] = (e as AutoencoderError).code; console.log(code); }
  const picture: ImageData | { data: Uint8ClampedArray; width: number; height: number } = toImageData(images, [1, 28, 28], 7);
  return history.steps + codes.length + images.length + picture.width + (model.adapterInfo?.isFallbackAdapter ? 1 : 0);
}
`;

// Each must be rejected by the types, for the reason given: an unknown option, a wrong kind, a
// wrong use of a result, a wrong worker option.
const WRONG_TS = [
  [`import { Autoencoder } from 'autoencoders'; export const f = (m: Autoencoder) => m.train(new Uint8Array(4), { epoch: 3 });`, /'epoch' does not exist/],
  [`import { type ModelConfig } from 'autoencoders'; export const c: ModelConfig = { kind: 'sparse' };`, /"sparse"/],
  [`import { Autoencoder } from 'autoencoders'; export const f = async (m: Autoencoder) => { const s: string = await m.encode(new Uint8Array(4)); return s; };`, /Float32Array.*not assignable to type 'string'/],
  [`import { WorkerAutoencoder } from 'autoencoders/worker'; export const m = WorkerAutoencoder.create({}, { backend: 'tpu' });`, /"tpu"/],
];

before(() => {
  project = installPackage();
  mkdirSync(join(project, 'src'));
  writeFileSync(join(project, 'src', 'index.js'), CONSUMER_JS);
});

after(() => rmSync(project, { recursive: true, force: true }));

function tsc(file, source) {
  writeFileSync(join(project, 'src', file), source);
  const args = ['--noEmit', '--strict', '--target', 'es2022', '--module', 'nodenext', '--moduleResolution', 'nodenext',
    '--lib', 'es2022,dom,esnext.disposable', '--skipLibCheck', 'false', join(project, 'src', file)];
  try {
    execFileSync(join(root, 'node_modules', '.bin', 'tsc'), args, { cwd: project, stdio: 'pipe' });
    return '';
  } catch (e) {
    return String(e.stdout || e.message);
  }
}

/** The Node.js binaries the package is tested in: this one (20) and Node 22 (scripts/setup.sh installs it; scripts/env.sh names it). */
const NODES = [
  ['this Node.js', process.execPath],
  ['Node.js 22', process.env.NODE22 ?? join(homedir(), '.cache', 'autoencoders', 'node-22.20.0', 'bin', 'node')],
];

for (const [which, node] of NODES) test(`in plain Node.js (${which}) the installed package trains, saves, loads and samples on the CPU`, { timeout: 300_000 }, () => {
  assert.ok(existsSync(node), `${node} is missing: run scripts/setup.sh`);
  const version = execFileSync(node, ['--version'], { encoding: 'utf8' }).trim();
  console.log(`${which}: ${version}`);
  if (which === 'Node.js 22') assert.match(version, /^v22\./);
  writeFileSync(join(project, 'src', 'node.mjs'), CONSUMER_NODE);
  // The last line is the script's JSON; 'auto' says on the console why it chose the CPU.
  const stdout = execFileSync(node, [join(project, 'src', 'node.mjs')], { cwd: project, encoding: 'utf8' });
  const out = JSON.parse(stdout.trim().split('\n').at(-1));
  assert.match(out.resolved, /node_modules\/autoencoders\/node\.js$/, 'Node is sent to the Node entry');
  assert.equal(out.backend, 'cpu');
  assert.match(out.reason, /no WebGPU adapter/);
  assert.ok(out.last < out.first * 0.8, `the loss falls: ${out.first} -> ${out.last}`);
  assert.equal(out.sameCodes, true, 'save -> load gives the same codes');
  assert.equal(out.samples, 3 * 64);
  assert.equal(out.error, 'INVALID_CONFIG');
  // A colour picture keeps its colour through a 3-channel model and toImageData.
  const { left, right } = out.colour;
  assert.ok(left[0] > 150 && left[2] < 90 && right[2] > 150 && right[0] < 90, `red stays red, blue stays blue: ${left} / ${right}`);
  assert.deepEqual([left[3], out.colour.width, out.colour.height], [255, 4, 4]);
  assert.deepEqual(out.toPixels.gray, [128, 128, 128, 255, 255, 255, 255, 255], 'image 1 of two gray 1 x 2 images; values clamped');
  assert.deepEqual(out.toPixels.rgba, [255, 0, 128, 64], 'four channels keep their alpha');
  assert.equal(out.toPixels.sameFunction, true, 'the worker entry exports the same toImageData');
  assert.equal(out.toPixels.shapeError, 'INVALID_DATA');
  const { lastRate, average } = out.rates;
  console.log(`samplesPerSecond at the end: ${lastRate.toFixed(0)}/s; average since the start: ${average.toFixed(0)}/s`);
  assert.ok(lastRate > 1.25 * average, `samplesPerSecond is the recent rate (${lastRate.toFixed(0)}/s), not the average since the stall (${average.toFixed(0)}/s)`);
});

test('the package typechecks a TypeScript consumer, and its types reject misuse', () => {
  assert.equal(tsc('consumer.ts', CONSUMER_TS), '', 'a correct consumer compiles');
  WRONG_TS.forEach(([source, reason], i) => {
    const output = tsc(`wrong${i}.ts`, source);
    assert.match(output, reason, `misuse ${i} must fail to compile for the right reason: ${source}\n${output}`);
  });
});

test('a bundled consumer trains, encodes, decodes and samples directly and in a worker, on CPU and WebGPU', { timeout: 600_000 }, async () => {
  const dist = join(project, 'dist');
  const stats = await new Promise((ok, fail) => webpack({
    mode: 'production', context: project, entry: './src/index.js',
    output: { path: dist, clean: true },
    resolve: { modules: [join(project, 'node_modules')] },
    performance: { hints: false },
    plugins: [new HtmlWebpackPlugin({ title: 'consumer' })],
  }, (err, s) => (err ? fail(err) : ok(s))));
  assert.ok(!stats.hasErrors(), stats.toString('errors-only'));

  const page = await openPage(dist);
  try {
    const results = await page.page.evaluate(() => window.results);
    assert.equal(results.failed, undefined, results.failed);
    for (const [name, r, backend] of [['directCpu', results.directCpu, 'cpu'], ['directWebgpu', results.directWebgpu, 'webgpu'],
      ['workerCpu', results.workerCpu, 'cpu'], ['workerWebgpu', results.workerWebgpu, 'webgpu']]) {
      assert.equal(r.backend, backend, name);
      assert.ok(r.last < r.first, `${name}: the loss falls (${r.first} -> ${r.last})`);
      assert.deepEqual([r.codes, r.images, r.samples], [12, 192, 128], name);
      assert.ok(r.saved > 1000, name);
    }
    assert.equal(results.workerError.code, 'SHAPE_MISMATCH', 'errors keep their code across the worker');
    assert.deepEqual(results.imageData, { one: 4, two: 128 }, 'ImageData and ImageData[] are accepted');
    const { worstGapMs, ticks, steps } = results.responsiveness;
    console.log(`main thread while the worker trained ${steps} steps: ${ticks} timer ticks, worst gap ${worstGapMs.toFixed(0)} ms`);
    assert.equal(steps, 150);
    assert.ok(worstGapMs < 250, `the main thread stalled for ${worstGapMs} ms while the worker trained`);
    assert.deepEqual(page.errors, []);
    assert.deepEqual(page.outside, []);
  } finally {
    await page.close();
  }
});

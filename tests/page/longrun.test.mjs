// Long runs against the package itself (pkg/, imported as `./index.js` by a tiny page, no
// bundler): one training of 5,000 steps, and 2,000 models created, used and disposed, on the CPU
// backend. Wasm memory and the JS heap (after a forced garbage collection) are measured once the
// first 100 steps or models are done and again at the end; the growth in between must stay
// under the bounds below, which the README states.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { openPackagePage } from './helpers.mjs';

const MB = 1024 * 1024;
/** Allowed growth after the first 100 steps or models. */
const BOUND = { wasm: 16 * MB, heap: 20 * MB };
const STEPS = 5_000;
const MODELS = 2_000;
const WARMUP = 100;

const PAGE_JS = `
import init, { Autoencoder } from './index.js';

const SIDE = 8, PIXELS = SIDE * SIDE;
// 256 images of bars, one per row or column, shifted.
const data = new Float32Array(256 * PIXELS);
for (let i = 0; i < 256; i++) {
  const k = i % SIDE, vertical = (i >> 3) % 2 === 0;
  for (let j = 0; j < SIDE; j++) data[i * PIXELS + (vertical ? j * SIDE + k : k * SIDE + j)] = 1;
}
const config = { inputShape: [1, SIDE, SIDE], hidden: [32], latent: 4 };

const wasm = await init();
window.wasmBytes = () => wasm.memory.buffer.byteLength;

/** Start one long training; its progress is in window.training. */
window.startTraining = async (steps) => {
  const model = await Autoencoder.create(config, { backend: 'cpu', seed: 1 });
  const state = { step: 0 };
  window.training = state;
  const started = performance.now();
  state.done = model.train(data, {
    epochs: Math.ceil(steps / 16), batchSize: 16, learningRate: 0.01, maxSteps: steps,
    onProgress: (p) => { state.step = p.globalStep + 1; },
  }).then(async (history) => {
    const codes = await model.encode(data.subarray(0, 4 * PIXELS));
    model.dispose();
    return {
      steps: history.steps, first: history.stepLosses[0], last: history.stepLosses.at(-1),
      codes: codes.length, ms: performance.now() - started,
    };
  });
};

let made = 0;
/** Create, use and dispose \`n\` models, one at a time. */
window.cycles = async (n) => {
  const started = performance.now();
  for (let i = 0; i < n; i++, made++) {
    const model = await Autoencoder.create(config, { backend: 'cpu', seed: made });
    const codes = await model.encode(data.subarray(0, 2 * PIXELS));
    if (codes.length !== 8) throw new Error('encode gave ' + codes.length + ' values');
    model.dispose();
  }
  return performance.now() - started;
};
window.ready = true;
`;

let opened;
let page;
let cdp;

before(async () => {
  opened = await openPackagePage(PAGE_JS);
  page = opened.page;
  cdp = await page.context().newCDPSession(page);
  await page.waitForFunction(() => window.ready === true, null, { timeout: 60_000 });
});

after(async () => {
  await opened?.close();
});

/** Wasm memory and JS heap after a full garbage collection. */
async function measure() {
  await cdp.send('HeapProfiler.collectGarbage');
  const { usedSize } = await cdp.send('Runtime.getHeapUsage');
  return { wasm: await page.evaluate(() => window.wasmBytes()), heap: usedSize };
}

const mb = (bytes) => `${(bytes / MB).toFixed(2)} MB`;

function report(what, first, last) {
  const growth = { wasm: last.wasm - first.wasm, heap: last.heap - first.heap };
  console.log(`${what}: wasm memory ${mb(first.wasm)} -> ${mb(last.wasm)} (+${mb(growth.wasm)}), JS heap ${mb(first.heap)} -> ${mb(last.heap)} (${growth.heap >= 0 ? '+' : ''}${mb(growth.heap)})`);
  assert.ok(growth.wasm < BOUND.wasm, `${what}: wasm memory grew by ${mb(growth.wasm)} after warm-up (bound ${mb(BOUND.wasm)})`);
  assert.ok(growth.heap < BOUND.heap, `${what}: JS heap grew by ${mb(growth.heap)} after warm-up (bound ${mb(BOUND.heap)})`);
}

test(`one training of ${STEPS} steps: memory growth after the first ${WARMUP} stays within the bound`, { timeout: 120_000 }, async () => {
  const start = await measure();
  await page.evaluate((steps) => window.startTraining(steps), STEPS);
  await page.waitForFunction((n) => window.training.step >= n, WARMUP, { timeout: 60_000, polling: 20 });
  const warm = await measure();
  const atStep = await page.evaluate(() => window.training.step);
  const result = await page.evaluate(() => window.training.done);
  const end = await measure();
  console.log(`trained ${result.steps} steps in ${(result.ms / 1000).toFixed(1)} s (loss ${result.first.toFixed(4)} -> ${result.last.toFixed(4)}); before: wasm ${mb(start.wasm)}, heap ${mb(start.heap)}; warm-up measured at step ${atStep}`);
  assert.equal(result.steps, STEPS);
  assert.ok(Number.isFinite(result.last) && result.last < result.first, `the loss falls: ${result.first} -> ${result.last}`);
  assert.equal(result.codes, 16);
  report(`training, step ${atStep} to ${STEPS}`, warm, end);
});

const cycles = {}; // measurements of the create/encode/dispose test, for the check after it

test(`${MODELS} models created, used and disposed: memory growth after the first ${WARMUP} stays within the bound`, { timeout: 120_000 }, async () => {
  const firstMs = await page.evaluate((n) => window.cycles(n), WARMUP);
  cycles.warm = await measure();
  const restMs = await page.evaluate((n) => window.cycles(n), MODELS - WARMUP);
  cycles.end = await measure();
  console.log(`${MODELS} create/encode/dispose cycles in ${((firstMs + restMs) / 1000).toFixed(1)} s (${((firstMs + restMs) / MODELS).toFixed(1)} ms each)`);
  console.log(`wasm memory per model after warm-up: ${((cycles.end.wasm - cycles.warm.wasm) / (MODELS - WARMUP) / 1024).toFixed(2)} KB`);
  report(`models ${WARMUP} to ${MODELS}`, cycles.warm, cycles.end);
  assert.deepEqual(opened.errors, []);
  assert.deepEqual(opened.outside, []);
});

// A model that never trained used to keep ~6.8 KB of wasm memory after dispose (burn's autodiff
// frees graph entries only during a backward pass; the core now sweeps on drop): untrained models
// must leave nothing behind.
test(`${MODELS} models created and disposed without training leave no wasm memory behind`, () => {
  assert.ok(cycles.end, 'the create/encode/dispose test ran');
  const growth = cycles.end.wasm - cycles.warm.wasm;
  assert.ok(growth < 2 * MB, `wasm memory grew by ${mb(growth)} over ${MODELS - WARMUP} untrained models`);
});

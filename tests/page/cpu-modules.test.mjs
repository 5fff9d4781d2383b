// The two builds of the CPU module: Chromium validates wasm's relaxed SIMD, so the package loads
// `autoencoders_relaxed_bg.wasm` (its matrix kernel fuses multiply and add); an engine that does
// not gets `autoencoders_bg.wasm`; and a bundle that lacks the relaxed file falls back to the
// plain one. Each runs the pretrained VAE on real MNIST digits, and they agree: with each other,
// and, in each module, the host pass (batches of 4 rows and more) with burn's (one
// image at a time), also after training has changed the weights it had packed. `initSync`
// starts the plain build by hand, and then that is the one models use.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseMnist } from '../../www/mnist.js';
import { openPackagePage } from './helpers.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const PIXELS = 784;
const COUNT = 100;
const SINGLES = [0, 1, 63, 64, 99];

let model;
let digits;
before(() => {
  model = readFileSync(join(root, 'www', 'models', 'vae-20d.ae'));
  const mnist = parseMnist(new Uint8Array(readFileSync(join(root, 'data', 'mnist.bin'))));
  const values = new Float32Array(COUNT * PIXELS);
  for (let i = 0; i < COUNT; i++) values.set(mnist.test.image(i), i * PIXELS);
  digits = Buffer.from(values.buffer);
});

const PAGE = `
import { Autoencoder } from './index.js';
window.result = (async () => {
  const [model, digits] = await Promise.all(['./model.ae', './digits.bin'].map((f) => fetch(f).then((r) => r.arrayBuffer())));
  const ae = await Autoencoder.load(new Uint8Array(model), { backend: 'cpu' });
  const images = new Float32Array(digits);
  const batch = await ae.reconstruct(images);
  const singles = [];
  for (const i of ${JSON.stringify(SINGLES)}) singles.push(Array.from(await ae.reconstruct(images.subarray(i * ${PIXELS}, (i + 1) * ${PIXELS}))));
  const codes = Array.from(await ae.encode(images));
  // Training changes the weights: the next batch must be multiplied by the new ones.
  await ae.train(images, { epochs: 2, batchSize: 50, learningRate: 0.01 });
  const retrained = await ae.reconstruct(images);
  const retrainedSingle = await ae.reconstruct(images.subarray(0, ${PIXELS}));
  return {
    batch: Array.from(batch), codes, singles,
    retrainedRow: Array.from(retrained.subarray(0, ${PIXELS})), retrainedSingle: Array.from(retrainedSingle),
  };
})().catch((e) => ({ failed: String(e?.stack ?? e) }));
`;

/**
 * Run PAGE with the model and digits served, and note the .wasm files it asked for.
 * `noRelaxedSimd`: an engine without relaxed SIMD; `relaxedMissing`: that module's file is not served.
 */
async function runPage({ noRelaxedSimd = false, relaxedMissing = false } = {}) {
  const wasm = [];
  const opened = await openPackagePage(PAGE, {
    beforeGoto: async (page, context) => {
      context.on('request', (r) => { if (r.url().endsWith('.wasm')) wasm.push(r.url().split('/').pop()); });
      await page.route('**/model.ae', (route) => route.fulfill({ body: model }));
      await page.route('**/digits.bin', (route) => route.fulfill({ body: digits }));
      if (relaxedMissing) await page.route('**/autoencoders_relaxed_bg.wasm', (route) => route.fulfill({ status: 404, body: 'not here' }));
      // The package's probe is `WebAssembly.validate` of a module that uses relaxed SIMD.
      if (noRelaxedSimd) {
        await page.addInitScript(() => {
          const validate = WebAssembly.validate;
          WebAssembly.validate = (bytes) => (new Uint8Array(bytes).includes(253) && bytes.length < 64 ? false : validate(bytes));
        });
      }
    },
  });
  try {
    const result = await opened.page.evaluate(() => window.result);
    assert.equal(result.failed, undefined, result.failed);
    assert.deepEqual(opened.errors, []);
    return { ...result, wasm };
  } finally {
    await opened.close();
  }
}

function maxDiff(a, b) {
  assert.equal(a.length, b.length);
  return a.reduce((worst, v, i) => Math.max(worst, Math.abs(v - b[i])), 0);
}

/**
 * The batch's reconstructions are the one-image ones (burn's kernel), before and after more
 * training, and they look like the digits.
 */
function checkReconstructions(result) {
  assert.equal(result.batch.length, COUNT * PIXELS);
  assert.equal(result.codes.length, COUNT * 20);
  SINGLES.forEach((i, n) => {
    const row = result.batch.slice(i * PIXELS, (i + 1) * PIXELS);
    const diff = maxDiff(row, result.singles[n]);
    assert.ok(diff < 1e-5, `digit ${i}: batch and one-image reconstructions differ by ${diff}`);
  });
  const moved = maxDiff(result.retrainedRow, result.batch.slice(0, PIXELS));
  assert.ok(moved > 1e-3, `training moved the reconstruction: ${moved}`);
  const stale = maxDiff(result.retrainedRow, result.retrainedSingle);
  assert.ok(stale < 1e-5, `after training, batch and one-image reconstructions differ by ${stale}`);
  const input = new Float32Array(digits.buffer, digits.byteOffset, COUNT * PIXELS);
  const meanError = result.batch.reduce((sum, v, i) => sum + Math.abs(v - input[i]), 0) / result.batch.length;
  assert.ok(meanError < 0.1, `the pretrained VAE reconstructs the digits: mean |error| ${meanError}`);
}

test('Chromium loads the relaxed-SIMD CPU module, engines without relaxed SIMD the plain one, and they agree', { timeout: 180_000 }, async () => {
  const relaxed = await runPage();
  assert.deepEqual(relaxed.wasm, ['autoencoders_relaxed_bg.wasm']);
  checkReconstructions(relaxed);

  const plain = await runPage({ noRelaxedSimd: true });
  assert.deepEqual(plain.wasm, ['autoencoders_bg.wasm']);
  checkReconstructions(plain);

  // The fused multiply-add rounds once where mul + add round twice: a few ulps apart, no more.
  assert.ok(maxDiff(relaxed.batch, plain.batch) < 1e-5, `reconstructions: ${maxDiff(relaxed.batch, plain.batch)}`);
  assert.ok(maxDiff(relaxed.codes, plain.codes) < 1e-4, `codes: ${maxDiff(relaxed.codes, plain.codes)}`);
});

test('a page whose relaxed-SIMD module is missing falls back to the plain CPU module', { timeout: 120_000 }, async () => {
  const result = await runPage({ relaxedMissing: true });
  assert.deepEqual(result.wasm, ['autoencoders_relaxed_bg.wasm', 'autoencoders_bg.wasm']);
  checkReconstructions(result);
});

test('initSync starts the plain CPU build by hand, and models use it (the relaxed build is not fetched)', { timeout: 120_000 }, async () => {
  const wasm = [];
  const opened = await openPackagePage(`
import { initSync, Autoencoder } from './index.js';
window.result = (async () => {
  const bytes = await (await fetch('./autoencoders_bg.wasm')).arrayBuffer();
  initSync({ module: bytes });
  const model = await Autoencoder.create({ inputShape: [1, 8, 8], hidden: [16], latent: 2 }, { backend: 'cpu', seed: 1 });
  const codes = await model.encode(new Float32Array(64 * 64).fill(0.5));
  return { codes: codes.length };
})().catch((e) => ({ failed: String(e?.stack ?? e) }));
`, { beforeGoto: (_, context) => context.on('request', (r) => { if (r.url().endsWith('.wasm')) wasm.push(r.url().split('/').pop()); }) });
  try {
    const result = await opened.page.evaluate(() => window.result);
    assert.equal(result.failed, undefined, result.failed);
    assert.equal(result.codes, 64 * 2);
    assert.deepEqual(wasm, ['autoencoders_bg.wasm']);
    assert.deepEqual(opened.errors, []);
  } finally {
    await opened.close();
  }
});

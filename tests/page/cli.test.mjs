// The command-line trainer and the browser share one checkpoint format: a model trained natively
// from a folder of PNGs (src/bin/autoencoders.rs, built by `cargo test`) loads in a page, and
// encodes the same pixels to the same codes as the trainer does (within float tolerance: native
// and wasm SIMD kernels round differently).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { openPackagePage, rgbaPng } from './helpers.mjs';

const targetDir = process.env.CARGO_TARGET_DIR ?? join(homedir(), '.cache', 'autoencoders', 'target');
const trainer = join(targetDir, 'debug', 'autoencoders');
const SIDE = 8;

/** Colour bars: a red or blue row or column on near-black, as RGBA bytes. */
function bar(i) {
  const rgba = new Uint8Array(SIDE * SIDE * 4);
  const k = i % SIDE, vertical = Math.floor(i / SIDE) % 2 === 0, colour = i % 3 === 0 ? [230, 40, 30] : [30, 60, 220];
  for (let y = 0; y < SIDE; y++) for (let x = 0; x < SIDE; x++) {
    const on = vertical ? x === k : y === k;
    rgba.set([...(on ? colour : [10, 10, 10]), 255], (y * SIDE + x) * 4);
  }
  return rgba;
}

let dir;
let opened;
before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'autoencoders-cli-'));
  mkdirSync(join(dir, 'images'));
  for (let i = 0; i < 30; i++) writeFileSync(join(dir, 'images', `bar-${String(i).padStart(2, '0')}.png`), rgbaPng(SIDE, SIDE, bar(i)));
  opened = await openPackagePage(`import { Autoencoder } from './index.js';
window.encodeIn = async (bytes, images, backend) => {
  const model = await Autoencoder.load(new Uint8Array(bytes), { backend });
  const codes = await model.encode(images.map((data) => ({ data: new Uint8ClampedArray(data), width: ${SIDE}, height: ${SIDE} })));
  return { codes: Array.from(codes), shape: model.inputShape, kind: model.config.kind };
};
window.ready = true;`);
  await opened.page.waitForFunction(() => window.ready === true);
});
after(async () => {
  await opened?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('a model trained by the native trainer loads in the browser and encodes as the trainer does', { timeout: 300_000 }, async () => {
  assert.ok(existsSync(trainer), `the trainer is built by cargo test (${trainer})`);
  const model = join(dir, 'bars.ae');
  const config = JSON.stringify({ kind: 'variational', inputShape: [3, SIDE, SIDE], hidden: [32], latent: 3, loss: 'mse' });
  const log = execFileSync(trainer, ['train', '--config', config, '--data', join(dir, 'images'), '--epochs', '20',
    '--batch-size', '9', '--learning-rate', '0.01', '--out', model], { encoding: 'utf8' });
  assert.match(log, /negative ELBO/);
  const native = JSON.parse(execFileSync(trainer, ['encode', '--model', model, '--data', join(dir, 'images'), '--count', '4'], { encoding: 'utf8' }));
  const bytes = Array.from(readFileSync(model));
  const images = [0, 1, 2, 3].map((i) => Array.from(bar(i)));
  for (const backend of ['cpu', 'webgpu']) {
    const page = await opened.page.evaluate(([b, imgs, be]) => window.encodeIn(b, imgs, be), [bytes, images, backend]);
    assert.deepEqual(page.shape, [3, SIDE, SIDE]);
    assert.equal(page.kind, 'variational');
    const expected = native.codes.flat();
    assert.equal(page.codes.length, expected.length);
    const worst = Math.max(...page.codes.map((v, i) => Math.abs(v - expected[i])));
    assert.ok(worst < 1e-4, `${backend}: codes differ from the trainer's by up to ${worst}`);
  }
});

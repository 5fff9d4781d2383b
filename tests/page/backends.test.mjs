// Backends as a page sees them, through the package (pkg/, no bundler): what `auto` chose and
// why, and a WebGPU device lost in the middle of training (the test destroys it): the call
// rejects with DEVICE_LOST, the model's last save() loads on the CPU with the same weights and
// trains on, and WebGPU is not offered again in this page.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { openPackagePage } from './helpers.mjs';

const PAGE_JS = `
import init, { Autoencoder } from './index.js';

const SIDE = 8, PIXELS = SIDE * SIDE;
const config = { inputShape: [1, SIDE, SIDE], hidden: [16], latent: 4 };
const x = new Float32Array(32 * PIXELS);
for (let i = 0; i < 32; i++) for (let k = 0; k < SIDE; k++) x[i * PIXELS + (i % 2 ? k * SIDE + (i % SIDE) : (i % SIDE) * SIDE + k)] = 1;
const one = x.subarray(0, PIXELS);
const outcome = (promise) => promise.then((value) => ({ value }), (e) => ({ code: e.code, message: e.message }));

window.auto = async () => {
  const model = await Autoencoder.create(config, { backend: 'auto' });
  const gpu = await Autoencoder.create(config, { backend: 'webgpu' });
  const cpu = await Autoencoder.create(config, { backend: 'cpu' });
  return {
    auto: { backend: model.backend, reason: model.backendReason, adapterInfo: model.adapterInfo },
    webgpu: { backend: gpu.backend, reason: gpu.backendReason, fallback: gpu.adapterInfo?.isFallbackAdapter },
    cpu: { backend: cpu.backend, reason: cpu.backendReason },
  };
};

window.loseDevice = async () => {
  const out = {};
  const model = await Autoencoder.create(config, { backend: 'webgpu', seed: 3 });
  await model.train(x, { batchSize: 16, maxSteps: 2, learningRate: 0.01 });
  const saved = await model.save();
  const codes = await model.encode(one);
  // Lose the device during the next training, after its first step.
  let steps = 0;
  out.training = await outcome(model.train(x, {
    batchSize: 16, epochs: 50, learningRate: 0.01,
    onProgress: () => { if (++steps === 1) window.__devices.forEach((d) => d.destroy()); },
  }));
  out.devices = window.__devices.length;
  out.encodeAfter = await outcome(model.encode(one));
  out.busyAfter = model.busy;
  out.webgpuAgain = await outcome(Autoencoder.create(config, { backend: 'webgpu' }));
  const auto = await Autoencoder.create(config, { backend: 'auto' });
  out.autoAgain = { backend: auto.backend, reason: auto.backendReason };
  // Recover: the last save() on the CPU has the same weights, and trains on.
  const onCpu = await Autoencoder.load(saved, { backend: 'cpu' });
  const codesCpu = await onCpu.encode(one);
  out.codeDifference = Math.max(...codes.map((v, i) => Math.abs(v - codesCpu[i])));
  const history = await onCpu.train(x, { batchSize: 16, epochs: 20, learningRate: 0.01 });
  out.cpuLosses = [history.stepLosses[0], history.stepLosses.at(-1)];
  model.dispose();
  out.disposed = model.disposed;
  return out;
};
window.ready = init().then(() => true);
`;

let opened;
before(async () => {
  opened = await openPackagePage(PAGE_JS, {
    // Keep every GPUDevice the page creates, so that the test can destroy it.
    beforeGoto: (page) => page.addInitScript(() => {
      window.__devices = [];
      const request = GPUAdapter.prototype.requestDevice;
      GPUAdapter.prototype.requestDevice = async function (...args) {
        const device = await request.apply(this, args);
        window.__devices.push(device);
        return device;
      };
    }),
  });
  await opened.page.waitForFunction(() => window.ready, null, { timeout: 60_000 });
});
after(async () => { await opened?.close(); });

test('auto says what it chose and why; webgpu and cpu say they were asked for', { timeout: 120_000 }, async () => {
  const out = await opened.page.evaluate(() => window.auto());
  // The adapter here is SwiftShader, a software fallback: auto must take the CPU and say why.
  assert.equal(out.webgpu.backend, 'webgpu');
  assert.match(out.webgpu.reason, /WebGPU was asked for/);
  assert.match(out.cpu.reason, /CPU was asked for/);
  if (out.webgpu.fallback) {
    assert.equal(out.auto.backend, 'cpu');
    assert.match(out.auto.reason, /software fallback/);
    assert.equal(out.auto.adapterInfo, null);
  } else {
    assert.equal(out.auto.backend, 'webgpu');
    assert.match(out.auto.reason, /hardware adapter/);
  }
});

test('a WebGPU device lost mid-training: DEVICE_LOST, then the last save() trains on the CPU', { timeout: 300_000 }, async () => {
  const out = await opened.page.evaluate(() => window.loseDevice());
  assert.equal(out.devices, 1, 'the page made one GPUDevice');
  assert.equal(out.training.code, 'DEVICE_LOST', JSON.stringify(out.training).slice(0, 300));
  assert.match(out.training.message, /GPU device was lost.*backend: 'cpu'/s);
  assert.equal(out.encodeAfter.code, 'DEVICE_LOST', JSON.stringify(out.encodeAfter));
  assert.equal(out.busyAfter, false, 'the model is not left busy');
  assert.equal(out.webgpuAgain.code, 'DEVICE_LOST', 'WebGPU is not offered again in this page');
  assert.equal(out.autoAgain.backend, 'cpu');
  assert.match(out.autoAgain.reason, /lost/);
  assert.ok(out.codeDifference < 1e-4, `the CPU copy has the saved weights (codes differ by ${out.codeDifference})`);
  const [first, last] = out.cpuLosses;
  assert.ok(Number.isFinite(last) && last < first, `training goes on on the CPU: ${first} -> ${last}`);
  assert.equal(out.disposed, true);
  assert.deepEqual(opened.errors, []);
});

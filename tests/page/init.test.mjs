// Starting the module: a .wasm that cannot be fetched gives a typed BACKEND error that says what
// to check, and a later call starts the module from its default place (no restart of the page).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openPackagePage } from './helpers.mjs';

test('a .wasm that cannot be loaded is a typed error, and a later call starts the module', { timeout: 120_000 }, async () => {
  const opened = await openPackagePage(`
import init, { Autoencoder } from './index.js';
window.result = (async () => {
  const failed = await init({ module_or_path: './missing.wasm' }).then(() => null, (e) => ({ code: e.code, message: e.message }));
  const model = await Autoencoder.create({ inputShape: [1, 4, 4], hidden: [], latent: 2 }, { backend: 'cpu' });
  return { failed, codes: (await model.encode(new Float32Array(16))).length };
})().catch((e) => ({ error: String(e) }));
`);
  try {
    const result = await opened.page.evaluate(() => window.result);
    assert.equal(result.failed?.code, 'BACKEND', JSON.stringify(result));
    assert.match(result.failed.message, /could not be loaded.*autoencoders_bg\.wasm/s);
    assert.equal(result.codes, 2);
  } finally {
    await opened.close();
  }
});

test('the WebGPU module is fetched only for WebGPU; if it cannot be loaded, auto takes the CPU and says why', { timeout: 120_000 }, async () => {
  const wasm = [];
  const opened = await openPackagePage(`
import init, { Autoencoder } from './index.js';
// A host that offers a hardware adapter (so auto wants WebGPU), and a WebGPU module that is not there.
Object.defineProperty(navigator, 'gpu', { value: { requestAdapter: async () => ({ info: { isFallbackAdapter: false } }) } });
window.result = (async () => {
  await init({ webgpu_module_or_path: './missing-webgpu.wasm' });
  const config = { inputShape: [1, 4, 4], hidden: [], latent: 2 };
  const cpu = await Autoencoder.create(config, { backend: 'cpu' });
  const fetchedByCpu = performance.getEntriesByType('resource').map((e) => e.name).filter((n) => /webgpu[^/]*\.wasm$/.test(n));
  const auto = await Autoencoder.create(config);
  const webgpu = await Autoencoder.create(config, { backend: 'webgpu' }).then(() => null, (e) => ({ code: e.code, message: e.message }));
  return {
    fetchedByCpu, cpu: cpu.backend, auto: auto.backend, autoReason: auto.backendReason,
    autoCodes: (await auto.encode(new Float32Array(16))).length, webgpu,
  };
})().catch((e) => ({ error: String(e) }));
`, { beforeGoto: (_, context) => context.on('request', (r) => { if (r.url().endsWith('.wasm')) wasm.push(r.url()); }) });
  try {
    const result = await opened.page.evaluate(() => window.result);
    assert.equal(result.error, undefined, result.error);
    assert.deepEqual(result.fetchedByCpu, [], 'a CPU model does not fetch the WebGPU module');
    assert.equal(result.cpu, 'cpu');
    assert.equal(result.auto, 'cpu');
    assert.match(result.autoReason, /^auto chose the CPU: the WebGPU module could not be loaded .*missing-webgpu\.wasm/s);
    assert.equal(result.autoCodes, 2);
    assert.equal(result.webgpu?.code, 'BACKEND', JSON.stringify(result.webgpu));
    assert.match(result.webgpu.message, /could not be loaded.*autoencoders_webgpu_bg\.wasm/s);
    assert.ok(wasm.some((url) => url.endsWith('/missing-webgpu.wasm')), wasm.join(' '));
    assert.ok(!wasm.some((url) => url.includes('autoencoders_webgpu_bg')), wasm.join(' '));
    assert.deepEqual(opened.errors, []);
  } finally {
    await opened.close();
  }
});

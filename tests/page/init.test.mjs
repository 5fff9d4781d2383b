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

// The served demo page: loads the package, trains, and draws reconstructions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { startDemo, canvasPixels } from './helpers.mjs';

const meanAbs = (a, b) => a.reduce((s, v, i) => s + Math.abs(v - b[i]), 0) / a.length;
const spread = (a) => Math.max(...a) - Math.min(...a);

test('the demo trains on the CPU backend and draws real reconstructions', { timeout: 240_000 }, async () => {
  const demo = await startDemo();
  try {
    const { page } = demo;
    await page.waitForSelector('body[data-state="ready"]', { timeout: 60_000 });
    const original = await canvasPixels(page, '#originals canvas');
    assert.ok(spread(original) > 200, 'the original digit is drawn');

    await page.selectOption('#backend', 'cpu');
    await page.fill('#steps', '80');
    await page.click('#train');
    await page.waitForSelector('body[data-state="done"]', { timeout: 180_000 });

    assert.equal(await page.textContent('#backend-used'), 'cpu');
    assert.equal(await page.textContent('#step'), '80');
    const loss = Number(await page.textContent('#loss'));
    assert.ok(loss > 0 && loss < 200, `BCE per image after 80 steps should be below 200 nats, got ${loss}`);

    const reconstruction = await canvasPixels(page, '#reconstructions canvas');
    assert.ok(spread(reconstruction) > 100, 'the reconstruction is not blank');
    const black = original.map(() => 0);
    const errorOfModel = meanAbs(reconstruction, original);
    const errorOfBlank = meanAbs(black, original);
    assert.ok(errorOfModel < 0.8 * errorOfBlank,
      `the reconstruction should be closer to the digit than a blank image is: ${errorOfModel} vs ${errorOfBlank}`);

    mkdirSync('test-results', { recursive: true });
    await page.screenshot({ path: 'test-results/demo-trained-cpu.png', fullPage: true });
    assert.deepEqual(demo.errors, [], 'no uncaught page errors');
    assert.deepEqual(demo.outside, [], 'no request leaves the local server');
  } finally {
    await demo.close();
  }
});

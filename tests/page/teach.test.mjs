// The demo as a teacher would project it, in headless Chromium: training shows its
// reconstructions (and a 2-D latent map) changing while it runs, Resume goes on counting, Stop
// leaves no time estimate behind, Interpolate shows its two digits, an upload of dark ink on white
// becomes an MNIST-like digit, a painted inpaint stroke beats black, messages are in plain words,
// and the header's subtitle is in view. Each panel is photographed at 1366 x 900 (what a projector
// shows) and at 390 px wide (a phone, the whole page) into test-results/screenshots/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { grayPng, png, demoSession, SHOTS } from './helpers.mjs';
import { parseMnist } from '../../www/mnist.js';

const mnist = parseMnist(new Uint8Array(readFileSync(new URL('../../data/mnist.bin', import.meta.url))));
let page;
const { panel, open, settled, pixels } = demoSession({ failOnError: false, onPage: (p) => { page = p; } });

const spread = ({ values }) => Math.max(...values) - Math.min(...values);

/** The panel at 1366 x 900 (the window, as projected) and at 390 px wide (the whole page); nothing may stick out sideways on the phone. */
async function shoot(id) {
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: `${SHOTS}/${id}-1366.png` });
  await page.setViewportSize({ width: 390, height: 844 });
  await page.waitForTimeout(250); // the chart redraws for its new width
  const wide = await page.evaluate(() => document.documentElement.scrollWidth);
  await page.screenshot({ path: `${SHOTS}/${id}-390.png`, fullPage: true });
  await page.setViewportSize({ width: 1366, height: 900 });
  await page.waitForTimeout(250);
  assert.ok(wide <= 390, `${id}: the page is ${wide} px wide on a 390 px phone`);
}

test('the header: the subtitle is in view at 1366 x 900, not hidden behind the backend selector', async () => {
  const boxes = await page.evaluate(() => {
    const box = (s) => { const r = document.querySelector(s).getBoundingClientRect(); return { left: r.left, right: r.right, top: r.top, bottom: r.bottom }; };
    const lede = document.querySelector('.lede').getBoundingClientRect();
    // What is drawn at the middle of each line of the subtitle is the subtitle itself.
    const covered = [];
    for (let y = lede.top + 4; y < lede.bottom; y += 12) {
      const hit = document.elementFromPoint(lede.left + lede.width / 2, y);
      if (!hit?.closest('.lede')) covered.push(hit?.tagName);
    }
    return { lede: box('.lede'), backend: box('.backend-field'), covered };
  });
  const { lede, backend } = boxes;
  const overlap = lede.left < backend.right && backend.left < lede.right && lede.top < backend.bottom && backend.top < lede.bottom;
  assert.equal(overlap, false, `subtitle ${JSON.stringify(lede)} and backend selector ${JSON.stringify(backend)} overlap`);
  assert.ok(lede.bottom <= 900 && lede.right <= 1366, 'the subtitle is inside the window');
  assert.deepEqual(boxes.covered, [], 'nothing is drawn over the subtitle');
});

test('train: reconstructions and the 2-D latent map change while it trains; the chart is linear', { timeout: 200_000 }, async () => {
  await open('train');
  await page.selectOption('#backend', 'cpu');
  const train = panel('train');
  await train.getByLabel('Epochs').fill('3');
  await train.getByRole('button', { name: 'Train from scratch' }).click();
  await page.waitForSelector('#panel-train[data-state="training"]');
  const samples = train.locator('canvas.samples');
  const draws = () => samples.evaluate((c) => Number(c.dataset.draws ?? 0));
  await page.waitForFunction(() => Number(document.querySelector('#panel-train canvas.samples').dataset.draws ?? 0) >= 1, null, { timeout: 60_000 });
  const first = { draws: await draws(), image: await pixels(samples), state: await train.getAttribute('data-state') };
  await page.waitForFunction((n) => Number(document.querySelector('#panel-train canvas.samples').dataset.draws) > n, first.draws, { timeout: 60_000 });
  const second = { image: await pixels(samples), state: await train.getAttribute('data-state') };
  assert.equal(first.state, 'training', 'the first reconstructions came while training');
  assert.equal(second.state, 'training', 'and the next ones too');
  assert.notDeepEqual(second.image.values, first.image.values, 'the reconstructions changed while it trained');
  assert.equal(await train.locator('figure.live-map').isVisible(), true, 'a 2-D model shows its latent map while it trains');
  assert.ok(spread(await pixels(train.locator('.live-map canvas.scatter'))) > 100, 'held-out codes are scattered');
  assert.equal(await train.getByLabel('log scale').isChecked(), false, 'the loss chart starts on a linear scale');
  // Stop: the readout keeps where it stopped, without a time estimate.
  await train.getByRole('button', { name: 'Stop' }).click();
  await page.waitForSelector('#panel-train[data-state="done"]');
  assert.match(await train.locator('.status').textContent(), /^Stopped after \d+ steps? \(epoch \d, step \d+\): press Resume/);
  assert.doesNotMatch(await train.locator('.readout').textContent(), /left/, 'no stale “s left” after Stop');
});

test('train: Resume goes on counting steps and epochs, its progress bar goes on from where it was, and it ends at the epochs asked for', { timeout: 200_000 }, async () => {
  const train = panel('train');
  const readout = train.locator('.readout');
  const stoppedAt = Number(await readout.getAttribute('data-step'));
  const bar = await train.locator('progress').evaluate((p) => p.value);
  assert.ok(stoppedAt > 0 && bar > 0);
  await train.getByRole('button', { name: 'Resume' }).click();
  await page.waitForFunction((s) => Number(document.querySelector('#panel-train .readout').dataset.step) > s + 2, stoppedAt, { timeout: 60_000 });
  assert.equal(Number(await readout.getAttribute('data-first-step')), stoppedAt + 1, 'the first step of Resume is the next step');
  const { text, done } = await readout.evaluate((r) => ({ text: r.textContent, done: Number(r.dataset.step) }));
  const [, epoch, step, perEpoch] = text.match(/^epoch (\d+)\/3 · step (\d+)\/(\d+)/).map(Number);
  assert.equal((epoch - 1) * perEpoch + step, done, `the readout counts the model's steps: ${text}`);
  assert.ok(await train.locator('progress').evaluate((p) => p.value) > bar, 'the bar goes on from where it was');
  // It runs to the end of its 3 epochs (189 steps in all), and says so.
  await page.waitForSelector('#panel-train[data-state="done"]', { timeout: 120_000 });
  assert.equal(await train.locator('.status').textContent(), `Done: ${189 - stoppedAt} steps.`);
  assert.match(await readout.textContent(), /^epoch 3\/3 · step 63\/63 · loss/);
  assert.doesNotMatch(await readout.textContent(), /left/);
  assert.equal(await train.locator('progress').evaluate((p) => p.value), 1);
  await shoot('train');
});

test('inpaint: a painted stroke scores better than leaving it black', { timeout: 120_000 }, async () => {
  await open('inpaint');
  await settled('inpaint');
  const canvas = panel('inpaint').locator('canvas.paintable');
  await canvas.scrollIntoViewIfNeeded();
  const box = await canvas.boundingBox();
  // Strokes across the default digit (a 7): across its middle, and down its stem.
  for (const [from, to] of [[[0.3, 0.5], [0.7, 0.5]], [[0.6, 0.45], [0.55, 0.85]]]) {
    await page.mouse.move(box.x + box.width * from[0], box.y + box.height * from[1]);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * to[0], box.y + box.height * to[1], { steps: 12 });
    await page.mouse.up();
    await page.waitForTimeout(200);
    await settled('inpaint');
    const readout = panel('inpaint').locator('.readout');
    const [filled, black] = [Number(await readout.getAttribute('data-hidden-psnr')), Number(await readout.getAttribute('data-black-psnr'))];
    assert.ok(filled > black, `inpainted ${filled} dB vs black ${black} dB`);
  }
  await shoot('inpaint');
});

test('denoise: drawn at its size on both screens', { timeout: 120_000 }, async () => {
  await open('denoise');
  await settled('denoise');
  await shoot('denoise');
});

test('interpolate: its two ends show the chosen held-out digits, not black pads', { timeout: 120_000 }, async () => {
  await open('interpolate');
  await settled('interpolate');
  const pads = panel('interpolate').locator('canvas.sketch');
  for (const [k, index] of [[0, 230], [1, 1850]]) {
    const shown = await pixels(pads.nth(k));
    const digit = Array.from(mnist.test.pixels.subarray(index * 784, (index + 1) * 784));
    assert.deepEqual(shown.values, digit, `end ${k} shows held-out digit ${index}`);
  }
  assert.match(await panel('interpolate').locator('figure.pad figcaption').first().textContent(), /^start: a held-out 1 \(no\. 230\)/);
  // Another digit is put on its pad.
  await panel('interpolate').getByLabel('To digit').fill('7');
  await panel('interpolate').getByLabel('To digit').dispatchEvent('change');
  await settled('interpolate');
  const seven = Array.from(mnist.test.pixels.subarray(7 * 784, 8 * 784));
  assert.deepEqual((await pixels(pads.nth(1))).values, seven);
  await shoot('interpolate');
});

test('sample: drawn at its size on both screens', { timeout: 120_000 }, async () => {
  await open('sample');
  await settled('sample');
  await shoot('sample');
});

/** A 100 x 50 picture of a dark "3" on white paper, as a phone photo of a written digit. */
function darkThree() {
  const arc = (x, y, cx, cy, r, from, to) => {
    const angle = (Math.atan2(y - cy, x - cx) * 180) / Math.PI;
    return Math.abs(Math.hypot(x - cx, y - cy) - r) < 2.6 && angle >= from && angle <= to;
  };
  return grayPng(100, 50, (x, y) => (arc(x, y, 50, 16, 9, -165, 90) || arc(x, y, 50, 33, 10, -90, 165) ? 25 : 245));
}

test('your images: a dark-on-light, wide picture of a 3 becomes a light 3 on black, digit-sized and centred', { timeout: 200_000 }, async () => {
  await open('images');
  const ring = png(56, (x, y) => (Math.abs(Math.hypot(x - 28, y - 28) - 16) < 4 ? 20 : 240));
  await panel('images').getByLabel('Image files', { exact: true }).setInputFiles([
    { name: 'three.png', mimeType: 'image/png', buffer: darkThree() },
    { name: 'ring.png', mimeType: 'image/png', buffer: ring },
  ]);
  await page.waitForSelector('#panel-images[data-state="loaded"]');
  const preview = await panel('images').locator('canvas.previews').first().evaluate((c) => {
    const { data } = c.getContext('2d').getImageData(0, 0, 28, 28);
    return Array.from({ length: 784 }, (_, i) => data[i * 4]);
  });
  const at = (x, y) => preview[y * 28 + x];
  const ink = [];
  for (let y = 0; y < 28; y++) for (let x = 0; x < 28; x++) if (at(x, y) > 64) ink.push([x, y]);
  const [xs, ys] = [ink.map((p) => p[0]), ink.map((p) => p[1])];
  const [width, height] = [Math.max(...xs) - Math.min(...xs) + 1, Math.max(...ys) - Math.min(...ys) + 1];
  const mean = preview.reduce((s, v) => s + v, 0) / 784 / 255;
  const [cx, cy] = [xs.reduce((s, v) => s + v, 0) / xs.length, ys.reduce((s, v) => s + v, 0) / ys.length];
  const picture = preview.map((v, i) => (i % 28 === 27 ? `${v > 64 ? '#' : '.'}\n` : v > 64 ? '#' : '.')).join('');
  assert.ok([at(0, 0), at(27, 0), at(0, 27), at(27, 27)].every((v) => v < 10), `the paper became black:\n${picture}`);
  assert.ok(Math.max(...preview) > 200, 'the ink became light');
  assert.ok(mean < 0.3, `mostly black, as MNIST digits are (mean ${mean.toFixed(2)})`);
  assert.ok(height >= 18 && height <= 22, `the 3 is digit-sized: ${height} rows of ink\n${picture}`);
  assert.ok(width < height, `a 3 is taller than wide: ${width} x ${height}\n${picture}`);
  assert.ok(Math.abs(cx - 13.5) < 3 && Math.abs(cy - 13.5) < 3, `centred: centre of ink (${cx.toFixed(1)}, ${cy.toFixed(1)})`);
  // Fine-tune a copy on them, for the screenshot's before and after.
  await panel('images').getByLabel('Epochs').fill('15');
  await panel('images').getByRole('button', { name: 'Fine-tune on these images' }).click();
  await page.waitForSelector('#panel-images[data-state="done"], #panel-images[data-state="error"]', { timeout: 180_000 });
  assert.equal(await panel('images').getAttribute('data-state'), 'done', await panel('images').locator('.status').textContent());
  await shoot('images');
});

test('models: no command line for a web visitor, and a wrong file gets a sentence a student can read', { timeout: 120_000 }, async () => {
  await open('models');
  await page.waitForFunction(() => document.querySelectorAll('#panel-models .model-list li').length >= 4);
  assert.doesNotMatch(await panel('models').textContent(), /cargo|--example/);
  // A picture given as a model file.
  await panel('models').getByLabel('Load a model file').setInputFiles({ name: 'digit.png', mimeType: 'image/png', buffer: darkThree() });
  await page.waitForSelector('#panel-models[data-state="error"]');
  const said = await panel('models').locator('.status').textContent();
  assert.equal(said, 'This file is not a model: it looks like a PNG image. Choose a model file (.ae) saved with “Save to a file”.');
  assert.equal(await panel('models').locator('.status').getAttribute('data-code'), 'CORRUPT_CHECKPOINT');
  // The library's own words stay under "Details".
  assert.match(await panel('models').locator('.status-detail code').textContent(), /^CORRUPT_CHECKPOINT: /);
  // Bytes that are nothing at all.
  await panel('models').getByLabel('Load a model file').setInputFiles({ name: 'junk.ae', mimeType: 'application/octet-stream', buffer: Buffer.from('rat \u0000\u0001 not a model at all') });
  await page.waitForFunction(() => /not a model this page can open/.test(document.querySelector('#panel-models .status').textContent));
  for (const raw of [/format version \d/, /Error \(/, /invalid config/, /\bAEMODEL\b/]) assert.doesNotMatch(await panel('models').locator('.status').textContent(), raw);
  await shoot('models');
});

test('train: a setting out of range is explained in the page’s words', { timeout: 120_000 }, async () => {
  await open('train');
  const train = panel('train');
  await train.getByLabel('Latent size').fill('0');
  await train.getByRole('button', { name: 'Train from scratch' }).click();
  await page.waitForSelector('#panel-train[data-state="error"]');
  assert.equal(await train.locator('.status').textContent(), 'Check the settings: Latent size must be from 1 to 65536 (it is 0).');
  await train.getByLabel('Latent size').fill('2');
  await train.getByLabel('Hidden widths').fill('two hundred');
  await train.getByRole('button', { name: 'Train from scratch' }).click();
  await page.waitForFunction(() => /Hidden widths must be whole numbers/.test(document.querySelector('#panel-train .status').textContent));
  await train.getByLabel('Hidden widths').fill('256');
});

// The teaching demo, panel by panel, in headless Chromium: each renders, its canvases are not
// blank, and its interaction changes the output. A screenshot of each panel goes to test-results/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { startDemo, png, PRETRAINED_COUNT, demoPanels } from './helpers.mjs';

let demo;
let page;

before(async () => {
  demo = await startDemo();
  page = demo.page;
  await page.waitForSelector('body[data-ready="true"]', { timeout: 60_000 });
  mkdirSync('test-results', { recursive: true });
});

after(async () => {
  assert.deepEqual(demo.errors, [], 'no uncaught page errors');
  assert.deepEqual(demo.outside, [], 'no request leaves the local server');
  await demo.close();
});

const { panel, open, settled, pixels } = demoPanels(() => page);

async function screenshot(id) {
  await panel(id).screenshot({ path: `test-results/panel-${id}.png` });
}

/** Drag a stroke across a canvas, from and to fractions of its size. */
async function stroke(locator, from, to) {
  await locator.scrollIntoViewIfNeeded();
  const box = await locator.boundingBox();
  await page.mouse.move(box.x + box.width * from[0], box.y + box.height * from[1]);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * to[0], box.y + box.height * to[1], { steps: 15 });
  await page.mouse.up();
}

const differs = (a, b) => a.values.length !== b.values.length || a.values.some((v, i) => v !== b.values[i]);

test('denoise: the noise slider changes the noisy digit and the denoised PSNR beats the noisy one', { timeout: 120_000 }, async () => {
  await open('denoise');
  await settled('denoise');
  // The clean digit is on the drawing pad; the noisy and denoised ones beside it.
  assert.ok((await pixels(panel('denoise').locator('canvas.sketch'))).spread > 100, 'the clean digit is on the pad');
  const noisy = panel('denoise').locator('figure canvas:not(.sketch)').nth(0);
  for (const i of [0, 1]) assert.ok((await pixels(panel('denoise').locator('figure canvas:not(.sketch)').nth(i))).spread > 100, `canvas ${i} is drawn`);
  const before = await pixels(noisy);
  const previous = await panel('denoise').locator('.readout').getAttribute('data-noisy');
  await panel('denoise').getByLabel('Level').fill('0.6');
  await page.waitForFunction((p) => document.querySelector('#panel-denoise .readout').dataset.noisy !== p, previous);
  await settled('denoise');
  assert.ok(differs(before, await pixels(noisy)), 'the slider changes the noisy canvas');
  const readout = panel('denoise').locator('.readout');
  const [pNoisy, pDenoised] = [Number(await readout.getAttribute('data-noisy')), Number(await readout.getAttribute('data-denoised'))];
  assert.ok(pDenoised > pNoisy + 3, `denoised ${pDenoised} dB should beat noisy ${pNoisy} dB`);
  // Drawing on the clean digit changes it, and the noisy one made from it.
  const picked = await pixels(noisy);
  await stroke(panel('denoise').locator('canvas.sketch'), [0.2, 0.15], [0.8, 0.85]);
  await page.waitForFunction(() => document.querySelector('#panel-denoise figure.pad figcaption').textContent === 'clean: your drawing');
  await page.waitForTimeout(300);
  await settled('denoise');
  assert.ok(differs(picked, await pixels(noisy)), 'the drawing changes the digit that is corrupted');
  await screenshot('denoise');
});

test('inpaint: painting a mask changes the inpainted digit; a random block is filled better than black', { timeout: 120_000 }, async () => {
  await open('inpaint');
  await settled('inpaint');
  const filled = panel('inpaint').locator('figure canvas:not(.sketch)').nth(1);
  const before = await pixels(filled);
  assert.ok(before.spread > 100, 'the digit is drawn');
  await panel('inpaint').locator('canvas.paintable').scrollIntoViewIfNeeded();
  const box = await panel('inpaint').locator('canvas.paintable').boundingBox();
  await page.mouse.move(box.x + box.width * 0.3, box.y + box.height * 0.5);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * 0.7, box.y + box.height * 0.5, { steps: 12 });
  await page.mouse.up();
  await page.waitForFunction(() => document.querySelector('#panel-inpaint .readout').dataset.hiddenPsnr);
  await settled('inpaint');
  assert.ok(differs(before, await pixels(filled)), 'drawing a mask changes the inpainted canvas');
  // A hand-painted stroke across the digit is filled better than leaving it black (it scored
  // 8.14 vs 8.27 dB when the inpainter was run for 10 passes; its best is one).
  const strokeDb = Number(await panel('inpaint').locator('.readout').getAttribute('data-hidden-psnr'));
  const strokeBlackDb = Number(await panel('inpaint').locator('.readout').getAttribute('data-black-psnr'));
  assert.ok(strokeDb > strokeBlackDb, `a painted stroke: inpainted ${strokeDb} dB vs black ${strokeBlackDb} dB`);
  assert.equal(await panel('inpaint').getByLabel('Passes').inputValue(), '1', 'the inpainter starts at one pass');
  await panel('inpaint').getByRole('button', { name: 'Clear mask' }).click();
  await panel('inpaint').getByRole('button', { name: 'Random block' }).click();
  await page.waitForFunction(() => document.querySelector('#panel-inpaint .readout').dataset.hiddenPsnr);
  await settled('inpaint');
  const text = await panel('inpaint').locator('.readout').textContent();
  const [filledDb, blackDb] = text.match(/-?[\d.]+(?= dB)/g).map(Number);
  assert.ok(filledDb > blackDb, `inpainted ${filledDb} dB vs black ${blackDb} dB`);
  await screenshot('inpaint');
});

test('interpolate: the strip is drawn and scrubbing changes the frame', { timeout: 120_000 }, async () => {
  await open('interpolate');
  await settled('interpolate');
  assert.ok((await pixels(panel('interpolate').locator('canvas.strip'))).spread > 100);
  const frame = panel('interpolate').locator('.scrubber figure canvas');
  const first = await pixels(frame);
  await panel('interpolate').getByLabel('Scrub').fill('9');
  await page.waitForFunction(() => [...document.querySelectorAll('#panel-interpolate figcaption')].some((c) => c.textContent.startsWith('step 9')));
  assert.ok(differs(first, await pixels(frame)), 'scrubbing changes the frame');
  const strip = await pixels(panel('interpolate').locator('canvas.strip'));
  await stroke(panel('interpolate').locator('canvas.sketch').first(), [0.3, 0.3], [0.7, 0.7]);
  await page.waitForTimeout(300);
  await settled('interpolate');
  const drawnStart = await pixels(panel('interpolate').locator('canvas.strip'));
  assert.ok(differs(strip, drawnStart), 'a drawn start digit changes the path');
  await stroke(panel('interpolate').locator('canvas.sketch').last(), [0.5, 0.1], [0.5, 0.9]);
  await page.waitForTimeout(300);
  await settled('interpolate');
  assert.ok(differs(drawnStart, await pixels(panel('interpolate').locator('canvas.strip'))), 'a drawn end digit changes the path');
  await screenshot('interpolate');
});

test('sample: re-rolling changes the grid; the 2-D latent map is drawn and a click decodes a point', { timeout: 120_000 }, async () => {
  await open('sample');
  await settled('sample');
  const grid = panel('sample').locator('canvas.grid');
  const first = await pixels(grid);
  assert.ok(first.spread > 100, 'samples are drawn');
  await panel('sample').getByRole('button', { name: 'Re-roll' }).click();
  await page.waitForFunction(() => document.querySelector('#panel-sample input[type=number]').value === '2');
  await settled('sample');
  assert.ok(differs(first, await pixels(grid)), 're-rolling changes the grid');
  assert.ok((await pixels(panel('sample').locator('canvas.latent-map'))).spread > 100, 'the latent map is drawn');
  const scatter = panel('sample').locator('canvas.scatter');
  await scatter.click({ position: { x: 210, y: 210 } });
  await page.waitForFunction(() => /^z = \(0\.9\d, -0\.9\d\)/.test(document.querySelector('#panel-sample .map-section figcaption').textContent));
  assert.ok((await pixels(panel('sample').locator('.map-section figure.picked canvas'))).spread > 50, 'the clicked point is decoded');
  await screenshot('sample');
});

test('your images: an uploaded PNG is resized, and fine-tuning changes its reconstruction and lowers its loss', { timeout: 180_000 }, async () => {
  await open('images');
  // A dark ring on white paper, 56x56: resized to 28x28 and inverted to MNIST's light-on-dark.
  const ring = png(56, (x, y) => (Math.abs(Math.hypot(x - 28, y - 28) - 16) < 4 ? 20 : 240));
  const cross = png(56, (x, y) => (Math.abs(x - y) < 4 || Math.abs(x + y - 56) < 4 ? 20 : 240));
  await panel('images').getByLabel('Image files', { exact: true }).setInputFiles([
    { name: 'ring.png', mimeType: 'image/png', buffer: ring },
    { name: 'cross.png', mimeType: 'image/png', buffer: cross },
  ]);
  await page.waitForSelector('#panel-images[data-state="loaded"]');
  assert.ok((await pixels(panel('images').locator('canvas.previews').first())).spread > 100, 'previews are drawn');
  await panel('images').getByLabel('Epochs').fill('40');
  await panel('images').getByRole('button', { name: 'Fine-tune on these images' }).click();
  await page.waitForSelector('#panel-images[data-state="done"], #panel-images[data-state="error"]', { timeout: 170_000 });
  await settled('images');
  const readout = panel('images').locator('.readout');
  const [before, after] = [Number(await readout.getAttribute('data-before')), Number(await readout.getAttribute('data-after'))];
  assert.ok(after < before * 0.7, `fine-tuning lowers the reconstruction error: ${before} -> ${after}`);
  const [b, a] = [await pixels(panel('images').locator('canvas.previews').nth(1)), await pixels(panel('images').locator('canvas.previews').nth(2))];
  assert.ok(differs(b, a), 'the reconstruction changes');
  await screenshot('images');
});

async function trainFromScratch(backend, steps) {
  await open('train');
  await panel('train').getByLabel('Kind').selectOption('variational');
  await page.selectOption('#backend', backend);
  await panel('train').getByLabel('Epochs').fill('1');
  await panel('train').getByLabel('Stop after steps').fill(String(steps));
  await panel('train').getByRole('button', { name: 'Train from scratch' }).click();
  await page.waitForSelector('#panel-train[data-state="done"], #panel-train[data-state="error"]', { timeout: 280_000 });
  await settled('train');
  assert.match(await panel('train').locator('.backend-used').textContent(), backend === 'cpu' ? /CPU/ : /WebGPU/);
  assert.match(await panel('train').locator('.readout').textContent(), new RegExp(`step ${steps}/`));
  assert.ok((await pixels(panel('train').locator('canvas.samples'))).spread > 100, 'reconstructions are drawn');
}

test('train: from scratch on the CPU backend, stop and resume, and the trained model reaches the other panels', { timeout: 300_000 }, async () => {
  await trainFromScratch('cpu', 40);
  const chart = await pixels(panel('train').locator('canvas.chart'));
  assert.ok(chart.spread > 100, 'the loss chart is drawn');
  // Stop a long run, then resume it.
  await panel('train').getByLabel('Stop after steps').fill('');
  await panel('train').getByLabel('Epochs').fill('50');
  await panel('train').getByRole('button', { name: 'Resume' }).click();
  await page.waitForSelector('#panel-train[data-state="training"]');
  // Resume goes on counting from step 40.
  await page.waitForFunction(() => Number(document.querySelector('#panel-train .readout').dataset.step) > 42);
  const { text, first, done } = await panel('train').locator('.readout').evaluate((r) => ({ text: r.textContent, first: r.dataset.firstStep, done: Number(r.dataset.step) }));
  assert.equal(first, '41', 'the resumed run starts at step 41');
  const [, epoch, step] = text.match(/^epoch (\d+)\/50 · step (\d+)\/63/).map(Number);
  assert.equal((epoch - 1) * 63 + step, done, text);
  await panel('train').getByRole('button', { name: 'Stop' }).click();
  await page.waitForSelector('#panel-train[data-state="done"]');
  assert.match(await panel('train').locator('.status').textContent(), /Stopped after \d+ steps \(epoch \d+, step \d+\)/);
  assert.doesNotMatch(await panel('train').locator('.readout').textContent(), /s left/, 'no time left is shown once stopped');
  await screenshot('train');
  // The trained model is offered to the other panels.
  await open('sample');
  await panel('sample').getByLabel('Model').selectOption('trained');
  await settled('sample');
  assert.ok((await pixels(panel('sample').locator('canvas.grid'))).spread > 50);
});

test('train: from scratch on WebGPU (SwiftShader here, so only a few steps)', { timeout: 300_000 }, async () => {
  await trainFromScratch('webgpu', 4);
});

// After training on both backends: switching backends must not leave a panel waiting on a
// disposed model's worker.
test('the panels run the pretrained models on WebGPU too', { timeout: 300_000 }, async () => {
  await page.selectOption('#backend', 'webgpu');
  const onWebgpu = async (id) => {
    try {
      await page.waitForFunction((id) => /running on WebGPU/.test(document.querySelector(`#panel-${id} .status`).textContent), id, { timeout: 120_000 });
    } catch (error) {
      await page.screenshot({ path: `test-results/failed-webgpu-${id}.png`, fullPage: true });
      throw new Error(`${id} did not run on WebGPU; its status: ${await panel(id).locator('.status').textContent()}`);
    }
  };
  await open('sample');
  await panel('sample').getByLabel('Model').selectOption('vae-2d');
  await onWebgpu('sample');
  await settled('sample', 280_000);
  assert.ok((await pixels(panel('sample').locator('canvas.grid'))).spread > 100, 'samples decoded on WebGPU');
  assert.ok((await pixels(panel('sample').locator('canvas.latent-map'))).spread > 100, 'latent map decoded on WebGPU');
  assert.match(await panel('sample').locator('.status').textContent(), /running on WebGPU/);
  await open('denoise');
  await panel('denoise').getByLabel('Model').selectOption('denoiser');
  await onWebgpu('denoise');
  await settled('denoise', 280_000);
  const readout = panel('denoise').locator('.readout');
  assert.ok(Number(await readout.getAttribute('data-denoised')) > Number(await readout.getAttribute('data-noisy')));
  assert.match(await panel('denoise').locator('.status').textContent(), /running on WebGPU/);
  await page.selectOption('#backend', 'cpu');
});

test('models: pretrained models are listed; a model saves to a file and loads back', { timeout: 120_000 }, async () => {
  await open('models');
  await page.waitForFunction((n) => document.querySelectorAll('#panel-models .model-list li').length === n, PRETRAINED_COUNT);
  await panel('models').getByLabel('Model', { exact: true }).selectOption('vae-2d');
  const [download] = await Promise.all([page.waitForEvent('download'), panel('models').getByRole('button', { name: 'Save to a file' }).click()]);
  const path = await download.path();
  await panel('models').getByLabel('Load a model file').setInputFiles(path);
  await page.waitForSelector('#panel-models[data-state="loaded"]');
  assert.match(await panel('models').locator('.status').textContent(), /variational autoencoder/);
  await screenshot('models');
});

test('every panel is reachable with the keyboard', async () => {
  await page.focus('#tab-train');
  for (const id of ['denoise', 'inpaint', 'segment', 'interpolate', 'sample', 'images', 'models']) {
    await page.keyboard.press('ArrowRight');
    assert.equal(await page.evaluate(() => document.activeElement.id), `tab-${id}`);
    assert.equal(await page.isVisible(`#panel-${id}`), true);
  }
});

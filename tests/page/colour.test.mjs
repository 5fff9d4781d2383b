// Colour in the demo, in headless Chromium on the CPU: the pretrained colour emoji VAE samples,
// interpolates between held-out emoji and fills a hidden block of one in colour; "Your images"
// fine-tunes it in colour on dropped colour PNGs (their reconstruction error falls); each panel
// offers only the models that fit it; the emoji artwork's attribution is shown with it.
// Screenshots in test-results/screenshots/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { demoSession, SHOTS } from './helpers.mjs';
import { parseEmoji } from '../../www/emoji.js';

const require = createRequire(import.meta.url);
const emojiPngs = join(dirname(require.resolve('emoji-datasource-google/package.json')), 'img', 'google', '64');
const heldOut = parseEmoji(new Uint8Array(readFileSync(new URL('../../data/emoji-heldout.bin', import.meta.url))));
let page;
const { panel, open, settled } = demoSession({ backend: 'cpu', onPage: (p) => { page = p; } });

/**
 * How colourful a canvas is: the share of its pixels whose channels differ by more than 40 (a gray
 * picture has none), and its size.
 */
function colourOf(locator) {
  return locator.evaluate((canvas) => {
    const { data } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
    let coloured = 0;
    for (let i = 0; i < data.length; i += 4) {
      if (Math.max(data[i], data[i + 1], data[i + 2]) - Math.min(data[i], data[i + 1], data[i + 2]) > 40) coloured++;
    }
    return { width: canvas.width, height: canvas.height, share: coloured / (data.length / 4), channels: canvas.dataset.channels };
  });
}

/** RGBA of tile `k` (a `side x side` square) of a strip canvas, as an array. */
function tile(locator, k, side = 32) {
  return locator.evaluate((canvas, [k, side]) => Array.from(canvas.getContext('2d').getImageData(k * side, 0, side, side).data), [k, side]);
}

const distance = (a, b) => Math.sqrt(a.reduce((s, v, i) => s + (v - b[i]) ** 2, 0) / a.length);
const options = (id) => panel(id).getByLabel('Model', { exact: true }).evaluate((s) => [...s.options].map((o) => o.value));

test('each panel offers the models that fit it: emoji-vae in Inpaint, Sample, Interpolate and colour "Your images", not in Denoise; the segmenter in none of them', { timeout: 120_000 }, async () => {
  await open('denoise');
  await settled('denoise');
  const list = await options('denoise');
  assert.ok(!list.includes('emoji-vae') && !list.includes('segmenter') && list.includes('denoiser'), `denoise: ${list}`);
  for (const id of ['inpaint', 'sample', 'interpolate']) {
    await open(id);
    await settled(id);
    const list = await options(id);
    assert.ok(list.includes('emoji-vae') && list.includes('vae-2d') && !list.includes('segmenter'), `${id}: ${list}`);
  }
});

test('sample: the emoji VAE draws 64 new emoji in colour, with the artwork credited', { timeout: 180_000 }, async () => {
  await open('sample');
  const sample = panel('sample');
  const credit = sample.locator('.credit');
  assert.equal(await credit.isVisible(), false, 'no emoji credit beside digits');
  await sample.getByLabel('Model', { exact: true }).selectOption('emoji-vae');
  await page.waitForFunction(() => document.querySelector('#panel-sample canvas.grid').dataset.channels === '3', null, { timeout: 120_000 });
  await settled('sample');
  const grid = await colourOf(sample.locator('canvas.grid'));
  assert.deepEqual([grid.width, grid.height], [256, 256], '8 x 8 emoji of 32 x 32');
  assert.ok(grid.share > 0.25, `the samples are in colour: ${(grid.share * 100).toFixed(1)} % of pixels coloured`);
  assert.match(await sample.locator('figcaption').first().textContent(), /new emoji/);
  assert.ok(await credit.isVisible());
  assert.match(await credit.textContent(), /Noto Emoji by Google, under the Apache License 2\.0/);
  assert.equal(await sample.locator('.map-section').isVisible(), false, 'no digit latent map for the emoji model');
  const first = await sample.locator('canvas.grid').evaluate((c) => c.toDataURL());
  await sample.getByRole('button', { name: 'Re-roll' }).click();
  await page.waitForFunction((before) => document.querySelector('#panel-sample canvas.grid').toDataURL() !== before, first, { timeout: 60_000 });
  await page.screenshot({ path: `${SHOTS}/sample-emoji-1366.png` });
  // Back to digits: gray again, the credit gone.
  await sample.getByLabel('Model', { exact: true }).selectOption('vae-2d');
  await page.waitForFunction(() => document.querySelector('#panel-sample canvas.grid').dataset.channels === '1', null, { timeout: 60_000 });
  assert.ok((await colourOf(sample.locator('canvas.grid'))).share === 0);
  assert.equal(await credit.isVisible(), false);
});

test('interpolate: between two held-out emoji in colour; its ends are the chosen emoji and the path morphs from one to the other', { timeout: 180_000 }, async () => {
  await open('interpolate');
  const interpolate = panel('interpolate');
  await interpolate.getByLabel('Model', { exact: true }).selectOption('emoji-vae');
  await page.waitForFunction(() => document.querySelector('#panel-interpolate canvas.strip').dataset.channels === '3', null, { timeout: 120_000 });
  await settled('interpolate');
  const strip = interpolate.locator('canvas.strip');
  const shown = await colourOf(strip);
  assert.deepEqual([shown.width, shown.height], [320, 32], 'ten steps of 32 x 32');
  assert.ok(shown.share > 0.25, `the path is in colour: ${(shown.share * 100).toFixed(1)} %`);
  assert.equal(await interpolate.getByLabel('From digit').isVisible(), false, 'the digit pickers give way to emoji lists');
  const [from, to] = [interpolate.getByLabel('From emoji'), interpolate.getByLabel('To emoji')];
  assert.match(await from.evaluate((s) => s.selectedOptions[0].textContent), /smiling face with heart-shaped eyes/);
  assert.match(await to.evaluate((s) => s.selectedOptions[0].textContent), /cat face with wry smile/);
  assert.equal(await interpolate.locator('canvas.sketch').first().isVisible(), false, 'no digit drawing pads for the emoji model');
  assert.equal(await from.evaluate((s) => s.options.length), heldOut.count, 'every held-out emoji can be chosen');
  // The start end shows the chosen emoji itself (as the asset holds it).
  const index = Number(await from.inputValue());
  const end = await interpolate.locator('canvas.emoji-end').first().evaluate((c) => Array.from(c.getContext('2d').getImageData(0, 0, 32, 32).data));
  const expected = heldOut.image(index);
  const error = end.reduce((s, v, i) => (i % 4 === 3 ? s : s + Math.abs(v - Math.round(expected[(i % 4) * 1024 + Math.floor(i / 4)] * 255))), 0);
  assert.equal(error, 0, 'the start end is the chosen held-out emoji');
  assert.match(await interpolate.locator('.emoji-end + figcaption, figure:has(canvas.emoji-end) figcaption').first().textContent(), /start: smiling face with heart-shaped eyes \(held out\)/);
  // The path: its two ends differ, and its middle step is neither of them.
  const steps = await Promise.all([0, 4, 9].map((k) => tile(strip, k)));
  assert.ok(distance(steps[0], steps[2]) > 20, `the ends of the path differ: ${distance(steps[0], steps[2]).toFixed(1)}`);
  assert.ok(distance(steps[0], steps[1]) > 5 && distance(steps[1], steps[2]) > 5, 'the middle is between them, not a copy of an end');
  // Another end: the path is drawn again.
  const before = await strip.evaluate((c) => c.toDataURL());
  await to.selectOption({ index: heldOut.find('shocked face') });
  await page.waitForFunction((b) => document.querySelector('#panel-interpolate canvas.strip').toDataURL() !== b, before, { timeout: 60_000 });
  assert.ok(await interpolate.locator('.credit').isVisible(), 'the artwork is credited');
  await page.screenshot({ path: `${SHOTS}/interpolate-emoji-1366.png` });
  await page.setViewportSize({ width: 390, height: 844 });
  const wide = await page.evaluate(() => document.documentElement.scrollWidth);
  await page.screenshot({ path: `${SHOTS}/interpolate-emoji-390.png`, fullPage: true });
  await page.setViewportSize({ width: 1366, height: 900 });
  assert.ok(wide <= 390, `the page is ${wide} px wide on a 390 px phone`);
  // Scrubbing shows one step in colour.
  await interpolate.getByLabel('Scrub').fill('5');
  assert.ok((await colourOf(interpolate.locator('.scrubber canvas'))).share > 0.2);
});

test('inpaint: a hidden block of a held-out emoji is filled in colour, better than leaving it black', { timeout: 180_000 }, async () => {
  await open('inpaint');
  const inpaint = panel('inpaint');
  await inpaint.getByLabel('Model', { exact: true }).selectOption('emoji-vae');
  await page.waitForFunction(() => [...document.querySelectorAll('#panel-inpaint canvas')].some((c) => c.dataset.channels === '3'), null, { timeout: 120_000 });
  await settled('inpaint');
  assert.equal(await inpaint.getByLabel('Digit').isVisible(), false, 'the digit picker gives way to an emoji list');
  assert.match(await inpaint.getByLabel('Emoji').evaluate((s) => s.selectedOptions[0].textContent), /smiling face with heart-shaped eyes/);
  assert.ok(await inpaint.locator('.credit').isVisible(), 'the artwork is credited');
  const readout = inpaint.locator('.readout');
  for (let k = 0; k < 3; k++) {
    await inpaint.getByRole('button', { name: 'Random block' }).click();
    await page.waitForFunction(() => document.querySelector('#panel-inpaint .readout').dataset.hiddenPsnr, null, { timeout: 60_000 });
    await settled('inpaint');
  }
  const [filled, black] = [Number(await readout.getAttribute('data-hidden-psnr')), Number(await readout.getAttribute('data-black-psnr'))];
  assert.ok(filled > black + 3, `the hidden block is filled: ${filled.toFixed(2)} dB vs ${black.toFixed(2)} dB left black`);
  const canvases = inpaint.locator('figure canvas');
  const painted = await colourOf(canvases.nth(0));
  assert.deepEqual([painted.width, painted.height], [32, 32]);
  assert.ok((await colourOf(canvases.nth(1))).share > 0.3, 'the inpainted emoji is in colour');
  await page.screenshot({ path: `${SHOTS}/inpaint-emoji-1366.png` });
  // Back to a digit model: a digit again, with no mask carried over from the emoji.
  await inpaint.getByLabel('Model', { exact: true }).selectOption('inpainter');
  await page.waitForFunction(() => document.querySelector('#panel-inpaint figure canvas').width === 28, null, { timeout: 60_000 });
  await settled('inpaint');
  assert.match(await readout.textContent(), /Paint over the digit/);
  assert.equal((await colourOf(canvases.nth(1))).share, 0);
});

test('your images in colour: a dropped colour PNG is prepared in colour, and fine-tuning a copy of the emoji VAE on it lowers its reconstruction error', { timeout: 300_000 }, async () => {
  await open('images');
  const images = panel('images');
  await images.getByLabel('Images in').selectOption('colour');
  assert.equal(await images.getByLabel('Model', { exact: true }).inputValue(), 'emoji-vae');
  assert.deepEqual(await options('images'), ['emoji-vae'], 'only colour models are offered for colour images');
  assert.ok(await images.getByLabel('Invert dark-on-light').isDisabled(), 'inverting is for gray digits');
  // Real colour pictures: two 64 x 64 emoji PNGs with transparency (an avocado and a rocket).
  const file = (name) => ({ name, mimeType: 'image/png', buffer: readFileSync(join(emojiPngs, name)) });
  await images.getByLabel('Image files', { exact: true }).setInputFiles([file('1f951.png'), file('1f680.png')]);
  await page.waitForFunction(() => /2 images ready/.test(document.querySelector('#panel-images .status').textContent), null, { timeout: 60_000 });
  const previews = await colourOf(images.locator('canvas.previews').first());
  assert.deepEqual([previews.width, previews.height, previews.channels], [64, 32, '3']);
  assert.ok(previews.share > 0.2, `the previews are in colour: ${(previews.share * 100).toFixed(1)} %`);
  assert.match(await images.locator('figcaption').first().textContent(), /32 × 32 colour/);
  await images.getByLabel('Epochs').fill('40');
  await images.getByRole('button', { name: 'Fine-tune on these images' }).click();
  await page.waitForFunction(() => ['done', 'error'].includes(document.querySelector('#panel-images').dataset.state), null, { timeout: 240_000 });
  assert.match(await images.locator('.status').textContent(), /Fine-tuned a copy of emoji-vae/);
  const readout = images.locator('.readout');
  const [before, after] = [Number(await readout.getAttribute('data-before')), Number(await readout.getAttribute('data-after'))];
  assert.ok(after < before * 0.8, `fine-tuning lowers the reconstruction error: ${before} -> ${after}`);
  for (const k of [1, 2]) {
    const shown = await colourOf(images.locator('canvas.previews').nth(k));
    assert.ok(shown.share > 0.2, `reconstructions ${k} in colour: ${(shown.share * 100).toFixed(1)} %`);
  }
  await page.screenshot({ path: `${SHOTS}/images-colour-1366.png` });
  // The fine-tuned colour copy is offered where colour fits, not in Denoise.
  await open('sample');
  await settled('sample');
  assert.ok((await options('sample')).includes('tuned'));
  await open('denoise');
  await settled('denoise');
  assert.ok(!(await options('denoise')).includes('tuned'));
});

// "Your images" against hostile input: a non-image file, a 0-byte file, a damaged PNG, a real
// 10,000 x 10,000 PNG and 500 images at once each get a clear message in the panel, the good files
// beside them are kept, and afterwards the panel still takes images and fine-tunes, and the other
// panels still work. Every file is generated here.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDemo, png, blackPng } from './helpers.mjs';

let demo;
let page;

before(async () => {
  demo = await startDemo();
  page = demo.page;
  await page.waitForSelector('body[data-ready="true"]', { timeout: 60_000 });
  await page.click('#tab-images');
  await page.waitForSelector('#panel-images:not([hidden])');
});

after(async () => {
  assert.deepEqual(demo.errors, [], 'no uncaught page errors');
  assert.deepEqual(demo.outside, [], 'no request leaves the local server');
  await demo.close();
});

const panel = () => page.locator('#panel-images');
const statusText = () => panel().locator('.status').textContent();
const problems = () => panel().locator('ul.problems li').allTextContents();
const ring = png(56, (x, y) => (Math.abs(Math.hypot(x - 28, y - 28) - 16) < 4 ? 20 : 240));
const cross = png(56, (x, y) => (Math.abs(x - y) < 4 || Math.abs(x + y - 56) < 4 ? 20 : 240));

/** Set files on the panel's file input and wait until it has read them all. */
async function choose(files) {
  const started = Date.now();
  await page.evaluate(() => { document.querySelector('#panel-images').dataset.state = 'waiting'; });
  await panel().getByLabel('Image files', { exact: true }).setInputFiles(files);
  await page.waitForFunction(() => ['loaded', 'rejected', 'error'].includes(document.querySelector('#panel-images').dataset.state), null, { timeout: 60_000 });
  return { state: await panel().getAttribute('data-state'), text: await statusText(), ms: Date.now() - started };
}

async function clear() {
  await panel().getByRole('button', { name: 'Clear images' }).click();
  await page.waitForSelector('#panel-images[data-state="empty"]');
}

/** Rows x columns of the preview grid, in images of 28 x 28. */
const previewGrid = () => panel().locator('canvas.previews').first().evaluate((c) => [c.height / 28, c.width / 28]);

test('a non-image file, a 0-byte file and a damaged PNG are refused, each with its reason', async () => {
  const { state, text } = await choose([
    { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('not a picture\n') },
    { name: 'empty.png', mimeType: 'image/png', buffer: Buffer.alloc(0) },
    { name: 'damaged.png', mimeType: 'image/png', buffer: ring.subarray(0, 60) },
  ]);
  assert.equal(state, 'rejected', text);
  assert.match(text, /No image added\. Skipped 3 files/);
  const listed = await problems();
  assert.deepEqual(listed.length, 3, listed.join('\n'));
  assert.match(listed[0], /^notes\.txt: not an image \(text\/plain\)$/);
  assert.match(listed[1], /^empty\.png: empty file \(0 bytes\)$/);
  assert.match(listed[2], /^damaged\.png: a damaged or unsupported PNG file: the browser could not decode it$/);
  assert.equal(await panel().getByRole('button', { name: 'Fine-tune on these images' }).isDisabled(), true, 'nothing to fine-tune on');
});

test('a file dropped on the drop zone is checked the same way', async () => {
  await page.evaluate(() => { document.querySelector('#panel-images').dataset.state = 'waiting'; });
  await page.evaluate(() => {
    const files = new DataTransfer();
    files.items.add(new File(['%PDF-1.7\n'], 'letter.pdf', { type: 'application/pdf' }));
    document.querySelector('#panel-images .drop').dispatchEvent(new DragEvent('drop', { dataTransfer: files, bubbles: true, cancelable: true }));
  });
  await page.waitForSelector('#panel-images[data-state="rejected"]');
  assert.match(await statusText(), /No image added\. Skipped 1 file: letter\.pdf: not an image \(application\/pdf\)\./);
});

test('a 10,000 x 10,000 PNG is refused from its header, and the good image beside it is kept', { timeout: 120_000 }, async () => {
  const huge = blackPng(10_000, 10_000);
  console.log(`10,000 x 10,000 PNG: ${huge.length} bytes`);
  const { state, text, ms } = await choose([
    { name: 'huge.png', mimeType: 'image/png', buffer: huge },
    { name: 'ring.png', mimeType: 'image/png', buffer: ring },
  ]);
  console.log(`read in ${ms} ms: ${text}`);
  assert.equal(state, 'loaded', text);
  assert.match(text, /^1 image ready\. Skipped 1 file: huge\.png: 10000 × 10000 pixels is too large \(at most 50 megapixels\)\.$/);
  assert.deepEqual(await previewGrid(), [1, 1]);
});

test('500 images at once: the first 100 are kept and the panel says so; a full panel says it is full', { timeout: 120_000 }, async () => {
  await clear();
  const many = Array.from({ length: 500 }, (_, i) => ({
    name: `digit-${String(i).padStart(3, '0')}.png`, mimeType: 'image/png',
    buffer: png(28, (x, y) => ((x * 7 + y * 3 + i) % 23 < 6 ? 230 : 10)),
  }));
  const { state, text, ms } = await choose(many);
  console.log(`500 files read in ${ms} ms: ${text}`);
  assert.equal(state, 'loaded', text);
  assert.equal(text, '100 images ready. Kept the first 100 of 500 files: the panel holds at most 100 images.');
  assert.deepEqual(await previewGrid(), [10, 10]);
  const full = await choose([{ name: 'one-more.png', mimeType: 'image/png', buffer: cross }]);
  assert.equal(full.state, 'rejected');
  assert.match(full.text, /^No image added \(100 still ready\)\. The panel already holds 100 images, its limit/);
});

test('afterwards the panel takes good images and fine-tunes, and another panel still works', { timeout: 240_000 }, async () => {
  await clear();
  // Two small PNGs, and a large one that is shrunk on decoding.
  const bigRing = png(600, (x, y) => (Math.abs(Math.hypot(x - 300, y - 300) - 170) < 40 ? 20 : 240));
  const { state, text } = await choose([
    { name: 'ring.png', mimeType: 'image/png', buffer: ring },
    { name: 'cross.png', mimeType: 'image/png', buffer: cross },
    { name: 'big-ring.png', mimeType: 'image/png', buffer: bigRing },
  ]);
  assert.equal(state, 'loaded', text);
  assert.equal(text, '3 images ready.');
  assert.deepEqual(await problems(), [], 'the earlier problems are no longer listed');
  // A JPEG and a WebP photo-sized picture, encoded by the browser and dropped: their headers are
  // read for their size, and they are kept.
  await page.evaluate(() => { document.querySelector('#panel-images').dataset.state = 'waiting'; });
  await page.evaluate(async () => {
    const canvas = new OffscreenCanvas(1600, 1200);
    const g = canvas.getContext('2d');
    g.fillStyle = 'white'; g.fillRect(0, 0, 1600, 1200);
    g.fillStyle = 'black'; g.fillRect(700, 200, 200, 800);
    const files = new DataTransfer();
    for (const type of ['image/jpeg', 'image/webp']) {
      const blob = await canvas.convertToBlob({ type, quality: 0.9 });
      files.items.add(new File([blob], `bar.${type.slice(6)}`, { type }));
    }
    document.querySelector('#panel-images .drop').dispatchEvent(new DragEvent('drop', { dataTransfer: files, bubbles: true, cancelable: true }));
  });
  await page.waitForFunction(() => ['loaded', 'rejected', 'error'].includes(document.querySelector('#panel-images').dataset.state));
  assert.equal(await statusText(), '5 images ready.');
  // Each preview (28 x 28, light ink on black after the automatic inversion) shows its shape.
  const inks = await panel().locator('canvas.previews').first().evaluate((c) => {
    const g = c.getContext('2d');
    return Array.from({ length: 5 }, (_, i) => {
      const { data } = g.getImageData(i * 28, 0, 28, 28);
      let ink = 0;
      for (let k = 0; k < data.length; k += 4) ink += data[k] > 128 ? 1 : 0;
      return ink;
    });
  });
  assert.ok(inks.every((n) => n > 20 && n < 28 * 28 / 2), `every preview has light ink on black: ${inks}`);
  await panel().getByLabel('Epochs').fill('3');
  await panel().getByRole('button', { name: 'Fine-tune on these images' }).click();
  await page.waitForSelector('#panel-images[data-state="done"], #panel-images[data-state="error"]', { timeout: 200_000 });
  assert.equal(await panel().getAttribute('data-state'), 'done', await statusText());
  assert.match(await panel().locator('.readout').textContent(), /before → .* after/);

  await page.click('#tab-sample');
  await page.waitForFunction(() => {
    const s = document.querySelector('#panel-sample').dataset.state;
    return s && !['starting', 'training', 'busy'].includes(s);
  }, null, { timeout: 120_000 });
  assert.notEqual(await page.locator('#panel-sample').getAttribute('data-state'), 'error', await page.locator('#panel-sample .status').textContent());
  const spread = await page.locator('#panel-sample canvas.grid').evaluate((c) => {
    const { data } = c.getContext('2d').getImageData(0, 0, c.width, c.height);
    let [lo, hi] = [255, 0];
    for (let i = 0; i < data.length; i += 4) { lo = Math.min(lo, data[i]); hi = Math.max(hi, data[i]); }
    return hi - lo;
  });
  assert.ok(spread > 100, 'the sample panel draws digits');
});

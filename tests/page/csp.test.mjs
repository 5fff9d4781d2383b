// The demo under a strict Content-Security-Policy (no inline script or style, no eval, workers and
// everything else only from the page's own origin; WebAssembly allowed): every panel works, no
// violation is reported by the page or its workers, no request leaves 127.0.0.1, and a user's
// image never leaves the page (every request is recorded with its method and body).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openPage, png, PRETRAINED_COUNT, demoPanels } from './helpers.mjs';
import { STRICT_CSP } from '../../scripts/serve.mjs';

const dist = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'dist');

let demo;
let page;
const requests = []; // { method, url, postData } of the page and its workers, in order
const consoleErrors = []; // console errors of the page and of its workers (through CDP's Log domain)
let documentHeaders;

before(async () => {
  demo = await openPage(dist, {
    headers: { 'content-security-policy': STRICT_CSP },
    async beforeGoto(p, context) {
      context.on('request', (r) => requests.push({ method: r.method(), url: r.url(), postData: r.postData() }));
      p.on('response', (r) => { if (r.request().isNavigationRequest()) documentHeaders = r.headers(); });
      p.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(`console: ${m.text()}`); });
      const cdp = await context.newCDPSession(p);
      await cdp.send('Log.enable');
      cdp.on('Log.entryAdded', ({ entry }) => {
        if (entry.level === 'error' || entry.source === 'security' || entry.source === 'violation') consoleErrors.push(`log (${entry.source}): ${entry.text}`);
      });
      // Violations in the document, from the very first byte of the page.
      await p.addInitScript(() => {
        window.cspViolations = [];
        document.addEventListener('securitypolicyviolation', (e) => {
          window.cspViolations.push(`${e.effectiveDirective}: blocked ${e.blockedURI} (${e.sourceFile}:${e.lineNumber})`);
        });
      });
    },
  });
  page = demo.page;
  await page.waitForSelector('body[data-ready="true"]', { timeout: 60_000 });
});

after(async () => {
  await demo?.close();
});

const { panel, open, settled } = demoPanels(() => page);

/** The spread of a canvas's gray values (0 when blank). */
function spread(locator) {
  return locator.evaluate((canvas) => {
    const { data } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
    let [lo, hi] = [255, 0];
    for (let i = 0; i < data.length; i += 4) { lo = Math.min(lo, data[i]); hi = Math.max(hi, data[i]); }
    return hi - lo;
  });
}

test('the page is served with the strict policy', () => {
  assert.equal(documentHeaders?.['content-security-policy'], STRICT_CSP);
});

test('under the policy: pretrained models load, and every panel (Segment too) draws its pixels', { timeout: 300_000 }, async () => {
  await open('models');
  await page.waitForFunction((n) => document.querySelectorAll('#panel-models .model-list li').length === n, PRETRAINED_COUNT);
  for (const [id, canvas] of [
    ['denoise', 'figure canvas:not(.sketch) >> nth=1'],
    ['inpaint', 'figure canvas:not(.sketch) >> nth=1'],
    ['interpolate', 'canvas.strip'],
    ['sample', 'canvas.grid'],
  ]) {
    await open(id);
    await settled(id);
    assert.ok(await spread(panel(id).locator(canvas)) > 100, `${id}: pixels are drawn`);
  }
  assert.ok(await spread(panel('sample').locator('canvas.latent-map')) > 100, 'sample: the latent map is drawn');
  // Segment: the pretrained segmenter's held-out masks and its IoU.
  await open('segment');
  await settled('segment');
  for (const row of ['input', 'predicted', 'overlay']) {
    assert.ok(await spread(panel('segment').locator(`canvas.strip-${row}`)) > 100, `segment: the ${row} row is drawn`);
  }
  assert.match(await panel('segment').locator('.held-readout').textContent(), /^Held-out IoU 0\.\d{3}/);
});

test('under the policy: a short training runs in its worker', { timeout: 300_000 }, async () => {
  await open('train');
  await page.selectOption('#backend', 'cpu');
  await panel('train').getByLabel('Epochs').fill('1');
  await panel('train').getByLabel('Stop after steps').fill('10');
  await panel('train').getByRole('button', { name: 'Train from scratch' }).click();
  await page.waitForSelector('#panel-train[data-state="done"], #panel-train[data-state="error"]', { timeout: 280_000 });
  await settled('train');
  assert.match(await panel('train').locator('.readout').textContent(), /step 10\//);
  assert.ok(await spread(panel('train').locator('canvas.samples')) > 100, 'reconstructions are drawn');
});

test('under the policy: a model saves to a file and loads back', { timeout: 120_000 }, async () => {
  await open('models');
  await panel('models').getByLabel('Model', { exact: true }).selectOption('vae-2d');
  const [download] = await Promise.all([page.waitForEvent('download'), panel('models').getByRole('button', { name: 'Save to a file' }).click()]);
  await panel('models').getByLabel('Load a model file').setInputFiles(await download.path());
  await page.waitForSelector('#panel-models[data-state="loaded"]');
});

test('under the policy: "Your images" takes an image and fine-tunes on it, and the image never leaves the page', { timeout: 240_000 }, async () => {
  await open('images');
  // Distinctive bytes: a ring, and a name to look for in any request.
  const image = png(56, (x, y) => (Math.abs(Math.hypot(x - 28, y - 28) - 16) < 4 ? 20 : 240));
  const name = 'private-photo-7c41.png';
  const uploadedAt = requests.length;
  await panel('images').getByLabel('Image files', { exact: true }).setInputFiles([{ name, mimeType: 'image/png', buffer: image }]);
  await page.waitForSelector('#panel-images[data-state="loaded"]');
  assert.ok(await spread(panel('images').locator('canvas.previews').first()) > 100, 'the preview is drawn');
  await panel('images').getByLabel('Epochs').fill('3');
  await panel('images').getByRole('button', { name: 'Fine-tune on these images' }).click();
  await page.waitForSelector('#panel-images[data-state="done"], #panel-images[data-state="error"]', { timeout: 200_000 });
  await settled('images');
  // The image as the bytes of the file, and as base64 or hex in a URL or body.
  const needles = [name, image.toString('base64').slice(0, 40), image.toString('hex').slice(0, 40), 'IHDR'];
  const after = requests.slice(uploadedAt);
  for (const r of after) {
    assert.equal(r.method, 'GET', `after the upload: ${r.method} ${r.url}`);
    assert.equal(r.postData, null, `after the upload, a request with a body: ${r.url}`);
    for (const needle of needles) assert.ok(!decodeURIComponent(r.url).includes(needle), `the image went out in ${r.url}`);
  }
  console.log(`${after.length} requests after the upload, all GETs of the page's own files: ${[...new Set(after.map((r) => new URL(r.url).pathname))].join(', ') || 'none'}`);
});

test('no violation, no console error, no request off 127.0.0.1, no POST or PUT, in the whole session', async () => {
  const violations = await page.evaluate(() => window.cspViolations);
  console.log(`${requests.length} requests, methods: ${[...new Set(requests.map((r) => r.method))].join(', ')}`);
  assert.deepEqual(violations, [], 'securitypolicyviolation events');
  assert.deepEqual(consoleErrors, [], 'console errors (the page and its workers)');
  assert.deepEqual(demo.errors, [], 'uncaught page errors');
  assert.deepEqual(demo.outside, [], 'requests that leave the local server');
  const origin = new URL(demo.url).origin;
  for (const r of requests) {
    assert.ok(r.url.startsWith(`${origin}/`), `off the page's origin: ${r.url}`);
    assert.ok(!['POST', 'PUT', 'PATCH'].includes(r.method), `${r.method} ${r.url}`);
    assert.equal(r.postData, null, `a request with a body: ${r.url}`);
  }
});

// Last, so it cannot hide anything above: the listeners do see a violation when there is one.
test('the violation listeners work: an inline style attribute is reported', async () => {
  await page.evaluate(() => document.body.append(Object.assign(document.createElement('div'), { innerHTML: '<span style="color: red">x</span>' })));
  await page.waitForFunction(() => window.cspViolations.length > 0);
  assert.match((await page.evaluate(() => window.cspViolations))[0], /^style-src-attr: blocked inline/);
  await page.waitForTimeout(200);
  assert.ok(consoleErrors.some((e) => /Content Security Policy/.test(e)), 'the console reports it too');
});

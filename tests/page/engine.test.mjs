// One engine behind the panels, in headless Chromium: every model shares one worker (per
// backend), a slider drag runs the model once, for its last position ("latest request wins"),
// and fine-tuning on your images trains a copy, leaving the shared pretrained model as it was.
// Every message the page posts to a worker is recorded (Worker.prototype.postMessage is wrapped
// before the page loads), so the tests count the runs themselves, not what the page says.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDemo, png, demoPanels } from './helpers.mjs';

let demo;
let page;
const workers = [];

/** Record every call the page sends to a worker on window.__calls: { method, args }. */
function recordCalls() {
  window.__calls = [];
  const post = Worker.prototype.postMessage;
  Worker.prototype.postMessage = function (message, ...rest) {
    if (message?.method && message.method !== 'abort') {
      // Images and weights are left out: the method and the small arguments are enough.
      const args = (message.args ?? []).map((a) => (ArrayBuffer.isView(a) ? `[${a.length} values]` : a));
      window.__calls.push({ method: message.method, args });
    }
    return post.call(this, message, ...rest);
  };
}

before(async () => {
  demo = await startDemo({
    beforeGoto: async (p) => {
      p.on('worker', (w) => workers.push(w));
      await p.addInitScript(recordCalls);
    },
  });
  page = demo.page;
  await page.waitForSelector('body[data-ready="true"]', { timeout: 60_000 });
});

after(async () => {
  assert.deepEqual(demo.errors, [], 'no uncaught page errors');
  await demo.close();
});

const { panel, open, settled, pixels } = demoPanels(() => page);
const calls = (method) => page.evaluate((m) => window.__calls.filter((c) => c.method === m), method);
const resetCalls = () => page.evaluate(() => { window.__calls.length = 0; });

test('four pretrained models in four panels share one worker (one copy of the module)', { timeout: 240_000 }, async () => {
  await page.selectOption('#backend', 'cpu');
  for (const id of ['denoise', 'inpaint', 'interpolate', 'sample']) {
    await open(id);
    await settled(id);
  }
  const loads = await calls('load');
  assert.equal(loads.length, 4, 'four models were loaded');
  assert.equal(workers.length, 1, `one worker runs them all (${workers.length} started)`);
});

test('a slider drag runs the model once, for its last position', { timeout: 120_000 }, async () => {
  await open('denoise');
  await settled('denoise');
  await resetCalls();
  // Thirty positions in one go, as a fast drag delivers them: one run, for the last.
  const positions = await page.evaluate(() => {
    const level = document.querySelector('#panel-denoise input[type="range"]');
    const seen = [];
    for (let k = 1; k <= 30; k++) {
      level.value = String(Math.min(1, 0.05 * Math.ceil(k * 2 / 3)));
      seen.push(Number(level.value));
      level.dispatchEvent(new Event('input', { bubbles: true }));
    }
    return seen;
  });
  await page.waitForFunction((v) => document.querySelector('#panel-denoise .readout').dataset.level === String(v), positions.at(-1));
  await settled('denoise');
  const [corrupt, denoise] = [await calls('corrupt'), await calls('denoise')];
  assert.equal(corrupt.length, 1, `one run for ${positions.length} input events: ${JSON.stringify(corrupt)}`);
  assert.equal(denoise.length, 1);
  assert.deepEqual(corrupt[0].args[2], { type: 'gaussian', sigma: positions.at(-1) }, 'the run is for the last position');
  assert.equal(await panel('denoise').locator('#noise-level-value').textContent(), positions.at(-1).toFixed(2));
});

test('while a run is working, newer positions replace the waiting one and the stale result is dropped', { timeout: 120_000 }, async () => {
  await resetCalls();
  const last = await page.evaluate(async () => {
    const level = document.querySelector('#panel-denoise input[type="range"]');
    const move = (v) => { level.value = String(v); level.dispatchEvent(new Event('input', { bubbles: true })); };
    move(0.1);
    // Wait until that run has asked the worker for its noisy digit, then drag on.
    while (!window.__calls.some((c) => c.method === 'corrupt')) await new Promise((r) => setTimeout(r, 0));
    for (const v of [0.2, 0.3, 0.45, 0.5, 0.55, 0.6, 0.7, 0.75, 0.8]) move(v);
    return 0.8;
  });
  await page.waitForFunction((v) => document.querySelector('#panel-denoise .readout').dataset.level === String(v), last);
  await settled('denoise');
  const sigmas = (await calls('corrupt')).map((c) => c.args[2].sigma);
  assert.deepEqual(sigmas, [0.1, 0.8], 'the first position, then only the last: the eight between never ran');
  assert.ok((await calls('denoise')).length <= 2);
  assert.equal(await panel('denoise').locator('.readout').getAttribute('data-level'), '0.8', 'what is drawn is the last position');
});

test('a real mouse drag across the slider: never more runs than positions, and the last position runs once and is what is drawn', { timeout: 120_000 }, async () => {
  await resetCalls();
  await page.evaluate(() => {
    window.__inputs = 0;
    document.querySelector('#panel-denoise input[type="range"]').addEventListener('input', () => { window.__inputs++; });
  });
  const level = panel('denoise').getByLabel('Level');
  await level.scrollIntoViewIfNeeded();
  const box = await level.boundingBox();
  await page.mouse.move(box.x + 2, box.y + box.height / 2);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width - 2, box.y + box.height / 2, { steps: 40 });
  await page.mouse.up();
  const final = Number(await level.inputValue());
  await page.waitForFunction((v) => document.querySelector('#panel-denoise .readout').dataset.level === String(v), final);
  await settled('denoise');
  const inputs = await page.evaluate(() => window.__inputs);
  const sigmas = (await calls('corrupt')).map((c) => c.args[2].sigma);
  console.log(`mouse drag: ${inputs} input events, ${sigmas.length} runs (${sigmas.join(', ')})`);
  assert.ok(inputs >= 10, `the drag moved the slider through many positions (${inputs})`);
  assert.ok(sigmas.length <= inputs, 'never more runs than positions');
  assert.equal(sigmas.at(-1), final, 'the last run is for the last position');
  assert.equal(sigmas.filter((s) => s === final).length, 1, 'the last position runs once');
});

test('"Your images" fine-tunes a copy: the shared pretrained model is left as it was', { timeout: 240_000 }, async () => {
  await open('interpolate');
  await settled('interpolate');
  const strip = panel('interpolate').locator('canvas.strip');
  const before = await pixels(strip);
  await open('images');
  const ring = png(56, (x, y) => (Math.abs(Math.hypot(x - 28, y - 28) - 16) < 4 ? 20 : 240));
  await panel('images').getByLabel('Image files', { exact: true }).setInputFiles([{ name: 'ring.png', mimeType: 'image/png', buffer: ring }]);
  await page.waitForSelector('#panel-images[data-state="loaded"]');
  assert.equal(await panel('images').getByLabel('Model', { exact: true }).inputValue(), 'vae-20d');
  await panel('images').getByLabel('Epochs').fill('20');
  await resetCalls();
  await panel('images').getByRole('button', { name: 'Fine-tune on these images' }).click();
  await page.waitForSelector('#panel-images[data-state="done"], #panel-images[data-state="error"]', { timeout: 200_000 });
  assert.equal(await panel('images').getAttribute('data-state'), 'done', await panel('images').locator('.status').textContent());
  assert.match(await panel('images').locator('.status').textContent(), /vae-20d itself is unchanged/);
  // The copy was loaded from vae-20d's bytes and trained; the original was never trained.
  const handles = await page.evaluate(() => window.__calls.filter((c) => c.method === 'train').map((c) => c.args[0]));
  assert.ok(handles.length >= 1 && handles.every((h) => h === handles[0]), 'one model trained');
  assert.equal((await calls('load')).length, 1, 'the copy is a model of its own');
  const readout = panel('images').locator('.readout');
  assert.ok(Number(await readout.getAttribute('data-after')) < Number(await readout.getAttribute('data-before')), 'fine-tuning lowers the error');
  // vae-20d draws the same path as before; the copy is offered in every panel.
  await open('interpolate');
  await page.evaluate(() => document.querySelector('#panel-interpolate select').dispatchEvent(new Event('change')));
  await settled('interpolate');
  assert.deepEqual(await pixels(strip), before, 'the pretrained vae-20d is unchanged');
  const options = await panel('interpolate').getByLabel('Model', { exact: true }).evaluate((s) => [...s.options].map((o) => o.textContent));
  assert.ok(options.includes('your fine-tuned model (vae-20d + your images)'), options.join(', '));
  await panel('interpolate').getByLabel('Model', { exact: true }).selectOption('tuned');
  await settled('interpolate');
  assert.notDeepEqual(await pixels(strip), before, 'the fine-tuned copy draws another path');
  assert.equal(workers.length, 1, 'still one worker');
});

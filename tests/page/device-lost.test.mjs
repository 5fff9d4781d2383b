// A lost GPU device in the demo, in headless Chromium (WebGPU on SwiftShader, about 1 s a step,
// so the runs on WebGPU are a few steps). Each worker the page starts is patched, before it asks
// for a GPU device, to keep its devices on self.__devices; the test then destroys them inside the
// worker, as a driver reset would. The page must say so, offer "Continue on the CPU", and bring
// the models back there from their last save, with nothing else lost.
// Also: in a browser without a WebGPU adapter, the demo on `auto` says it runs on the CPU and why.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { startDemo, demoPanels } from './helpers.mjs';

let demo;
let page;
const workers = [];

/** Keep every GPUDevice the worker creates on self.__devices (runs before its first model). */
function keepDevices() {
  self.__devices = [];
  const request = GPUAdapter.prototype.requestDevice;
  GPUAdapter.prototype.requestDevice = async function (...args) {
    const device = await request.apply(this, args);
    self.__devices.push(device);
    return device;
  };
}

/** Destroy the GPU devices of every live worker; resolves with how many were destroyed. */
async function destroyDevices() {
  let destroyed = 0;
  for (const worker of workers) {
    destroyed += await worker.evaluate(() => {
      const devices = self.__devices ?? [];
      devices.forEach((d) => d.destroy());
      return devices.length;
    }).catch(() => 0); // a worker terminated since
  }
  return destroyed;
}

before(async () => {
  demo = await startDemo({
    beforeGoto: (p) => p.on('worker', (worker) => {
      workers.push(worker);
      worker.on('close', () => workers.splice(workers.indexOf(worker), 1));
      worker.evaluate(keepDevices).catch(() => {});
    }),
  });
  page = demo.page;
  await page.setViewportSize({ width: 1366, height: 900 });
  await page.waitForSelector('body[data-ready="true"]', { timeout: 60_000 });
  mkdirSync('test-results', { recursive: true });
});

after(async () => {
  assert.deepEqual(demo.errors, [], 'no uncaught page errors');
  await demo.close();
});

const { panel, open, pixels } = demoPanels(() => page);
const banner = () => page.locator('#device-lost');

/** Elements of the header and the banner that stick out of a `width` px wide window. */
function sticksOut(p, width) {
  return p.evaluate((width) => [...document.querySelectorAll('header *, #device-lost, #device-lost *')]
    .filter((e) => { const b = e.getBoundingClientRect(); return b.width > 0 && (b.left < 0 || b.right > width); })
    .map((e) => `${e.tagName.toLowerCase()}${e.id ? `#${e.id}` : ''}${e.className ? `.${e.className}` : ''}`), width);
}

/** The header and the banner fit a 390 px wide screen (screenshots at 390 and 1366 px). */
async function fitsPhone(name) {
  await page.setViewportSize({ width: 390, height: 844 });
  await banner().scrollIntoViewIfNeeded();
  assert.deepEqual(await sticksOut(page, 390), [], 'the header and the banner fit 390 px');
  await page.screenshot({ path: `test-results/device-lost-${name}-390.png` });
  await page.setViewportSize({ width: 1366, height: 900 });
  await page.screenshot({ path: `test-results/device-lost-${name}-1366.png` });
}

test('training on WebGPU: the device is lost mid-run, the page says so, and one key press goes on on the CPU from the last save', { timeout: 420_000 }, async () => {
  await open('train');
  await page.selectOption('#backend', 'webgpu');
  const train = panel('train');
  await train.getByLabel('Kind').selectOption('variational');
  await train.getByLabel('Epochs').fill('1');
  await train.getByLabel('Stop after steps').fill('2');
  await train.getByRole('button', { name: 'Train from scratch' }).click();
  await page.waitForSelector('#panel-train[data-state="done"], #panel-train[data-state="error"]', { timeout: 150_000 });
  assert.match(await train.locator('.status').textContent(), /Done: 2 steps/);
  assert.match(await train.locator('.backend-used').textContent(), /WebGPU/);
  assert.match(await page.locator('#backend-info').textContent(), /Running on WebGPU \(your trained model\)\. Why: WebGPU was asked for/);
  const chartBefore = await pixels(train.locator('canvas.chart'));

  // A long run, its device destroyed after its third step (the model's fifth: Resume goes on
  // counting from the 2 steps before).
  await train.getByLabel('Stop after steps').fill('');
  await train.getByLabel('Epochs').fill('50');
  await train.getByRole('button', { name: 'Resume' }).click();
  await page.waitForSelector('#panel-train[data-state="training"]');
  await page.waitForFunction(() => {
    const readout = document.querySelector('#panel-train .readout');
    return readout.dataset.firstLoss !== undefined && readout.dataset.firstStep === '3' && Number(readout.dataset.step) >= 5;
  }, null, { timeout: 120_000 });
  assert.equal(await destroyDevices(), 1, 'the GPU worker (shared by every model on WebGPU; only the trained one is there) had one GPU device');

  // The page says so, plainly, and says what is lost.
  // (The failing step's readback surfaces it: a few seconds on SwiftShader.)
  await page.waitForSelector('#device-lost[data-state="lost"]', { timeout: 60_000 });
  const said = await banner().textContent();
  assert.match(said, /The GPU stopped working \(device lost\)\. Your model is safe as of its last save: continue on the CPU\?/);
  assert.match(said, /Your trained model is loaded again from its last save \(after 2 training steps\): the \d+ training steps taken since then will be lost\./);
  assert.equal(await train.getAttribute('data-state'), 'lost');
  assert.match(await train.locator('.status').textContent(), /The GPU stopped working \(device lost\)/);
  const button = banner().getByRole('button', { name: 'Continue on the CPU' });
  assert.equal(await button.evaluate((b) => b.tagName), 'BUTTON');
  await fitsPhone('training');
  const chartLost = await pixels(train.locator('canvas.chart'));
  assert.ok(chartLost.spread > 100, 'the chart still shows the training so far');

  // One key press on the button: the GPU worker is stopped, and the model comes back from its
  // last save in the CPU worker.
  await button.focus();
  await page.keyboard.press('Enter');
  await page.waitForSelector('#device-lost[data-state="recovered"], #device-lost[data-state="failed"]', { timeout: 60_000 });
  assert.equal(await banner().getAttribute('data-state'), 'recovered', await banner().textContent());
  assert.match(await banner().textContent(), /Now running on the CPU\. Loaded again from the last save: your trained model\./);
  assert.ok(await page.evaluate(() => document.activeElement.closest('#device-lost') !== null), 'focus stays in the banner');
  assert.equal(await page.$eval('#backend', (s) => s.value), 'cpu', 'the backend selector says CPU');
  assert.match(await train.locator('.backend-used').textContent(), /^CPU/);
  assert.match(await page.locator('#backend-info').textContent(), /Running on the CPU \(your trained model\)/);
  assert.equal(await page.locator('#backend-info').getAttribute('data-backend'), 'cpu');
  assert.match(await train.locator('.status').textContent(), /Back on the CPU from the last save \(after 2 training steps\): press Resume/);
  assert.deepEqual((await pixels(train.locator('canvas.chart'))).values, chartLost.values, 'the chart is as it was');
  assert.notDeepEqual(chartLost.values, chartBefore.values);

  // Training resumes on the CPU and its loss falls.
  await train.getByLabel('Epochs').fill('1');
  await train.getByLabel('Stop after steps').fill('25');
  await train.getByRole('button', { name: 'Resume' }).click();
  await page.waitForSelector('#panel-train[data-state="done"], #panel-train[data-state="error"], #panel-train[data-state="lost"]', { timeout: 120_000 });
  assert.match(await train.locator('.status').textContent(), /Done: 25 steps/);
  const readout = train.locator('.readout');
  const [first, last] = [Number(await readout.getAttribute('data-first-loss')), Number(await readout.getAttribute('data-loss'))];
  assert.ok(last < first * 0.9, `the loss falls on the CPU: ${first} -> ${last}`);
  assert.ok((await pixels(train.locator('canvas.samples'))).spread > 100, 'reconstructions are drawn');
  await banner().getByRole('button', { name: 'Dismiss' }).click();
  assert.equal(await banner().textContent(), '');
});

test('a panel on WebGPU loses its device before an inference: the page says so, and one click draws it again on the CPU', { timeout: 280_000 }, async () => {
  await page.selectOption('#backend', 'webgpu');
  await open('denoise');
  const denoise = panel('denoise');
  await page.waitForFunction(() => /running on WebGPU/.test(document.querySelector('#panel-denoise .status').textContent), null, { timeout: 200_000 });
  assert.match(await page.locator('#backend-info').textContent(), /Running on WebGPU \(denoiser\)/);
  const readout = denoise.locator('.readout');
  const noisy = denoise.locator('figure canvas:not(.sketch)').nth(0);
  const denoised = denoise.locator('figure canvas:not(.sketch)').nth(1);
  const [psnrBefore, noisyBefore] = [await readout.getAttribute('data-noisy'), await pixels(noisy)];
  assert.ok(await destroyDevices() >= 1, 'the denoiser’s worker had a GPU device');

  await denoise.getByLabel('Level').fill('0.7');
  await page.waitForSelector('#device-lost[data-state="lost"]', { timeout: 60_000 });
  assert.match(await banner().textContent(), /The GPU stopped working \(device lost\)/);
  assert.match(await banner().textContent(), /Denoiser is loaded again from its last save \(as shipped with the page\): nothing is lost\./);
  await page.waitForSelector('#panel-denoise[data-state="lost"]');
  assert.equal(await readout.getAttribute('data-noisy'), psnrBefore, 'nothing was drawn from the failed call');
  await fitsPhone('denoise');

  await banner().getByRole('button', { name: 'Continue on the CPU' }).click();
  await page.waitForSelector('#device-lost[data-state="recovered"], #device-lost[data-state="failed"]', { timeout: 60_000 });
  assert.equal(await banner().getAttribute('data-state'), 'recovered', await banner().textContent());
  assert.equal(await page.$eval('#backend', (s) => s.value), 'cpu');
  await page.waitForFunction(() => /running on the CPU/.test(document.querySelector('#panel-denoise .status').textContent), null, { timeout: 60_000 });
  assert.match(await page.locator('#backend-info').textContent(), /Running on the CPU \(denoiser\)/);
  assert.notEqual(await readout.getAttribute('data-noisy'), psnrBefore, 'the new noise level is drawn');
  assert.ok(Number(await readout.getAttribute('data-denoised')) > Number(await readout.getAttribute('data-noisy')), 'the denoiser works on the CPU');
  assert.ok((await pixels(denoised)).spread > 100, 'the denoised digit is drawn');
  const noisyAfter = await pixels(noisy);
  assert.ok(noisyAfter.values.some((v, i) => v !== noisyBefore.values[i]), 'the noisy digit is redrawn');
  // The trained model, already on the CPU, was left alone: its panel still says so.
  assert.match(await panel('train').locator('.status').textContent(), /Done: 25 steps/);
});

test('without a WebGPU adapter, the demo on auto says it runs on the CPU, and why; asking for WebGPU says it is missing', { timeout: 200_000 }, async () => {
  const seen = [];
  const plain = await startDemo({ webgpu: false, beforeGoto: (p) => p.on('worker', (w) => seen.push(w)) });
  try {
    const p = plain.page;
    await p.setViewportSize({ width: 1366, height: 900 });
    await p.waitForSelector('body[data-ready="true"]', { timeout: 60_000 });
    assert.equal(await p.$eval('#backend', (s) => s.value), 'auto');
    assert.match(await p.locator('#backend-info').textContent(), /No model has started yet/);
    await p.click('#tab-sample');
    await p.waitForFunction(() => /running on the CPU/.test(document.querySelector('#panel-sample .status').textContent), null, { timeout: 120_000 });
    assert.ok(seen.length >= 1, 'the model runs in a worker');
    assert.equal(await seen[0].evaluate(async () => (await navigator.gpu?.requestAdapter()) ?? null), null, 'no WebGPU adapter in the worker');
    const info = p.locator('#backend-info');
    assert.equal(await info.getAttribute('data-backend'), 'cpu');
    assert.equal(await info.textContent(), 'Running on the CPU (vae-2d). Why: auto chose the CPU: this browser or runtime has no WebGPU adapter.');
    assert.equal(await p.$eval('#backend', (s) => s.getAttribute('aria-describedby')), 'backend-info');
    await p.screenshot({ path: 'test-results/no-webgpu-1366.png' });
    await p.setViewportSize({ width: 390, height: 844 });
    assert.deepEqual(await sticksOut(p, 390), [], 'the header fits 390 px');
    await p.screenshot({ path: 'test-results/no-webgpu-390.png' });
    // Asking for WebGPU here: the panel says WebGPU is missing (NO_WEBGPU), not a lost device.
    await p.selectOption('#backend', 'webgpu');
    await p.waitForSelector('#panel-sample[data-state="error"]', { timeout: 60_000 });
    assert.equal(await p.locator('#panel-sample .status').textContent(), 'WebGPU is not available in this browser: choose “CPU (WebAssembly)” under “Run models on” at the top of the page.');
    assert.equal(await p.locator('#panel-sample .status').getAttribute('data-code'), 'NO_WEBGPU');
    assert.equal(await p.locator('#device-lost').textContent(), '');
    assert.deepEqual(plain.errors, [], 'no uncaught page errors');
  } finally {
    await plain.close();
  }
});

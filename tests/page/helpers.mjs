// Shared fixtures for the page tests: a static server for dist/ and headless Chromium started with
// the same flags as the browser tests (webdriver.json is the one place they are written).
import { readFileSync, readdirSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync, rmSync } from 'node:fs';
import { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { deflateSync } from 'node:zlib';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { serve } from '../../scripts/serve.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const flags = JSON.parse(readFileSync(join(root, 'webdriver.json'), 'utf8'))['goog:chromeOptions'].args;

/// How many pretrained models the demo lists (www/models/manifest.json).
export const PRETRAINED_COUNT = JSON.parse(readFileSync(join(root, 'www', 'models', 'manifest.json'), 'utf8')).length;

export function startDemo(options) {
  return openPage(join(root, 'dist'), options);
}

/// Where the page tests save their screenshots.
export const SHOTS = 'test-results/screenshots';

/// One demo for a whole test file, as a projector shows it: opened before its tests at 1366 x 900
/// (on `backend` when given), SHOTS made; closed after them, asserting that the page threw no
/// uncaught error and sent no request off the local server. `onPage(page)` receives the page once
/// it is ready. Returns demoPanels' drivers (`failOnError` as there).
export function demoSession({ backend, onPage, failOnError = true } = {}) {
  let demo;
  before(async () => {
    demo = await startDemo();
    const { page } = demo;
    await page.setViewportSize({ width: 1366, height: 900 });
    await page.waitForSelector('body[data-ready="true"]', { timeout: 60_000 });
    if (backend) await page.selectOption('#backend', backend);
    mkdirSync(SHOTS, { recursive: true });
    onPage?.(page);
  });
  after(async () => {
    assert.deepEqual(demo.errors, [], 'no uncaught page errors');
    assert.deepEqual(demo.outside, [], 'no request leaves the local server');
    await demo.close();
  });
  return demoPanels(() => demo.page, { failOnError });
}

/// Serve `dir` on a free loopback port and open it in headless Chromium. Options: `headers`, extra
/// response headers for every file (e.g. a Content-Security-Policy); `beforeGoto(page, context)`,
/// run once the page exists but before it loads (to attach listeners that must see the first load);
/// `webgpu: false`, start Chromium without --enable-unsafe-webgpu (then it has no WebGPU adapter,
/// in the page and in its workers: navigator.gpu.requestAdapter() gives null); `path`, the page to
/// open (default: the directory's index).
export async function openPage(dir, { headers = {}, beforeGoto, webgpu = true, path = '' } = {}) {
  const server = await serve(dir, 0, '127.0.0.1', { headers });
  const url = `http://127.0.0.1:${server.address().port}/`;
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: webgpu ? flags : flags.filter((f) => f !== '--enable-unsafe-webgpu'),
  });
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  // Every request of the page and its workers.
  const outside = [];
  context.on('request', (r) => { if (!r.url().startsWith(url) && !r.url().startsWith('data:')) outside.push(r.url()); });
  await beforeGoto?.(page, context);
  await page.goto(url + path);
  return {
    page, context, url, errors, outside,
    async close() { await browser.close(); server.close(); },
  };
}

/// A page that uses the package as it is in pkg/ (no bundler: `import ... from './index.js'`,
/// the worker entry from './client.js'), running the module `pageJs`. Same options as `openPage`.
export async function openPackagePage(pageJs, options) {
  const dir = mkdtempSync(join(tmpdir(), 'autoencoders-page-'));
  for (const file of readdirSync(join(root, 'pkg'))) symlinkSync(join(root, 'pkg', file), join(dir, file));
  writeFileSync(join(dir, 'page.js'), pageJs);
  writeFileSync(join(dir, 'index.html'), '<!doctype html><meta charset="utf-8"><title>package test</title><script type="module" src="page.js"></script>\n');
  const opened = await openPage(dir, options);
  const close = opened.close;
  opened.close = async () => { await close(); rmSync(dir, { recursive: true, force: true }); };
  return opened;
}

/// The npm package as a user gets it: `npm pack` pkg/, installed from the tarball into a fresh
/// project (returned: its directory, to be removed by the caller).
export function installPackage() {
  const project = mkdtempSync(join(tmpdir(), 'autoencoders-consumer-'));
  execFileSync('npm', ['pack', join(root, 'pkg'), '--pack-destination', project], { stdio: 'pipe' });
  const tarball = readdirSync(project).find((f) => f.endsWith('.tgz'));
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  execFileSync('npm', ['install', '--offline', '--no-audit', '--no-fund', `./${tarball}`], { cwd: project, stdio: 'pipe' });
  return project;
}

/// The demo's panels, driven as a user drives them, for tests that hold `page` in a variable set
/// later (hence the getter): `panel(id)`, its element; `open(id)`, click its tab; `settled(id,
/// timeout)`, wait until it is idle (and, with `failOnError`, fail if it shows an error);
/// `pixels(canvas)`, the gray values of a canvas with its size and their spread (0 when blank).
export function demoPanels(getPage, { failOnError = true } = {}) {
  const panel = (id) => getPage().locator(`#panel-${id}`);
  return {
    panel,
    async open(id) {
      await getPage().click(`#tab-${id}`);
      await getPage().waitForSelector(`#panel-${id}:not([hidden])`);
    },
    async settled(id, timeout = 120_000) {
      await getPage().waitForFunction((id) => {
        const s = document.querySelector(`#panel-${id}`).dataset.state;
        return s && !['starting', 'training', 'busy'].includes(s);
      }, id, { timeout });
      if (failOnError) {
        const state = await panel(id).getAttribute('data-state');
        if (state === 'error') throw new Error(`${id}: ${await panel(id).locator('.status').textContent()}`);
      }
    },
    pixels(locator) {
      return locator.evaluate((canvas) => {
        const { data } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
        const values = Array.from({ length: data.length / 4 }, (_, i) => data[i * 4]);
        let [lo, hi] = [255, 0];
        for (const v of values) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
        return { width: canvas.width, height: canvas.height, values, spread: hi - lo };
      });
    },
  };
}

/// Gray values of a canvas, read in the page.
export function canvasPixels(page, selector) {
  return page.$eval(selector, (canvas) => {
    const { data } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
    return Array.from({ length: data.length / 4 }, (_, i) => data[i * 4]);
  });
}

/** A grayscale PNG (8-bit) of `side x side`, encoded here so the tests need no image files. */
export function png(side, pixel) {
  const raw = Buffer.alloc(side * (side + 1));
  for (let y = 0; y < side; y++) for (let x = 0; x < side; x++) raw[y * (side + 1) + 1 + x] = pixel(x, y);
  return encodePng(side, side, raw);
}

/** A grayscale PNG of `width x height`, `pixel(x, y)` giving each gray byte. */
export function grayPng(width, height, pixel) {
  const raw = Buffer.alloc(height * (width + 1));
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) raw[y * (width + 1) + 1 + x] = pixel(x, y);
  return encodePng(width, height, raw);
}

/**
 * A black grayscale PNG of `width x height`: a real, valid file (100 million pixels deflate to
 * about 100 kB), for testing what a page does with an image too large to decode.
 */
export function blackPng(width, height) {
  return encodePng(width, height, Buffer.alloc(height * (width + 1)));
}

/** A PNG from its filtered scanlines (`raw`: per row, a filter byte then `width` gray bytes). */
/// An RGBA PNG of `width x height` from `rgba` (4 bytes a pixel, row-major).
export function rgbaPng(width, height, rgba) {
  const raw = Buffer.alloc(height * (width * 4 + 1));
  for (let y = 0; y < height; y++) Buffer.from(rgba.buffer, rgba.byteOffset + y * width * 4, width * 4).copy(raw, y * (width * 4 + 1) + 1);
  return encodePng(width, height, raw, 6);
}

function encodePng(width, height, raw, colorType = 0) {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (buf) => { let c = 0xffffffff; for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8); return (c ^ 0xffffffff) >>> 0; };
  const chunk = (type, data) => {
    const out = Buffer.alloc(12 + data.length);
    out.writeUInt32BE(data.length, 0);
    out.write(type, 4, 'latin1');
    data.copy(out, 8);
    out.writeUInt32BE(crc(out.subarray(4, 8 + data.length)), 8 + data.length);
    return out;
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = colorType; // 0 grayscale, 6 RGBA
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', header), chunk('IDAT', deflateSync(raw, { level: 9 })), chunk('IEND', Buffer.alloc(0))]);
}

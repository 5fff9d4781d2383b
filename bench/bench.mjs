#!/usr/bin/env node
// The project's browser benchmark. One headless Chromium run measures, for the package and for TF.js
// 4.22 (wasm, webgl, webgpu) on the same two networks: training samples/s, inference images/s and the
// loss reached; then the time to first reconstruction of a cold page, and the package's memory
// during a long training. Download sizes are computed in Node. Writes <out>/bench.json (every figure)
// and <out>/BENCHMARKS.md (bench/report.mjs).
//
// Usage: node bench/bench.mjs [--smoke] [--out DIR]      (npm run bench -- --smoke)
//   --smoke   a few steps of everything (every code path, labelled as a smoke run, not results)
//   --out     where to write the reports (default: reports/)
// Env: CHROMIUM (default /usr/bin/chromium). Exits non-zero if any row or section failed.
import { readFileSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import { serve } from '../scripts/serve.mjs';
import { parseMnist } from '../www/mnist.js';
import { NETWORKS, TRAIN, INFER_BATCH } from './page/networks.js';
import { median, round } from './page/stats.js';
import { downloadSizes } from './sizes.mjs';
import { buildTfjsBundle, TFJS_BUNDLE } from './tfjs/bundle.mjs';
import { machine, versions, commit, loadavg, otherCpuMeter } from './context.mjs';
import { renderReport, readExtras } from './report.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const FLAGS = JSON.parse(readFileSync(join(ROOT, 'webdriver.json'), 'utf8'))['goog:chromeOptions'].args;

// Step counts, by the kind of backend a row runs on. Here the GPU backends run on software
// (SwiftShader: WebGL about 0.5 s and WebGPU several seconds per step), so they get fewer steps and
// WebGPU a single repeat. In the full profile the CPU rows train 5 + 45 = 50 steps, so every
// framework's loss is read at the same point.
const PROFILES = {
  full: {
    cpu: { warm: 5, steps: 45, repeats: 3, inferWarm: 2, inferReps: 10 },
    webgl: { warm: 2, steps: 10, repeats: 3, inferWarm: 1, inferReps: 5 },
    webgpu: { warm: 1, steps: 3, repeats: 1, inferWarm: 1, inferReps: 2 },
    trainImages: null, // the whole train split
    ttfrLoads: 3,
    // CPU inference of the package and TF.js wasm alternated in one page (bench.js says why).
    interleaved: { rounds: 12, reps: 5, warm: 3, steps: 5 },
    memorySteps: [100, 2000],
    brotliQuality: 11,
    rowTimeoutS: 420,
  },
  smoke: {
    cpu: { warm: 2, steps: 3, repeats: 1, inferWarm: 1, inferReps: 2 },
    webgl: { warm: 2, steps: 3, repeats: 1, inferWarm: 1, inferReps: 2 },
    // The VAE only: on the software adapter each network costs half a minute of shader compiling.
    webgpu: { warm: 1, steps: 1, repeats: 1, inferWarm: 0, inferReps: 1, networks: ['vae'] },
    trainImages: 256, // see trainingSet in page/bench.js
    ttfrLoads: 1,
    interleaved: { rounds: 2, reps: 1, warm: 1, steps: 1 },
    memorySteps: [100],
    brotliQuality: 5, // quality 11 would take minutes on the package's wasm
    rowTimeoutS: 120,
  },
};

// `pace`: which step counts of the profile a row uses.
const ROWS = [
  { id: 'pkg-cpu', framework: 'autoencoders', api: 'Autoencoder', backend: 'cpu', pace: 'cpu' },
  { id: 'pkg-worker-cpu', framework: 'autoencoders', api: 'WorkerAutoencoder', backend: 'cpu', pace: 'cpu' },
  { id: 'pkg-webgpu', framework: 'autoencoders', api: 'Autoencoder', backend: 'webgpu', pace: 'webgpu' },
  { id: 'tfjs-wasm', framework: 'tfjs', backend: 'wasm', pace: 'cpu' },
  { id: 'tfjs-webgl', framework: 'tfjs', backend: 'webgl', pace: 'webgl' },
  { id: 'tfjs-webgpu', framework: 'tfjs', backend: 'webgpu', pace: 'webgpu' },
];

const started = performance.now();
const log = (...args) => console.log(`[${((performance.now() - started) / 1000).toFixed(1)}s]`, ...args);

function requireFiles() {
  const needed = {
    'pkg/autoencoders_bg.wasm': 'build the package first (./scripts/build.sh)',
    'data/mnist.bin': 'npm run data',
    'node_modules/playwright-core': 'npm ci',
    'node_modules/@tensorflow/tfjs-core': 'npm ci',
  };
  const missing = Object.entries(needed).filter(([path]) => !existsSync(join(ROOT, path)));
  if (missing.length) throw new Error(`missing: ${missing.map(([p, fix]) => `${p} (${fix})`).join(', ')}`);
}

/** A promise that rejects after `seconds`, for work that could hang (a GPU adapter, a lost worker). */
function withTimeout(promise, seconds, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer after ${seconds} s`)), seconds * 1000);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** A page of bench/page/ in `context`, with its errors (uncaught, and console errors) collected. */
async function openBenchPage(context, base, path = 'bench/page/index.html') {
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  await page.goto(base + path);
  return { page, errors };
}

async function waitForBench(page) {
  await page.waitForFunction(() => window.benchReady === true, null, { timeout: 30_000 });
}

function errorRow(spec, network, message) {
  return { id: spec.id, network, network_label: NETWORKS[network].label, framework: spec.framework, api: spec.api ?? null, backend: spec.backend, error: message };
}

/**
 * `measure(page, errors)` in a fresh bench page, ready, closed afterwards; if it throws, what
 * `failed` makes of the error's message joined with the page's own errors.
 */
async function inBenchPage(context, base, measure, failed) {
  const { page, errors } = await openBenchPage(context, base);
  try {
    await waitForBench(page);
    return await measure(page, errors);
  } catch (error) {
    return failed([error.message, ...errors].join(' | '));
  } finally {
    await page.close();
  }
}

/** The first ten of a page's errors, or nothing. */
const firstPageErrors = (errors) => (errors.length ? errors.slice(0, 10) : undefined);

/** One row of the table: a fresh page, the networks of its pace, one flat record per network. */
async function runRow(context, base, spec, profile) {
  const { networks = Object.keys(NETWORKS), ...steps } = profile[spec.pace];
  const settings = { ...steps, trainImages: profile.trainImages };
  return inBenchPage(context, base, async (page, errors) => {
    const result = await withTimeout(
      page.evaluate((s) => window.bench.runRow(s), { ...spec, networks, settings, tfjsScript: `/${TFJS_BUNDLE}` }),
      profile.rowTimeoutS, `row ${spec.id}`,
    );
    return Object.values(result.networks).map(({ network, label, ...figures }) => ({
      id: spec.id, network, network_label: label, framework: spec.framework, framework_version: result.engine.version,
      api: spec.api ?? null, backend: spec.backend, engine: result.engine, ...figures,
      page_errors: firstPageErrors(errors),
    }));
  }, (message) => networks.map((network) => errorRow(spec, network, message)));
}

/** Cold page loads: a new browser context each (empty HTTP cache, no compiled-wasm cache). */
async function measureTtfr(browser, base, loads) {
  const manifest = JSON.parse(readFileSync(join(ROOT, 'www/models/manifest.json'), 'utf8'));
  const model = `www/models/${manifest.find((m) => m.name === 'vae-20d').file}`;
  const mnist = parseMnist(new Uint8Array(readFileSync(join(ROOT, 'data/mnist.bin'))));
  const digit = Array.from(mnist.test.image(0));
  const runs = [];
  for (let i = 0; i < loads; i++) {
    const context = await browser.newContext();
    try {
      await context.addInitScript((d) => { window.benchDigit = d; }, digit);
      const { page, errors } = await openBenchPage(context, base, `bench/page/ttfr.html?model=/${model}`);
      await page.waitForFunction(() => window.ttfr !== undefined, null, { timeout: 60_000 });
      const run = await withTimeout(page.evaluate(() => window.ttfr), 120, 'time to first reconstruction');
      runs.push(errors.length ? { ...run, page_errors: errors } : run);
    } finally {
      await context.close();
    }
  }
  const failed = runs.find((r) => r.error);
  const markMedian = (key) => round(median(runs.map((r) => r.marks[key])), 1);
  return {
    model, loads,
    cache: 'cold (a new browser context each: empty HTTP and code caches)',
    network: 'Files come from 127.0.0.1, so download time is not included (see the size table)',
    ...(failed ? { error: failed.error } : {
      first_reconstruction_ms: markMedian('first_reconstruction'),
      median_marks_ms: Object.fromEntries(Object.keys(runs[0].marks).map((k) => [k, markMedian(k)])),
      wasm_fetch_ms: round(median(runs.map((r) => r.wasm_fetch_ms)), 1),
    }),
    runs,
  };
}

/** CPU inference of the package and TF.js wasm, alternated in one page: one record per network. */
async function measureInterleaved(context, base, profile) {
  const spec = { networks: Object.keys(NETWORKS), settings: { ...profile.interleaved, trainImages: profile.trainImages }, tfjsScript: `/${TFJS_BUNDLE}` };
  return inBenchPage(context, base, async (page, errors) => {
    const result = await withTimeout(page.evaluate((s) => window.bench.interleavedInference(s), spec), profile.rowTimeoutS, 'interleaved inference');
    return { what: 'reconstruct of the test batch: package cpu (this thread) and TF.js wasm (1 thread), alternated in rounds',
      engines: result.engines, networks: result.networks, page_errors: firstPageErrors(errors) };
  }, (message) => ({ error: message }));
}

/** The package's memory (wasm linear memory and JS heap) through a long CPU training of the VAE. */
async function measureMemory(context, base, steps, timeoutS) {
  return inBenchPage(context, base, async (page, errors) => {
    const cdp = await context.newCDPSession(page);
    // After a full GC, so the heap figure is what is live, not what is waiting to be collected.
    const jsHeap = async () => {
      await cdp.send('HeapProfiler.collectGarbage');
      const { usedSize, totalSize } = await cdp.send('Runtime.getHeapUsage');
      return { js_heap_used_bytes: usedSize, js_heap_total_bytes: totalSize };
    };
    const phases = [];
    const record = async (call, arg) => {
      const phase = await withTimeout(page.evaluate(call, arg), timeoutS, 'memory run');
      phases.push({ ...phase, ...(await jsHeap()) });
      log('memory', phases.at(-1).phase, `${(phase.wasm_memory_bytes / 2 ** 20).toFixed(1)} MiB wasm`);
    };
    await record(() => window.bench.memory.start());
    await record(() => window.bench.memory.create());
    for (const total of steps) await record((n) => window.bench.memory.trainTo(n), total);
    return { network: 'vae', backend: 'cpu', api: 'Autoencoder', phases, page_errors: errors.length ? errors : undefined };
  }, (message) => ({ network: 'vae', backend: 'cpu', error: message }));
}

async function browserContext(browser, base) {
  const { page } = await openBenchPage(await browser.newContext(), base);
  try {
    await waitForBench(page);
    return {
      chromium: browser.version(),
      user_agent: await page.evaluate(() => navigator.userAgent),
      flags: FLAGS,
      webgpu_adapter: await page.evaluate(() => window.bench.adapterInfo()),
      nested_settimeout0_ms: await page.evaluate(() => window.bench.nestedTimeoutMs()),
    };
  } finally {
    await page.context().close();
  }
}

/** `measure()`'s result object, with the share of the CPUs that other processes took meanwhile. */
async function metered(measure) {
  const otherCpu = otherCpuMeter();
  const result = await measure();
  return { ...result, other_cpu_share: otherCpu() };
}

/** Everything measured in Chromium, in one browser run: context, time to first reconstruction, rows, memory. */
async function measureInBrowser(profile) {
  const server = await serve(ROOT, 0);
  const base = `http://127.0.0.1:${server.address().port}/`;
  let browser = null;
  const results = { rows: [] };
  try {
    browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', headless: true, args: FLAGS });
    results.browser = await browserContext(browser, base);
    log('Chromium', results.browser.chromium, 'WebGPU adapter', JSON.stringify(results.browser.webgpu_adapter));

    log('time to first reconstruction,', profile.ttfrLoads, 'cold load(s)');
    results.ttfr = await metered(() => measureTtfr(browser, base, profile.ttfrLoads).catch((error) => ({ error: error.message })));
    log('  ', results.ttfr.error ?? `${results.ttfr.first_reconstruction_ms} ms`);

    // One context for the rows: each row gets a fresh page (fresh wasm instance, fresh GPU device).
    const context = await browser.newContext();
    for (const spec of ROWS) {
      log('row', spec.id);
      const { other_cpu_share: share, rows } = await metered(async () => ({ rows: await runRow(context, base, spec, profile) }));
      for (const row of rows) row.other_cpu_share = share;
      for (const row of rows) {
        log('  ', row.network, row.error ? `ERROR ${row.error}`
          : `train ${row.train_samples_per_s} samples/s, infer ${row.infer_images_per_s} images/s, loss ${row.loss_last10_mean}`);
      }
      results.rows.push(...rows);
    }

    log('CPU inference, package and TF.js wasm alternated:', profile.interleaved.rounds, 'rounds');
    results.interleaved = await metered(() => measureInterleaved(context, base, profile));
    for (const n of Object.values(results.interleaved.networks ?? {})) {
      log('  ', n.network, n.error ? `ERROR ${n.error}` : `${n.ratio}x (package ${n.package_infer_ms} ms, TF.js ${n.tfjs_infer_ms} ms)`);
    }
    if (results.interleaved.error) log('   ERROR', results.interleaved.error);

    log('memory: VAE on cpu, steps', profile.memorySteps.join(', '));
    results.memory = await metered(() => measureMemory(context, base, profile.memorySteps, profile.rowTimeoutS));
    return results;
  } finally {
    await browser?.close();
    server.close();
  }
}

async function main() {
  const { values: args } = parseArgs({ options: { smoke: { type: 'boolean', default: false }, out: { type: 'string' } } });
  const profile = PROFILES[args.smoke ? 'smoke' : 'full'];
  requireFiles();
  const loadBefore = loadavg();

  log(`download sizes (brotli ${profile.brotliQuality}; cached by content hash)`);
  const sizes = downloadSizes(ROOT, { extraFiles: ['www/models/vae-20d.ae'], brotliQuality: profile.brotliQuality });
  if (await buildTfjsBundle()) log('built the TF.js bundle', TFJS_BUNDLE);

  const results = await measureInBrowser(profile);

  const report = {
    schema: 1,
    kind: args.smoke ? 'smoke' : 'full',
    date: new Date().toISOString(),
    duration_s: round((performance.now() - started) / 1000, 1),
    settings: {
      train: { ...TRAIN, optimizer: 'Adam' }, infer_batch: INFER_BATCH, profile,
      step_time: 'median over the timed steps of one training (warm-up steps excluded); figures are the median over repeats',
      networks: NETWORKS,
    },
    units: {
      train_samples_per_s: 'training images per second: batch / median step time', train_step_ms: 'ms per optimiser step',
      infer_images_per_s: 'images per second through one reconstruct (encode + decode) call', infer_ms: 'ms per reconstruct call',
      loss_first: 'nats per image, first training step', loss_last10_mean: 'nats per image, mean training loss of the last 10 steps',
      test_bce: 'nats per image, BCE of the reconstructed test batch', '*_bytes': 'bytes', 'ttfr *_ms': 'ms since navigation start',
      other_cpu_share: 'share of all CPUs used by processes other than the bench and its browser while the row ran (0 to 1)',
    },
    context: { machine: machine(), loadavg_before: loadBefore, loadavg_after: loadavg(), versions: versions(ROOT), git: commit(ROOT), ...results.browser },
    rows: results.rows,
    sizes,
    ttfr: results.ttfr,
    interleaved_inference: results.interleaved,
    memory: results.memory,
  };
  const out = args.out ? resolve(args.out) : join(ROOT, 'reports');
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'bench.json'), `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(join(out, 'BENCHMARKS.md'), renderReport(report, readExtras(out)));
  log(`wrote ${join(out, 'bench.json')} and ${join(out, 'BENCHMARKS.md')} (${report.kind} run, ${report.duration_s} s)`);

  const failures = [...report.rows.filter((r) => r.error).map((r) => `${r.id}/${r.network}`),
    ...(report.ttfr.error ? ['ttfr'] : []), ...(report.memory.error ? ['memory'] : []),
    ...(report.interleaved_inference.error ? ['interleaved inference'] : []),
    ...Object.values(report.interleaved_inference.networks ?? {}).filter((n) => n.error).map((n) => `interleaved inference/${n.network}`)];
  if (failures.length) {
    console.error(`FAILED: ${failures.join(', ')}`);
    process.exitCode = 1;
  }
}

main().catch((error) => {
  console.error(error.stack ?? error);
  process.exitCode = 1;
});

// Every entry point validates every argument: a table of bad calls, each run on the direct class
// (`Autoencoder`) and through the worker (`WorkerAutoencoder`), must reject with the documented
// `code` (and a message naming the problem) within a time limit (no promise is left pending),
// and be followed by a call that succeeds on the same model. Then disposal: `dispose()`,
// `[Symbol.dispose]()` and a terminated worker all end in `DISPOSED`, also for a running `train`.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { openPackagePage } from './helpers.mjs';

const PAGE_JS = `
import init, { Autoencoder } from './index.js';
import { WorkerAutoencoder, AutoencoderWorkerHost } from './client.js';

const SIDE = 8, PIXELS = SIDE * SIDE, LATENT = 4;
const config = { inputShape: [1, SIDE, SIDE], hidden: [16], latent: LATENT };
const bars = (n) => {
  const out = new Float32Array(n * PIXELS);
  for (let i = 0; i < n; i++) for (let k = 0; k < SIDE; k++) out[i * PIXELS + (i % 2 ? k * SIDE + (i % SIDE) : (i % SIDE) * SIDE + k)] = 1;
  return out;
};
const x = bars(32), one = bars(1), two = bars(2);
const mask = new Float32Array(PIXELS).map((_, i) => (i < PIXELS / 2 ? 1 : 0));
const filled = (n, v) => new Float32Array(n).fill(v);
const PENDING_MS = 20000;

// [name, call(model, Class, extra), code, message pattern]
const CASES = [
  // create
  ['create: misspelt config field', (m, C) => C.create({ ...config, laten: 20 }), 'INVALID_CONFIG', /laten/],
  ['create: unknown option', (m, C) => C.create(config, { gpu: true }), 'INVALID_CONFIG', /gpu/],
  ['create: latent 0', (m, C) => C.create({ ...config, latent: 0 }), 'INVALID_CONFIG', /latent/],
  ['create: fractional latent', (m, C) => C.create({ ...config, latent: 2.5 }), 'INVALID_CONFIG', /latent.*2\\.5/],
  ['create: latent as a string', (m, C) => C.create({ ...config, latent: '4' }), 'INVALID_CONFIG', /latent/],
  ['create: NaN latent', (m, C) => C.create({ ...config, latent: NaN }), 'INVALID_CONFIG', /latent.*NaN/],
  ['create: unknown kind', (m, C) => C.create({ ...config, kind: 'sparse' }), 'INVALID_CONFIG', /kind/],
  ['create: inputShape of two numbers', (m, C) => C.create({ ...config, inputShape: [1, 8] }), 'INVALID_CONFIG', /inputShape/],
  ['create: negative hidden width', (m, C) => C.create({ ...config, hidden: [-1] }), 'INVALID_CONFIG', /hidden/],
  ['create: misspelt nested corruption field', (m, C) => C.create({ ...config, kind: 'denoising', corruption: { type: 'gaussian', sigmaa: 0.1 } }), 'INVALID_CONFIG', /sigmaa/],
  ['create: unknown backend', (m, C) => C.create(config, { backend: 'tpu' }), 'INVALID_CONFIG', /tpu/],
  ['create: negative seed', (m, C) => C.create(config, { seed: -1 }), 'INVALID_CONFIG', /seed.*-1/],
  ['create: options as a string', (m, C) => C.create(config, 'cpu'), 'INVALID_CONFIG', /options/],
  ['create: config as a string', (m, C) => C.create('config'), 'INVALID_CONFIG', /config/],
  ['create: a network too large', (m, C) => C.create({ ...config, inputShape: [1, 60000, 60000] }), 'INVALID_CONFIG', /./],
  ['create: infinite klWeight', (m, C) => C.create({ ...config, klWeight: Infinity }), 'INVALID_CONFIG', /klWeight/],
  // load
  ['load: null', (m, C) => C.load(null), 'INVALID_DATA', /bytes.*null/],
  ['load: undefined', (m, C) => C.load(undefined), 'INVALID_DATA', /bytes.*undefined/],
  ['load: empty bytes', (m, C) => C.load(new Uint8Array(0)), 'CORRUPT_CHECKPOINT', /./],
  ['load: three bytes', (m, C) => C.load(new Uint8Array([1, 2, 3])), 'CORRUPT_CHECKPOINT', /./],
  ['load: a text file', (m, C) => C.load(new TextEncoder().encode('hello, this is not a model at all')), 'CORRUPT_CHECKPOINT', /./],
  ['load: a truncated checkpoint', (m, C, { saved }) => C.load(saved.slice(0, saved.length - 7)), 'CORRUPT_CHECKPOINT', /./],
  ['load: unknown backend', (m, C, { saved }) => C.load(saved, { backend: 'gpu' }), 'INVALID_CONFIG', /gpu/],
  ['load: misspelt option', (m, C, { saved }) => C.load(saved, { backnd: 'cpu' }), 'INVALID_CONFIG', /backnd/],
  ['load: a string', (m, C) => C.load('bytes'), 'INVALID_DATA', /bytes/],
  // train
  ['train: null data', (m) => m.train(null), 'INVALID_DATA', /data/],
  ['train: undefined data', (m) => m.train(undefined), 'INVALID_DATA', /data/],
  ['train: no images', (m) => m.train(new Float32Array(0)), 'INVALID_DATA', /no images/],
  ['train: a partial image', (m) => m.train(new Float32Array(10)), 'SHAPE_MISMATCH', /10 values/],
  ['train: NaN pixels', (m) => m.train(filled(PIXELS, NaN)), 'INVALID_DATA', /NaN/],
  ['train: pixels above 1', (m) => m.train(filled(PIXELS, 3)), 'INVALID_DATA', /\\[0, 1\\]/],
  ['train: misspelt option', (m) => m.train(x, { epoch: 1 }), 'INVALID_CONFIG', /epoch/],
  ['train: zero epochs', (m) => m.train(x, { epochs: 0 }), 'INVALID_CONFIG', /epochs/],
  ['train: fractional epochs', (m) => m.train(x, { epochs: 1.5 }), 'INVALID_CONFIG', /epochs.*1\\.5/],
  ['train: negative batch size', (m) => m.train(x, { batchSize: -1 }), 'INVALID_CONFIG', /batchSize.*-1/],
  ['train: NaN learning rate', (m) => m.train(x, { learningRate: NaN }), 'INVALID_CONFIG', /learningRate.*NaN/],
  ['train: learning rate as a string', (m) => m.train(x, { learningRate: '0.01' }), 'INVALID_CONFIG', /learningRate/],
  ['train: validation split of 1', (m) => m.train(x, { validationSplit: 1 }), 'INVALID_CONFIG', /validationSplit/],
  ['train: onProgress not a function', (m) => m.train(x, { onProgress: 5 }), 'INVALID_CONFIG', /onProgress/],
  ['train: signal not an AbortSignal', (m) => m.train(x, { signal: {} }), 'INVALID_CONFIG', /signal/],
  ['train: unknown corruption type', (m) => m.train(x, { corruption: { type: 'blur' } }), 'INVALID_CONFIG', /blur/],
  ['train: targets of the wrong size', (m) => m.train(x, { targets: new Float32Array(10) }), 'SHAPE_MISMATCH', /targets/],
  ['train: options as a string', (m) => m.train(x, 'fast'), 'INVALID_CONFIG', /options/],
  ['train: negative maxSteps', (m) => m.train(x, { maxSteps: -5 }), 'INVALID_CONFIG', /maxSteps.*-5/],
  ['train: an array of numbers', (m) => m.train([1, 2, 3]), 'INVALID_DATA', /data/],
  ['train: a string', (m) => m.train('pixels'), 'INVALID_DATA', /data/],
  // A throwing callback stops the training: with this many epochs, one that went on would leave
  // the call pending past PENDING_MS, and the encode after it would be BUSY.
  ['train: onProgress throws', (m) => m.train(x, { epochs: 100000, onProgress: () => { throw new Error('boom'); } }), 'CALLBACK', /onProgress.*boom/],
  ['train: onEpoch throws', (m) => m.train(x, { epochs: 100000, onEpoch: () => { throw new Error('bang'); } }), 'CALLBACK', /onEpoch.*bang/],
  ['train: NaN in the targets', (m) => m.train(x, { targets: filled(32 * PIXELS, NaN) }), 'INVALID_DATA', /NaN/],
  // encode, decode, reconstruct, denoise
  ['encode: null', (m) => m.encode(null), 'INVALID_DATA', /images.*null/],
  ['encode: a partial image', (m) => m.encode(new Float32Array(10)), 'SHAPE_MISMATCH', /10 values/],
  ['encode: NaN pixels', (m) => m.encode(filled(PIXELS, NaN)), 'INVALID_DATA', /NaN/],
  ['encode: a plain object', (m) => m.encode({ data: 1 }), 'INVALID_DATA', /images/],
  ['encode: negative pixels', (m) => m.encode(filled(PIXELS, -1)), 'INVALID_DATA', /-1/],
  ['decode: null', (m) => m.decode(null), 'INVALID_DATA', /codes.*null/],
  ['decode: undefined', (m) => m.decode(undefined), 'INVALID_DATA', /codes.*undefined/],
  ['decode: a partial code', (m) => m.decode(new Float32Array(3)), 'SHAPE_MISMATCH', /3 code values/],
  ['decode: NaN codes', (m) => m.decode(filled(LATENT, NaN)), 'INVALID_DATA', /NaN/],
  ['decode: a plain array', (m) => m.decode([0, 0, 0, 0]), 'INVALID_DATA', /Float32Array/],
  ['decode: no codes', (m) => m.decode(new Float32Array(0)), 'SHAPE_MISMATCH', /0 code values/],
  ['reconstruct: null', (m) => m.reconstruct(null), 'INVALID_DATA', /images/],
  ['reconstruct: NaN pixels', (m) => m.reconstruct(filled(PIXELS, NaN)), 'INVALID_DATA', /NaN/],
  ['denoise: NaN pixels', (m) => m.denoise(filled(PIXELS, NaN)), 'INVALID_DATA', /NaN/],
  ['denoise: a partial image', (m) => m.denoise(new Float32Array(PIXELS + 1)), 'SHAPE_MISMATCH', /65 values/],
  // sample
  ['sample: fractional count', (m) => m.sample(2.5), 'INVALID_CONFIG', /n.*2\\.5/],
  ['sample: count as a string', (m) => m.sample('3'), 'INVALID_CONFIG', /'3'/],
  ['sample: negative count', (m) => m.sample(-1), 'INVALID_CONFIG', /-1/],
  ['sample: zero', (m) => m.sample(0), 'INVALID_CONFIG', /got 0/],
  ['sample: no count', (m) => m.sample(), 'INVALID_CONFIG', /n is required/],
  ['sample: NaN', (m) => m.sample(NaN), 'INVALID_CONFIG', /NaN/],
  ['sample: a billion', (m) => m.sample(1e9), 'INVALID_CONFIG', /1000000000/],
  ['sample: ten billion (past 32 bits)', (m) => m.sample(1e10), 'INVALID_CONFIG', /10000000000/],
  ['sample: fractional seed', (m) => m.sample(2, { seed: 1.5 }), 'INVALID_CONFIG', /seed/],
  ['sample: misspelt option', (m) => m.sample(2, { sed: 1 }), 'INVALID_CONFIG', /sed/],
  // inpaint
  ['inpaint: NaN in the mask', (m) => m.inpaint(one, filled(PIXELS, NaN)), 'INVALID_DATA', /mask.*NaN/],
  ['inpaint: NaN pixels', (m) => m.inpaint(filled(PIXELS, NaN), mask), 'INVALID_DATA', /NaN/],
  ['inpaint: no mask', (m) => m.inpaint(one, null), 'INVALID_DATA', /mask/],
  ['inpaint: a mask of the wrong size', (m) => m.inpaint(one, new Float32Array(5)), 'SHAPE_MISMATCH', /mask has 5/],
  ['inpaint: zero iterations', (m) => m.inpaint(one, mask, { iterations: 0 }), 'INVALID_CONFIG', /iterations.*got 0/],
  ['inpaint: negative iterations', (m) => m.inpaint(one, mask, { iterations: -1 }), 'INVALID_CONFIG', /iterations.*-1/],
  ['inpaint: fractional iterations', (m) => m.inpaint(one, mask, { iterations: 2.5 }), 'INVALID_CONFIG', /iterations.*2\\.5/],
  ['inpaint: misspelt option', (m) => m.inpaint(one, mask, { iters: 3 }), 'INVALID_CONFIG', /iters/],
  ['inpaint: mask values of 2', (m) => m.inpaint(one, filled(PIXELS, 2)), 'INVALID_DATA', /mask value/],
  // interpolate
  ['interpolate: one step', (m) => m.interpolate(one, one, 1), 'INVALID_CONFIG', /steps.*got 1/],
  ['interpolate: fractional steps', (m) => m.interpolate(one, one, 2.5), 'INVALID_CONFIG', /steps.*2\\.5/],
  ['interpolate: steps as a string', (m) => m.interpolate(one, one, '5'), 'INVALID_CONFIG', /steps/],
  ['interpolate: no end image', (m) => m.interpolate(one, null, 5), 'INVALID_DATA', /b /],
  ['interpolate: NaN in the start image', (m) => m.interpolate(filled(PIXELS, NaN), one, 5), 'INVALID_DATA', /NaN/],
  ['interpolate: two images at one end', (m) => m.interpolate(two, one, 5), 'SHAPE_MISMATCH', /one image at each end/],
  ['interpolate: unknown method', (m) => m.interpolate(one, one, 5, { method: 'cubic' }), 'INVALID_CONFIG', /cubic/],
  ['interpolate: misspelt option', (m) => m.interpolate(one, one, 5, { method: 'slerp', extra: 1 }), 'INVALID_CONFIG', /extra/],
  // corrupt
  ['corrupt: no corruption', (m) => m.corrupt(one, null), 'INVALID_CONFIG', /corruption/],
  ['corrupt: negative sigma', (m) => m.corrupt(one, { type: 'gaussian', sigma: -1 }), 'INVALID_CONFIG', /sigma/],
  ['corrupt: negative seed', (m) => m.corrupt(one, { type: 'gaussian', sigma: 0.1 }, -3), 'INVALID_CONFIG', /seed.*-3/],
  ['corrupt: missing fraction', (m) => m.corrupt(one, { type: 'masking' }), 'INVALID_CONFIG', /fraction/],
  ['corrupt: NaN pixels', (m) => m.corrupt(filled(PIXELS, NaN), { type: 'masking', fraction: 0.5 }), 'INVALID_DATA', /NaN/],
];

/** Runs \`call\` and describes how it settled, or that it did not within PENDING_MS. */
async function settle(call) {
  let timer;
  const pending = new Promise((resolve) => { timer = setTimeout(() => resolve({ pending: true }), PENDING_MS); });
  const run = (async () => call())().then(
    (value) => ({ resolved: true, value: value?.length ?? String(value) }),
    (e) => ({ code: e?.code, name: e?.name, message: String(e?.message ?? e) }),
  );
  const result = await Promise.race([run, pending]);
  clearTimeout(timer);
  return result;
}

async function table(Class, options) {
  const model = await Class.create(config, { ...options, backend: 'cpu', seed: 1 });
  await model.train(x, { epochs: 2, batchSize: 16 });
  const saved = await model.save();
  const rows = [];
  for (const [name, call, code, pattern] of CASES) {
    const got = await settle(() => call(model, Class, { saved }));
    const after = await settle(() => model.encode(one));
    const { name: errorName, ...settled } = got;
    rows.push({ case: name, expected: code, pattern: pattern.source, errorName, ...settled, afterwards: after });
  }
  return { rows, model };
}

window.runDirect = async () => (await table(Autoencoder, {})).rows;

window.runWorker = async () => {
  const host = new AutoencoderWorkerHost();
  const { rows, model } = await table(WorkerAutoencoder, { worker: host });
  // The worker is still healthy after them all: a second model on it trains.
  const other = await WorkerAutoencoder.create(config, { backend: 'cpu', worker: host });
  const history = await other.train(x, { maxSteps: 2, batchSize: 16 });
  await model.dispose();
  await other.dispose();
  host.terminate();
  return { rows, otherSteps: history.steps };
};

/**
 * A training that runs until something ends it (the most epochs a call may ask for), and its
 * started promise, settled by its first step. Waiting a fixed time instead raced: once
 * training got faster, a 500-epoch call on these 32 images ended before the 300 ms were up.
 */
function trainUntilEnded(model) {
  let firstStep;
  const begun = new Promise((resolve) => { firstStep = resolve; });
  const run = model.train(x, { epochs: 100_000, batchSize: 16, onProgress: () => firstStep() });
  // A training that fails before its first step rejects started too, instead of hanging it.
  run.started = Promise.race([begun, run]);
  return run;
}

/** Calls that depend on state: BUSY, INVALID_STATE, an aborted signal, one bad call beside another model's training. */
window.runState = async (kind) => {
  const Class = kind === 'worker' ? WorkerAutoencoder : Autoencoder;
  const host = kind === 'worker' ? new AutoencoderWorkerHost() : undefined;
  const options = host ? { worker: host } : {};
  const out = {};
  const model = await Class.create(config, { ...options, backend: 'cpu' });
  out.sampleUntrained = await settle(() => model.sample(2));
  const aborted = new AbortController();
  aborted.abort();
  out.preAborted = await model.train(x, { signal: aborted.signal }).then((h) => ({ steps: h.steps, cancelled: h.cancelled }), (e) => ({ code: e.code }));
  const running = trainUntilEnded(model);
  await running.started;
  out.secondTrain = await settle(() => model.train(x));
  out.encodeWhileTraining = await settle(() => model.encode(one));
  // A bad call on another model on the same worker fails alone; the training goes on.
  const other = await Class.create(config, { ...options, backend: 'cpu' });
  out.otherBad = await settle(() => other.decode(null));
  out.otherGood = await settle(() => other.encode(one));
  model.dispose();
  out.running = await settle(() => running);
  out.afterDispose = await settle(() => model.encode(one));
  out.disposedFlag = model.disposed;
  await other.dispose?.();
  host?.terminate();
  return out;
};

/** The three ways a model ends: dispose(), [Symbol.dispose](), its worker terminated. */
window.runDisposal = async () => {
  const out = {};
  const direct = await Autoencoder.create(config, { backend: 'cpu' });
  direct[Symbol.dispose]();
  out.symbolDispose = { disposed: direct.disposed, busy: direct.busy, backend: direct.backend, call: await settle(() => direct.encode(one)), corrupt: await settle(() => direct.corrupt(one, { type: 'masking', fraction: 0.5 })) };
  direct.dispose(); // a second dispose does nothing
  {
    using scoped = await Autoencoder.create(config, { backend: 'cpu' });
    out.scopedCodes = (await scoped.encode(one)).length;
    out.scoped = scoped;
  }
  out.usingDisposed = out.scoped.disposed;
  delete out.scoped;
  const training = await Autoencoder.create(config, { backend: 'cpu' });
  let steps = 0;
  const run = training.train(x, { epochs: 500, batchSize: 16, onProgress: () => { steps++; if (steps === 3) training[Symbol.dispose](); } });
  out.disposedWhileTraining = await settle(() => run);
  out.stepsAfterDispose = steps;

  const host = new AutoencoderWorkerHost();
  const inWorker = await WorkerAutoencoder.create(config, { backend: 'cpu', worker: host });
  const workerRun = trainUntilEnded(inWorker);
  await workerRun.started;
  host.terminate();
  out.terminatedTrain = await settle(() => workerRun);
  out.terminatedLater = await settle(() => inWorker.encode(one));
  const own = await WorkerAutoencoder.create(config, { backend: 'cpu' });
  const ownRun = trainUntilEnded(own);
  await ownRun.started;
  await own[Symbol.asyncDispose]();
  out.workerDisposedTrain = await settle(() => ownRun);
  out.workerDisposedLater = await settle(() => own.encode(one));
  return out;
};
/** Bad calls of the synchronous functions beside the classes: each throws a typed error at once. */
window.runSync = async () => {
  const { toImageData: fromClient } = await import('./client.js');
  const { toImageData } = await import('./index.js');
  const calls = [
    ['toImageData: null values', () => toImageData(null, [1, 8, 8]), 'INVALID_DATA', /values must be a Float32Array/],
    ['toImageData: a plain array', () => toImageData([0, 1], [1, 1, 2]), 'INVALID_DATA', /got Array/],
    ['toImageData: no shape', () => toImageData(one), 'INVALID_DATA', /shape must be/],
    ['toImageData: a shape of two numbers', () => toImageData(one, [8, 8]), 'INVALID_DATA', /shape must be/],
    ['toImageData: a fractional side', () => toImageData(one, [1, 8, 7.5]), 'INVALID_DATA', /7\.5/],
    ['toImageData: 2 channels', () => toImageData(filled(128, 0), [2, 8, 8]), 'INVALID_DATA', /1, 3 or 4 channels.*2/],
    ['toImageData: an image past the end', () => toImageData(one, [1, 8, 8], 1), 'INVALID_DATA', /image 1 .*1 images/],
    ['toImageData: a negative index', () => toImageData(one, [1, 8, 8], -1), 'INVALID_DATA', /image -1/],
    ['toImageData: too few values', () => toImageData(new Float32Array(10), [1, 8, 8]), 'INVALID_DATA', /10 values/],
    ['toImageData (worker entry): null values', () => fromClient(null, [1, 8, 8]), 'INVALID_DATA', /values must be/],
    ['AutoencoderWorkerHost: null', () => new AutoencoderWorkerHost(null), 'INVALID_CONFIG', /worker must be a Worker.*null/],
    ['AutoencoderWorkerHost: a number', () => new AutoencoderWorkerHost(5), 'INVALID_CONFIG', /worker must be a Worker.*number/],
    ['AutoencoderWorkerHost: a plain object', () => new AutoencoderWorkerHost({}), 'INVALID_CONFIG', /worker must be a Worker/],
  ];
  const rows = calls.map(([name, call, code, pattern]) => {
    try {
      return { case: name, expected: code, pattern: pattern.source, returned: String(call()) };
    } catch (e) {
      return { case: name, expected: code, pattern: pattern.source, code: e?.code, errorName: e?.name, message: String(e?.message ?? e) };
    }
  });
  // And the good calls still work.
  const gray = toImageData(one, [1, 8, 8]);
  const host = new AutoencoderWorkerHost();
  const model = await WorkerAutoencoder.create(config, { backend: 'cpu', worker: host });
  const codes = (await model.encode(one)).length;
  host.terminate();
  return { rows, good: [gray.width, gray.height, codes] };
};
window.ready = init().then(() => true);
`;

let opened;
before(async () => {
  opened = await openPackagePage(PAGE_JS);
  await opened.page.waitForFunction(() => window.ready, null, { timeout: 60_000 });
});
after(async () => { await opened?.close(); });

function checkRows(rows, where) {
  assert.ok(rows.length >= 60, `${where}: at least 60 bad calls (${rows.length})`);
  const wrong = rows.filter((r) => r.code !== r.expected || !new RegExp(r.pattern).test(r.message) || r.errorName !== 'AutoencoderError');
  assert.deepEqual(wrong, [], `${where}: calls that did not reject with the documented code and message`);
  const broken = rows.filter((r) => r.afterwards.value !== 4);
  assert.deepEqual(broken, [], `${where}: the model must still encode after each bad call`);
}

test('bad calls on the direct class reject with the documented code, and the model stays usable', { timeout: 300_000 }, async () => {
  const rows = await opened.page.evaluate(() => window.runDirect());
  checkRows(rows, 'direct');
  console.log(`${rows.length} bad calls on Autoencoder, each followed by a good one`);
});

test('the same bad calls through the worker reject alone; the worker and its other models go on', { timeout: 300_000 }, async () => {
  const { rows, otherSteps } = await opened.page.evaluate(() => window.runWorker());
  checkRows(rows, 'worker');
  assert.equal(otherSteps, 2);
  console.log(`${rows.length} bad calls on WorkerAutoencoder, each followed by a good one`);
});

test('the synchronous functions (toImageData in both entries, new AutoencoderWorkerHost) throw typed errors for bad arguments', { timeout: 120_000 }, async () => {
  const { rows, good } = await opened.page.evaluate(() => window.runSync());
  const wrong = rows.filter((r) => r.code !== r.expected || !new RegExp(r.pattern).test(r.message) || r.errorName !== 'AutoencoderError');
  assert.deepEqual(wrong, [], 'calls that did not throw the documented code and message');
  assert.deepEqual(good, [8, 8, 4]);
});

for (const kind of ['direct', 'worker']) {
  test(`state errors (${kind}): INVALID_STATE, an aborted signal runs nothing, BUSY, one model's error beside another's training, dispose stops train`, { timeout: 120_000 }, async () => {
    const out = await opened.page.evaluate((k) => window.runState(k), kind);
    assert.equal(out.sampleUntrained.code, 'INVALID_STATE', JSON.stringify(out.sampleUntrained));
    assert.deepEqual(out.preAborted, { steps: 0, cancelled: true }, 'an already-aborted signal runs no step');
    assert.equal(out.secondTrain.code, 'BUSY', JSON.stringify(out.secondTrain));
    assert.equal(out.encodeWhileTraining.code, 'BUSY', JSON.stringify(out.encodeWhileTraining));
    assert.equal(out.otherBad.code, 'INVALID_DATA', JSON.stringify(out.otherBad));
    assert.equal(out.otherGood.value, 4, JSON.stringify(out.otherGood));
    assert.equal(out.running.code, 'DISPOSED', `a train running at dispose() rejects with DISPOSED: ${JSON.stringify(out.running)}`);
    assert.equal(out.afterDispose.code, 'DISPOSED');
    assert.equal(out.disposedFlag, true);
  });
}

test('disposal is one mechanism: dispose(), Symbol.dispose, using, and a terminated worker all end in DISPOSED', { timeout: 120_000 }, async () => {
  const out = await opened.page.evaluate(() => window.runDisposal());
  assert.deepEqual(out.symbolDispose, {
    disposed: true, busy: false, backend: 'cpu',
    call: out.symbolDispose.call, corrupt: out.symbolDispose.corrupt,
  });
  assert.equal(out.symbolDispose.call.code, 'DISPOSED');
  assert.equal(out.symbolDispose.corrupt.code, 'DISPOSED');
  assert.equal(out.scopedCodes, 4);
  assert.equal(out.usingDisposed, true, 'a `using` block disposes the model');
  assert.equal(out.disposedWhileTraining.code, 'DISPOSED');
  assert.ok(out.stepsAfterDispose <= 4, `training stops at its next step after dispose (${out.stepsAfterDispose} steps in all)`);
  for (const key of ['terminatedTrain', 'terminatedLater', 'workerDisposedTrain', 'workerDisposedLater']) {
    assert.equal(out[key].code, 'DISPOSED', `${key}: ${JSON.stringify(out[key])}`);
  }
  assert.deepEqual(opened.errors, []);
});

// The bench page's entry: the Node driver (bench/bench.mjs) opens this page once per row and calls
// `window.bench.*` through playwright. Everything measured runs here, in the page.
import { loadMnist } from '/www/mnist.js';
import { packageEngine, tfjsEngine } from './engines.js';
import { NETWORKS, TRAIN, INFER_BATCH, SEED } from './networks.js';
import { median, mean, round, perSecond } from './stats.js';

const toFloat = (u8) => Float32Array.from(u8, (v) => v / 255);

/** The fixed split (image i is a test image when i % 5 == 4), and the test batch as floats in [0, 1]. */
async function loadData() {
  const mnist = await loadMnist('/data/mnist.bin');
  // Spread over the test set so that every digit class is in the batch (the set is sorted by digit).
  return { split: mnist.train, test: toFloat(mnist.test.spread(INFER_BATCH).pixels) };
}

/**
 * The training images as floats: the whole train split, or `count` of them spread over it. (The
 * smoke run trains on a few: a non-variational model encodes its whole training set at the end of
 * every train call, which takes a minute for 8,000 images on a software GPU.)
 */
function trainingSet(split, count) {
  const pixels = count ? split.spread(count).pixels : split.pixels;
  return { pixels: toFloat(pixels), count: pixels.length / 784 };
}

/** BCE of a reconstruction in nats per image: the same figure for every framework, untimed. */
function reconstructionBce(x, y) {
  let sum = 0;
  for (let i = 0; i < x.length; i++) {
    const p = Math.min(Math.max(y[i], 1e-7), 1 - 1e-7);
    sum -= x[i] * Math.log(p) + (1 - x[i]) * Math.log(1 - p);
  }
  return sum / (x.length / 784);
}

/** `warm` untimed then `reps` timed calls of `fn`; the times of the timed ones, and the last result. */
async function timeCalls(fn, { warm, reps }) {
  for (let i = 0; i < warm; i++) await fn();
  const times = [];
  let last;
  for (let i = 0; i < reps; i++) {
    const start = performance.now();
    last = await fn();
    times.push(performance.now() - start);
  }
  return { times, last };
}

/** One repeat: a fresh model, trained `warm + steps` steps, then timed inference on the test batch. */
async function measureOnce(engine, name, data, settings) {
  const model = await engine.create(name);
  try {
    const trained = await model.train(data.train, settings);
    const inference = await timeCalls(() => model.reconstruct(data.test), { warm: settings.inferWarm, reps: settings.inferReps });
    const output = inference.last;
    if (output.length !== data.test.length) throw new Error(`reconstruct returned ${output.length} values for ${data.test.length}`);
    const stepMs = median(trained.stepMs);
    const callMs = median(inference.times);
    return {
      step_ms: stepMs,
      samples_per_s: perSecond(TRAIN.batchSize, stepMs),
      infer_ms: callMs,
      images_per_s: perSecond(INFER_BATCH, callMs),
      loss_first: trained.losses[0],
      loss_last10_mean: mean(trained.losses.slice(-10)),
      test_bce: reconstructionBce(data.test, output),
      model_backend: model.backend,
      adapter_info: model.adapterInfo,
      step_ms_all: trained.stepMs.map((t) => round(t, 2)),
      infer_ms_all: inference.times.map((t) => round(t, 2)),
      extra: trained.extra,
    };
  } finally {
    await model.dispose();
  }
}

/** Decimals kept of each figure of a run. */
const DIGITS = { step_ms: 3, samples_per_s: 1, infer_ms: 3, images_per_s: 1, loss_first: 3, loss_last10_mean: 3, test_bce: 3 };

const rounded = (run) => ({ ...run, ...Object.fromEntries(Object.entries(DIGITS).map(([key, digits]) => [key, round(run[key], digits)])) });

/** `repeats` fresh runs of one network; each figure is the median over the repeats. */
async function measureNetwork(engine, name, data, settings) {
  const runs = [];
  for (let r = 0; r < settings.repeats; r++) runs.push(await measureOnce(engine, name, data, settings));
  const med = (key) => round(median(runs.map((run) => run[key])), DIGITS[key]);
  return {
    network: name,
    label: NETWORKS[name].label,
    train_images: data.train.count,
    train_batch: TRAIN.batchSize,
    learning_rate: TRAIN.learningRate,
    warm_steps: settings.warm,
    timed_steps: settings.steps,
    steps_total: settings.warm + settings.steps,
    repeats: runs.length,
    train_step_ms: med('step_ms'),
    train_samples_per_s: med('samples_per_s'),
    infer_batch: INFER_BATCH,
    infer_ms: med('infer_ms'),
    infer_images_per_s: med('images_per_s'),
    loss_first: med('loss_first'),
    loss_last10_mean: med('loss_last10_mean'),
    test_bce: med('test_bce'),
    model_backend: runs[0].model_backend,
    adapter_info: runs[0].adapter_info,
    runs: runs.map(({ model_backend, adapter_info, ...run }) => rounded(run)),
  };
}

let dataPromise = null;
const data = () => (dataPromise ??= loadData());

function errorRecord(error) {
  return { error: String(error?.message ?? error), code: error?.code ?? null, stack: error?.stack ?? null };
}

/**
 * One row: a framework on a backend, every network in `spec.networks`. A failing network is recorded
 * (and the other still runs); a failing engine start fails the whole row.
 */
async function runRow(spec) {
  const { split, test } = await data();
  const d = { train: trainingSet(split, spec.settings.trainImages), test };
  const engine = spec.framework === 'tfjs' ? await tfjsEngine(spec.backend, d.train, spec.tfjsScript) : await packageEngine(spec.api, spec.backend);
  const networks = {};
  try {
    for (const name of spec.networks) {
      try {
        networks[name] = await measureNetwork(engine, name, d, spec.settings);
      } catch (error) {
        networks[name] = { network: name, label: NETWORKS[name].label, ...errorRecord(error) };
      }
    }
  } finally {
    engine.close();
  }
  return { engine: engine.info, networks };
}

/**
 * CPU inference of the package (`cpu`, this thread) and TF.js (`wasm`) alternated in one page:
 * the benchmark's rows (`runRow`, a page each) run minutes apart, and this machine's speed moves
 * in phases of tens of seconds (one page's `reconstruct` took about 9 ms for tens of calls, then
 * 14, then 9 again), so a ratio of two rows can be a ratio of two phases. Here each round times
 * `reps` calls of one framework and then of the other (the order swapped every round), so both
 * see the same phases; the figure is the median over rounds of each round's ratio. Each model
 * is first trained for 1 + `steps` steps and called `warm` times untimed (the values its
 * products see do not change their cost; training keeps the weights those of a trained net).
 */
async function interleavedInference(spec) {
  const { split, test } = await data();
  const train = trainingSet(split, spec.settings.trainImages);
  const engines = [await packageEngine('Autoencoder', 'cpu'), await tfjsEngine('wasm', train, spec.tfjsScript)];
  const { rounds, reps, warm, steps } = spec.settings;
  const networks = {};
  try {
    for (const name of spec.networks) {
      const models = [];
      try {
        for (const engine of engines) {
          const model = await engine.create(name);
          models.push(model);
          await model.train(train, { warm: 1, steps });
          for (let i = 0; i < warm; i++) await model.reconstruct(test);
        }
        const times = [[], []];
        const ratios = [];
        for (let r = 0; r < rounds; r++) {
          const order = r % 2 ? [1, 0] : [0, 1];
          const roundMs = [];
          for (const k of order) {
            const { times: t } = await timeCalls(() => models[k].reconstruct(test), { warm: 0, reps });
            times[k].push(...t);
            roundMs[k] = median(t);
          }
          ratios.push(roundMs[1] / roundMs[0]); // TF.js's time / the package's: > 1 when the package is faster
        }
        networks[name] = {
          network: name, label: NETWORKS[name].label,
          package_infer_ms: round(median(times[0]), 3), tfjs_infer_ms: round(median(times[1]), 3),
          package_images_per_s: round(perSecond(INFER_BATCH, median(times[0])), 1),
          tfjs_images_per_s: round(perSecond(INFER_BATCH, median(times[1])), 1),
          ratio: round(median(ratios), 3), round_ratios: ratios.map((x) => round(x, 3)),
        };
      } catch (error) {
        networks[name] = { network: name, label: NETWORKS[name].label, ...errorRecord(error) };
      } finally {
        for (const model of models) await model.dispose();
      }
    }
  } finally {
    for (const engine of engines) engine.close();
  }
  return { engines: engines.map((e) => e.info), networks };
}

/** What `navigator.gpu` offers this page: the adapter's info and whether it is a software fallback. */
async function adapterInfo() {
  if (!navigator.gpu) return { navigator_gpu: false };
  const adapter = await navigator.gpu.requestAdapter();
  if (!adapter) return { navigator_gpu: true, adapter: null };
  const info = adapter.info ?? {};
  const out = { navigator_gpu: true };
  for (const key of ['vendor', 'architecture', 'device', 'description']) out[key] = info[key] ?? null;
  out.isFallbackAdapter = info.isFallbackAdapter ?? adapter.isFallbackAdapter ?? null;
  out.features = [...adapter.features].sort();
  return out;
}

/**
 * Median delay of setTimeout(fn, 0) called from a timer callback, many levels deep: what a training
 * loop that yields with setTimeout(0) after each step pays per step (browsers clamp nested timers to
 * 4 ms after 5 levels).
 */
async function nestedTimeoutMs(levels = 40) {
  const delays = [];
  await new Promise((done) => {
    let last = performance.now();
    const tick = () => {
      const now = performance.now();
      delays.push(now - last);
      last = now;
      if (delays.length < levels) setTimeout(tick, 0);
      else done();
    };
    setTimeout(tick, 0);
  });
  return round(median(delays.slice(10)), 2);
}

// ---------------------------------------------------------------- memory (the package, direct, CPU)

// The driver reads the JS heap through the DevTools protocol between these calls; the wasm memory is
// read here, from the module's exports (what init() resolves to). The package is imported only here
// and in engines.js, so that the TF.js rows' pages never load it.
const memory = {
  wasm: null,
  Autoencoder: null,
  model: null,
  train: null,
  trained: 0,
  wasmBytes() { return this.wasm.memory.buffer.byteLength; },
  async start() {
    const pkg = await import('/pkg/index.js');
    this.wasm = await pkg.default();
    this.Autoencoder = pkg.Autoencoder;
    this.train = trainingSet((await data()).split); // before the first figure, so that it counts the data
    return { phase: 'after init', steps: 0, wasm_memory_bytes: this.wasmBytes() };
  },
  async create() {
    this.model = await this.Autoencoder.create(NETWORKS.vae.config, { backend: 'cpu', seed: SEED });
    return { phase: 'after create', steps: 0, wasm_memory_bytes: this.wasmBytes() };
  },
  /** Train on (resuming) until `total` steps in all. */
  async trainTo(total) {
    const steps = total - this.trained;
    const { train } = this;
    const started = performance.now();
    const history = await this.model.train(train.pixels, {
      ...TRAIN, epochs: Math.ceil(steps / Math.ceil(train.count / TRAIN.batchSize)), maxSteps: steps, seed: this.trained,
    });
    this.trained += history.steps;
    return {
      phase: `after ${this.trained} steps`, steps: this.trained, wasm_memory_bytes: this.wasmBytes(),
      train_s: round((performance.now() - started) / 1000, 2), loss_last: round(history.stepLosses.at(-1), 3),
    };
  },
};

window.bench = { runRow, interleavedInference, adapterInfo, nestedTimeoutMs, memory };
window.benchReady = true;

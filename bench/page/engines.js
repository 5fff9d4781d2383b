// The frameworks under test behind one small interface, so that one measuring loop (bench.js)
// serves every row:
//   engine = { info, create(networkName) -> model, close() }
//   model  = { train(data, { warm, steps }) -> { stepMs, losses, extra }, reconstruct(images), dispose() }
// `stepMs` holds the times of the timed steps only (the `warm` first steps are left out).
import { NETWORKS, TRAIN, SEED } from './networks.js';
import { makeVae, makeDae } from './tfjs-models.js';

const PKG = '/pkg/';
// TF.js's wasm backend fetches its .wasm files at start: served from the installed package.
const TFJS_WASM_DIR = '/node_modules/@tensorflow/tfjs-backend-wasm/dist/';

// ---------------------------------------------------------------- the package (direct and worker)

/** Epochs enough for `steps` optimiser steps (maxSteps ends the call there). */
function epochsFor(steps, count) {
  return Math.ceil(steps / Math.ceil(count / TRAIN.batchSize));
}

/**
 * One `train` call of `warm + steps` steps; a step's time is the gap between its onProgress event and
 * the one before (onProgress fires after each step), so it includes the package's own per-step work:
 * batch gather, upload, forward, backward, Adam, the loss readback and its yield to the event loop.
 */
async function trainPackageModel(model, data, { warm, steps }) {
  if (warm < 1) throw new Error('the package rows need at least one warm-up step (the first gap has no start)');
  const total = warm + steps;
  const stamps = [];
  const losses = [];
  let last = null;
  const history = await model.train(data.pixels, {
    ...TRAIN, epochs: epochsFor(total, data.count), maxSteps: total, seed: 0,
    onProgress: (p) => { stamps.push(performance.now()); losses.push(p.loss); last = p; },
  });
  if (history.steps !== total || stamps.length !== total) {
    throw new Error(`train ran ${history.steps} steps (${stamps.length} progress events), asked for ${total}`);
  }
  const stepMs = stamps.slice(warm).map((t, k) => t - stamps[warm - 1 + k]);
  // The package's own figure is cumulative since the call began (data conversion included): kept to compare.
  return { stepMs, losses, extra: { reportedSamplesPerSecond: last.samplesPerSecond } };
}

function packageModel(model) {
  return {
    backend: model.backend,
    adapterInfo: model.adapterInfo ?? null,
    train: (data, steps) => trainPackageModel(model, data, steps),
    reconstruct: (images) => model.reconstruct(images),
    dispose: () => model.dispose(),
  };
}

/** The package's model class: 'Autoencoder' (this thread) or 'WorkerAutoencoder' (the package's own module worker). */
async function packageClass(api) {
  if (api === 'Autoencoder') {
    const pkg = await import(`${PKG}index.js`);
    await pkg.default(); // init(): fetch and instantiate the wasm, once per page
    return pkg.Autoencoder;
  }
  if (api === 'WorkerAutoencoder') return (await import(`${PKG}client.js`)).WorkerAutoencoder; // its worker runs init()
  throw new Error(`unknown package API ${api}`);
}

export async function packageEngine(api, backend) {
  const Class = await packageClass(api);
  const pkgVersion = (await (await fetch(`${PKG}package.json`)).json()).version;
  return {
    info: { framework: 'autoencoders', version: pkgVersion, api },
    async create(name) {
      const model = await Class.create(NETWORKS[name].config, { backend, seed: SEED });
      // Guard against a silent fallback: a row must run where it says it runs.
      if (model.backend !== backend) {
        await model.dispose();
        throw new Error(`asked for backend '${backend}', the package chose '${model.backend}'`);
      }
      return packageModel(model);
    },
    close() {},
  };
}

// ---------------------------------------------------------------- TF.js

function loadScript(src) {
  return new Promise((resolve, reject) => {
    const script = document.createElement('script');
    script.src = src;
    script.onload = resolve;
    script.onerror = () => reject(new Error(`could not load ${src}`));
    document.head.append(script);
  });
}

async function describeTfjsBackend(tf, backend) {
  const info = { framework: 'tfjs', version: tf.version_core, active_backend: tf.getBackend() };
  if (backend === 'wasm') {
    info.wasm_simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
    info.wasm_multithread = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
    info.wasm_threads = tf.wasm.getThreadsCount?.() ?? null;
  } else if (backend === 'webgl') {
    const gl = tf.backend().gpgpu?.gl;
    const ext = gl?.getExtension('WEBGL_debug_renderer_info');
    info.webgl_version = tf.env().getNumber('WEBGL_VERSION');
    info.webgl_renderer = gl ? gl.getParameter(ext ? ext.UNMASKED_RENDERER_WEBGL : gl.RENDERER) : null;
  } else if (backend === 'webgpu') {
    const adapter = tf.backend().adapterInfo;
    info.adapter_info = adapter ? JSON.parse(JSON.stringify(adapter)) : null;
  }
  return info;
}

/** Seeded PRNG (mulberry32) for the batch order: reproducible, independent of TF.js's own. */
function mulberry32(seed) {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Batch indices from a fresh shuffle each epoch, as the package draws them (the split is sorted by
 * digit, so unshuffled slices would train on one digit at a time). Full batches only.
 */
function batchOrder(count, batch, seed = 0) {
  const rand = mulberry32(seed);
  const order = Int32Array.from({ length: count }, (_, i) => i);
  const perEpoch = Math.floor(count / batch);
  let k = 0;
  return () => {
    if (k % perEpoch === 0) {
      for (let i = count - 1; i > 0; i--) {
        const j = Math.floor(rand() * (i + 1));
        [order[i], order[j]] = [order[j], order[i]];
      }
    }
    const start = (k++ % perEpoch) * batch;
    return order.subarray(start, start + batch);
  };
}

function tfjsModel(tf, name, dataTensor) {
  const net = (name === 'vae' ? makeVae : makeDae)(tf, { seed: SEED });
  const optimizer = tf.train.adam(TRAIN.learningRate);
  const next = batchOrder(dataTensor.shape[0], TRAIN.batchSize);
  // One step = gather the batch on the backend, forward, backward, Adam, and one loss readback
  // (the package also reads its loss back every step).
  const step = async () => {
    const indices = tf.tensor1d(next(), 'int32');
    const lossTensor = tf.tidy(() => optimizer.minimize(() => net.loss(tf.gather(dataTensor, indices)), true, net.vars));
    const [loss] = await lossTensor.data();
    tf.dispose([lossTensor, indices]);
    return loss;
  };
  return {
    backend: tf.getBackend(),
    adapterInfo: null,
    // The images are already on the backend (dataTensor), so the `data` argument is not needed here.
    async train(_data, { warm, steps }) {
      const stepMs = [];
      const losses = [];
      for (let i = 0; i < warm + steps; i++) {
        const start = performance.now();
        losses.push(await step());
        if (i >= warm) stepMs.push(performance.now() - start);
      }
      return { stepMs, losses, extra: { numTensors: tf.memory().numTensors } };
    },
    async reconstruct(images) {
      const out = tf.tidy(() => net.reconstruct(tf.tensor2d(images, [images.length / 784, 784])));
      const values = await out.data();
      out.dispose();
      return values;
    },
    dispose() {
      net.dispose();
      optimizer.dispose();
    },
  };
}

/**
 * TF.js on `backend` ('wasm' | 'webgl' | 'webgpu'), holding the training images as one tensor.
 * `script`: the bundle of bench/tfjs/entry.js (defines window.tf), loaded only on the rows that use it.
 */
export async function tfjsEngine(backend, data, script) {
  await loadScript(script);
  const { tf } = window;
  if (backend === 'wasm') {
    // The .wasm files are served from node_modules; one thread, as the package's CPU backend uses.
    tf.wasm.setWasmPaths(TFJS_WASM_DIR);
    tf.wasm.setThreadsCount?.(1);
  }
  if (!(await tf.setBackend(backend))) throw new Error(`TF.js could not start its '${backend}' backend`);
  await tf.ready();
  const dataTensor = tf.tensor2d(data.pixels, [data.count, 784]);
  return {
    info: await describeTfjsBackend(tf, backend),
    create: async (name) => tfjsModel(tf, name, dataTensor),
    close: () => dataTensor.dispose(),
  };
}

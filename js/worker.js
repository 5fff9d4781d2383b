// The package's worker entry: runs Autoencoder models off the main thread. Started by client.js;
// speaks a small request/response protocol:
//   -> { id, method, args, aborted }  <- { id, result } | { id, error: { name, message, code, cause } }
//   -> { id, method: 'abort' }        (aborts the train call with that id)
//   <- { id, progress } / { id, epoch } while a train call runs
// Models live here, addressed by a handle; typed-array results are transferred, not copied.
import init, { Autoencoder } from './index.js';

// Start loading the module now; each call awaits it (and retries if this attempt failed).
init().catch(() => {});
const models = new Map();
const aborts = new Map();
let nextHandle = 1;

function serializeError(error) {
  const cause = error?.cause;
  return {
    name: error?.name ?? 'Error', message: error?.message ?? String(error), code: error?.code ?? 'BACKEND',
    ...(cause === undefined ? {} : { cause: cause instanceof Error ? cause.message : String(cause) }),
  };
}

function describe(handle, model) {
  return {
    handle, backend: model.backend, adapterInfo: model.adapterInfo, backendReason: model.backendReason, config: model.config,
    latentSize: model.latentSize, inputSize: model.inputSize, inputShape: model.inputShape,
  };
}

function modelFor(handle) {
  const model = models.get(handle);
  if (!model) throw Object.assign(new Error('this model was disposed; create or load a new one'), { name: 'AutoencoderError', code: 'DISPOSED' });
  return model;
}

const methods = {
  async create(config, options) {
    const model = await Autoencoder.create(config, options);
    const handle = nextHandle++;
    models.set(handle, model);
    return describe(handle, model);
  },
  async load(bytes, options) {
    const model = await Autoencoder.load(bytes, options);
    const handle = nextHandle++;
    models.set(handle, model);
    return describe(handle, model);
  },
  async train(id, handle, data, options) {
    if (options != null && (typeof options !== 'object' || Array.isArray(options))) {
      throw Object.assign(new Error('options must be an object'), { name: 'AutoencoderError', code: 'INVALID_CONFIG' });
    }
    return modelFor(handle).train(data, {
      ...options,
      signal: aborts.get(id).signal,
      onProgress: (progress) => postMessage({ id, progress }),
      onEpoch: (epoch) => postMessage({ id, epoch }),
    });
  },
  dispose(handle) {
    models.get(handle)?.dispose();
    models.delete(handle);
  },
};

for (const name of ['save', 'encode', 'decode', 'reconstruct', 'denoise', 'corrupt', 'sample', 'inpaint', 'interpolate']) {
  methods[name] = (handle, ...args) => modelFor(handle)[name](...args);
}

self.onmessage = async ({ data: { id, method, args = [], aborted = false } }) => {
  if (method === 'abort') {
    aborts.get(id)?.abort();
    return;
  }
  // Registered on arrival, before any await: an abort sent right after the call finds it.
  if (method === 'train') {
    const controller = new AbortController();
    if (aborted) controller.abort();
    aborts.set(id, controller);
  }
  try {
    await init();
    const fn = methods[method];
    if (!fn) throw new Error(`unknown method ${method}`);
    const result = method === 'train' ? await fn(id, ...args) : await fn(...args);
    const transfer = ArrayBuffer.isView(result) ? [result.buffer] : [];
    postMessage({ id, result }, transfer);
  } catch (error) {
    postMessage({ id, error: serializeError(error) });
  } finally {
    aborts.delete(id);
  }
};

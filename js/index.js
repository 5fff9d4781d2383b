// The package's main entry: `Autoencoder`, the JS face of the wasm class (`AutoencoderCore`).
//
// The wasm class does the work and validates every argument; this layer gives the guarantees a
// wasm-bindgen class cannot give by itself:
// - one disposal mechanism: `dispose()` and `[Symbol.dispose]()` are the same call, later calls
//   reject with `DISPOSED` (a freed wasm-bindgen object would throw "null pointer passed to
//   rust" instead), and the wasm memory is freed once no call is using it;
// - every failure is an `AutoencoderError` with a `code`, as a rejected promise (never a
//   synchronous throw from an async method, never a promise left pending);
// - `init()` is optional: the first call starts the module (in Node.js too: see node.js).
import initWasm, { AutoencoderCore, initSync, setPanicListener } from './autoencoders.js';
import { wasmSource } from './wasm-source.js';

export { initSync };
export { toImageData } from './images.js';

let started = null;
/** Set once the module has stopped after an internal error (a Rust panic aborts the module). */
let broken = null;
/** Rejecters of every call in flight, so that a panic settles them all instead of leaving them pending. */
const inFlight = new Set();

function codedError(code, message, cause) {
  const error = new Error(message, cause === undefined ? undefined : { cause });
  error.name = 'AutoencoderError';
  error.code = code;
  return error;
}

function disposedError() {
  return codedError('DISPOSED', 'this model was disposed; create or load a new one');
}

/** Any thrown value as an `AutoencoderError`: typed errors from the module pass through. */
function typed(error) {
  if (error instanceof Error && error.name === 'AutoencoderError' && typeof error.code === 'string') return error;
  if (broken) return broken;
  const said = error instanceof Error ? error.message : String(error);
  return codedError('BACKEND', `internal error in autoencoders: ${said}`, error);
}

/**
 * Start the module (fetch and compile the .wasm). Optional: every entry point calls it. Pass
 * `{ module_or_path }` to load the .wasm from somewhere else.
 */
export default function init(options) {
  started ??= initWasm(options ?? wasmSource.get()).then((exports) => {
    setPanicListener((message) => {
      broken = codedError('BACKEND', `autoencoders stopped after an internal error (${message}); reload the page or start a new worker`);
      for (const reject of inFlight) reject(broken);
      inFlight.clear();
    });
    return exports;
  }, (error) => {
    // Not started (the .wasm could not be fetched or compiled): a later call may try again.
    started = null;
    const said = error instanceof Error ? error.message : String(error);
    throw codedError('BACKEND', `the autoencoders module could not be loaded (${said}); check that autoencoders_bg.wasm is served beside the package's JavaScript`, error);
  });
  return started;
}

/** Run `work` as one call: typed errors, and settled even if the module panics meanwhile. */
async function call(work) {
  await init();
  if (broken) throw broken;
  let reject;
  const stopped = new Promise((_, r) => { reject = r; });
  inFlight.add(reject);
  try {
    return await Promise.race([work(), stopped]);
  } catch (error) {
    throw typed(error);
  } finally {
    inFlight.delete(reject);
  }
}

const CONSTRUCT = Symbol('construct');

/** An autoencoder that trains and runs in the browser (or Node.js), on WebGPU or on the CPU. */
export class Autoencoder {
  #core;
  #calls = 0;
  #disposed = false;
  #info;

  constructor(token, core) {
    if (token !== CONSTRUCT) throw codedError('INVALID_STATE', 'use `await Autoencoder.create(config)` or `await Autoencoder.load(bytes)`');
    this.#core = core;
    // Fixed for the model's life: read once, so they stay readable after dispose().
    this.#info = {
      backend: core.backend, adapterInfo: core.adapterInfo, backendReason: core.backendReason,
      config: core.config, latentSize: core.latentSize, inputSize: core.inputSize, inputShape: core.inputShape,
    };
  }

  /** Create a model: `await Autoencoder.create(config, { backend, seed })`. */
  static create(config, options) {
    return call(async () => new Autoencoder(CONSTRUCT, await AutoencoderCore.create(config, options)));
  }

  /** Load a model saved with `save()`: `await Autoencoder.load(bytes, { backend })`. */
  static load(bytes, options) {
    return call(async () => new Autoencoder(CONSTRUCT, await AutoencoderCore.load(bytes, options)));
  }

  get backend() { return this.#info.backend; }
  get adapterInfo() { return this.#info.adapterInfo; }
  get backendReason() { return this.#info.backendReason; }
  get config() { return structuredClone(this.#info.config); }
  get latentSize() { return this.#info.latentSize; }
  get inputSize() { return this.#info.inputSize; }
  get inputShape() { return [...this.#info.inputShape]; }
  get disposed() { return this.#disposed; }
  get busy() { return !this.#disposed && !broken && this.#core.busy; }

  /** One method call on the wasm object: refused once disposed, counted so free() waits for it. */
  #use(method, ...args) {
    if (this.#disposed) return Promise.reject(disposedError());
    this.#calls++;
    return call(() => this.#core[method](...args)).finally(() => {
      this.#calls--;
      this.#freeIfIdle();
    });
  }

  train(data, options) { return this.#use('train', data, options); }
  save() { return this.#use('save'); }
  encode(images) { return this.#use('encode', images); }
  decode(codes) { return this.#use('decode', codes); }
  reconstruct(images) { return this.#use('reconstruct', images); }
  denoise(images) { return this.#use('denoise', images); }
  sample(n, options) { return this.#use('sample', n, options); }
  inpaint(images, mask, options) { return this.#use('inpaint', images, mask, options); }
  interpolate(a, b, steps, options) { return this.#use('interpolate', a, b, steps, options); }

  /** A corrupted copy of images (for demos and evaluation), seeded. Synchronous. */
  corrupt(images, corruption, seed) {
    if (this.#disposed) throw disposedError();
    if (broken) throw broken;
    try {
      return this.#core.corrupt(images, corruption, seed);
    } catch (error) {
      throw typed(error);
    }
  }

  /**
   * Free the model's memory (GPU buffers included). Later calls reject with `DISPOSED`; a
   * `train` in progress stops at its next step and rejects with `DISPOSED`; other calls in
   * progress finish first. Calling it again does nothing.
   */
  dispose() {
    if (this.#disposed) return;
    this.#disposed = true;
    if (!broken) this.#core.dispose();
    this.#freeIfIdle();
  }

  [Symbol.dispose ?? Symbol.for('Symbol.dispose')]() {
    this.dispose();
  }

  #freeIfIdle() {
    if (this.#disposed && this.#calls === 0 && this.#core && !broken) {
      this.#core.free();
      this.#core = null;
    }
  }
}

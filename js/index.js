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
//
// The crate is built three times: `autoencoders_bg.wasm` runs models on the CPU (0.8 MB gzip);
// `autoencoders_relaxed_bg.wasm` is the same module with wasm's relaxed SIMD in its matrix
// kernel, with its own JavaScript (wasm-bindgen's glue names functions by their index, which
// differs between builds), loaded instead where the engine validates relaxed SIMD; one of the two
// is what every page loads; `autoencoders_webgpu_bg.wasm` adds burn's WebGPU backend (5.2 MB gzip)
// and is fetched only for a model that asks for WebGPU, or for `auto` when the browser offers a
// hardware adapter (`auto` takes the CPU on a software one anyway). A model lives in one module.
import * as cpuModule from './autoencoders.js';
import * as relaxedModule from './autoencoders_relaxed.js';
// Imported statically (its JavaScript is 13 KB gzip and fetches nothing until started): a dynamic
// import would need code splitting in the worker bundle, which Vite's default worker format lacks.
import * as webgpuModule from './autoencoders_webgpu.js';
import { wasmSource, relaxedSimd } from './wasm-source.js';

/** wasm-bindgen's `initSync` for the plain CPU build (`autoencoders_bg.wasm`), which models then use. */
export function initSync(options) {
  cpu.startedSync = true;
  return cpuModule.initSync(options);
}
export { toImageData } from './images.js';

function codedError(code, message, cause) {
  const error = new Error(message, cause === undefined ? undefined : { cause });
  error.name = 'AutoencoderError';
  error.code = code;
  return error;
}

function disposedError() {
  return codedError('DISPOSED', 'this model was disposed; create or load a new one');
}

function messageOf(error) {
  return error instanceof Error ? error.message : String(error);
}

/** One of the two wasm modules: started once, and stopped for good if it panics. */
class Runtime {
  /** Set once the module has stopped after an internal error (a Rust panic aborts the module). */
  broken = null;
  /** The module's `AutoencoderCore` class, once started. */
  Core = null;
  #started = null;
  /** Rejecters of every call in flight, so that a panic settles them all instead of leaving them pending. */
  #inFlight = new Set();

  /**
   * `name`: the module's file stem; `glue`: its wasm-bindgen JS module; `relaxed`: the same
   * module built with relaxed SIMD (`{ name, glue }`: a build has its own JavaScript), started
   * instead where this engine validates relaxed SIMD.
   */
  constructor(name, glue, relaxed) {
    this.name = name;
    this.glue = glue;
    this.relaxed = relaxedSimd ? relaxed : undefined;
    /** Where `start()` without arguments gets the .wasm from, if not its usual place (`init` sets it). */
    this.source = undefined;
    /** Set by `initSync`: the plain build was started by hand, so it is the one to use. */
    this.startedSync = false;
  }

  /**
   * Start the module from `input` (wasm-bindgen's init argument), or from its usual place: the
   * relaxed-SIMD build where there is one for this engine, and the plain one should that fail
   * to load (e.g. a bundle that copied only the plain .wasm). Returns `[glue, its exports]`.
   */
  async #load(input) {
    const chosen = input ?? this.source;
    if (chosen === undefined && this.relaxed && !this.startedSync) {
      const { name, glue } = this.relaxed;
      try {
        return [glue, await glue.default(wasmSource.get(name))];
      } catch {
        // The plain build, below.
      }
    }
    return [this.glue, await this.glue.default(chosen ?? wasmSource.get(this.name))];
  }

  start(input) {
    this.#started ??= this.#load(input).then(([glue, exports]) => {
      glue.setPanicListener((message) => {
        this.broken = codedError('BACKEND', `autoencoders stopped after an internal error (${message}); reload the page or start a new worker`);
        for (const reject of this.#inFlight) reject(this.broken);
        this.#inFlight.clear();
      });
      this.Core = glue.AutoencoderCore;
      return exports;
    }).catch((error) => {
      // Not started (the .wasm could not be fetched or compiled): a later call may try again.
      this.#started = null;
      throw codedError('BACKEND', `the autoencoders module could not be loaded (${messageOf(error)}); check that ${this.name}_bg.wasm is served beside the package's JavaScript`, error);
    });
    return this.#started;
  }

  /** Any thrown value as an `AutoencoderError`: typed errors from the module pass through. */
  typed(error) {
    if (error instanceof Error && error.name === 'AutoencoderError' && typeof error.code === 'string') return error;
    if (this.broken) return this.broken;
    return codedError('BACKEND', `internal error in autoencoders: ${messageOf(error)}`, error);
  }

  /** Run `work` as one call: typed errors, and settled even if the module panics meanwhile. */
  async call(work) {
    try {
      await this.start();
    } catch (error) {
      throw this.typed(error);
    }
    if (this.broken) throw this.broken;
    let reject;
    const stopped = new Promise((_, r) => { reject = r; });
    this.#inFlight.add(reject);
    try {
      return await Promise.race([work(), stopped]);
    } catch (error) {
      throw this.typed(error);
    } finally {
      this.#inFlight.delete(reject);
    }
  }
}

const cpu = new Runtime('autoencoders', cpuModule, { name: 'autoencoders_relaxed', glue: relaxedModule });
const webgpu = new Runtime('autoencoders_webgpu', webgpuModule);

/**
 * Start the CPU module (fetch and compile the .wasm). Optional: every entry point calls it. Pass
 * `{ module_or_path }` to load the plain CPU build (`autoencoders_bg.wasm`) from somewhere else
 * (it is then the one used), and `webgpu_module_or_path` for `autoencoders_webgpu_bg.wasm`
 * (fetched on the first WebGPU model).
 */
export default function init(options) {
  if (options !== null && typeof options === 'object' && 'webgpu_module_or_path' in options) {
    const { webgpu_module_or_path: webgpuSource, ...rest } = options;
    webgpu.source = { module_or_path: webgpuSource };
    options = 'module_or_path' in rest ? rest : undefined;
  }
  return cpu.start(options);
}

/** What WebGPU this host offers: 'none', 'fallback' (a software adapter) or 'hardware'. */
let adapterProbe = null;
let probedGpu = null;
function webgpuAdapterKind() {
  let gpu;
  try {
    gpu = globalThis.navigator?.gpu;
  } catch {
    gpu = undefined;
  }
  if (typeof gpu?.requestAdapter !== 'function') return Promise.resolve('none');
  // Asked once per `navigator.gpu` (in Node.js a script may install one later).
  if (gpu !== probedGpu) {
    probedGpu = gpu;
    adapterProbe = Promise.resolve().then(() => gpu.requestAdapter()).then((adapter) => {
      if (!adapter) return 'none';
      return (adapter.info?.isFallbackAdapter ?? adapter.isFallbackAdapter) ? 'fallback' : 'hardware';
    }, () => 'none');
  }
  return adapterProbe;
}

/**
 * The module a new model goes to, for its options: the WebGPU module when WebGPU is asked for
 * and there is an adapter, or for `auto` (the default) on a hardware adapter, or for either once
 * that module is loaded; else the CPU module, which also answers a bad `backend` value, or
 * `webgpu` without an adapter, with its typed error. `reason` is set when `auto` takes the CPU
 * for a reason the modules cannot see.
 */
async function placement(options) {
  let backend;
  try {
    backend = options !== null && typeof options === 'object' ? options.backend : undefined;
  } catch {
    backend = undefined;
  }
  if (backend !== 'webgpu' && backend !== 'auto' && backend !== undefined) return { runtime: cpu, options };
  // Once loaded, the WebGPU module answers for itself: it knows whether its device was lost.
  if (webgpu.Core) return { runtime: webgpu, options };
  const adapter = await webgpuAdapterKind();
  if (backend === 'webgpu') return { runtime: adapter === 'none' ? cpu : webgpu, options };
  if (adapter !== 'hardware') return { runtime: cpu, options };
  try {
    await webgpu.start();
    return { runtime: webgpu, options };
  } catch (error) {
    const reason = `auto chose the CPU: the WebGPU module could not be loaded (${messageOf(error)})`;
    console.info(`autoencoders: ${reason}`);
    return { runtime: cpu, options: { ...options, backend: 'cpu' }, reason };
  }
}

/** A new model from `make(Core, options)` in the module its options choose. */
async function place(options, make) {
  const where = await placement(options);
  return where.runtime.call(async () => new Autoencoder(CONSTRUCT, where.runtime, await make(where.runtime.Core, where.options), where.reason));
}

const CONSTRUCT = Symbol('construct');

/** An autoencoder that trains and runs in the browser (or Node.js), on WebGPU or on the CPU. */
export class Autoencoder {
  #runtime;
  #core;
  #calls = 0;
  #disposed = false;
  #info;

  constructor(token, runtime, core, reason) {
    if (token !== CONSTRUCT) throw codedError('INVALID_STATE', 'use `await Autoencoder.create(config)` or `await Autoencoder.load(bytes)`');
    this.#runtime = runtime;
    this.#core = core;
    // Fixed for the model's life: read once, so they stay readable after dispose().
    this.#info = {
      backend: core.backend, adapterInfo: core.adapterInfo, backendReason: reason ?? core.backendReason,
      config: core.config, latentSize: core.latentSize, inputSize: core.inputSize, inputShape: core.inputShape,
    };
  }

  /** Create a model: `await Autoencoder.create(config, { backend, seed })`. */
  static create(config, options) {
    return place(options, (Core, placed) => Core.create(config, placed));
  }

  /** Load a model saved with `save()`: `await Autoencoder.load(bytes, { backend })`. */
  static load(bytes, options) {
    return place(options, (Core, placed) => Core.load(bytes, placed));
  }

  get backend() { return this.#info.backend; }
  get adapterInfo() { return this.#info.adapterInfo; }
  get backendReason() { return this.#info.backendReason; }
  get config() { return structuredClone(this.#info.config); }
  get latentSize() { return this.#info.latentSize; }
  get inputSize() { return this.#info.inputSize; }
  get inputShape() { return [...this.#info.inputShape]; }
  get disposed() { return this.#disposed; }
  get busy() { return !this.#disposed && !this.#runtime.broken && this.#core.busy; }

  /** One method call on the wasm object: refused once disposed, counted so free() waits for it. */
  #use(method, ...args) {
    if (this.#disposed) return Promise.reject(disposedError());
    this.#calls++;
    return this.#runtime.call(() => this.#core[method](...args)).finally(() => {
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
    if (this.#runtime.broken) throw this.#runtime.broken;
    try {
      return this.#core.corrupt(images, corruption, seed);
    } catch (error) {
      throw this.#runtime.typed(error);
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
    if (!this.#runtime.broken) this.#core.dispose();
    this.#freeIfIdle();
  }

  [Symbol.dispose ?? Symbol.for('Symbol.dispose')]() {
    this.dispose();
  }

  #freeIfIdle() {
    if (this.#disposed && this.#calls === 0 && this.#core && !this.#runtime.broken) {
      this.#core.free();
      this.#core = null;
    }
  }
}

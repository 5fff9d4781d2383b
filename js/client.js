// The main-thread side of the worker API: the same methods as `Autoencoder`, each running in a
// dedicated Web Worker so that training never blocks the page.
//
//   import { WorkerAutoencoder } from 'autoencoders/worker';
//   const model = await WorkerAutoencoder.create({ latent: 16 }, { backend: 'auto' });
//   await model.train(pixels, { epochs: 3, onProgress: (p) => console.log(p.loss), signal });
//
// One worker per model by default; pass { worker } to share one.

export { toImageData } from './images.js';

let nextId = 1;

function codedError(code, message, cause) {
  return Object.assign(new Error(message, cause === undefined ? undefined : { cause }), { name: 'AutoencoderError', code });
}

function disposedError() {
  return codedError('DISPOSED', 'this model was disposed; create or load a new one');
}

function rebuildError({ name, message, code, cause }) {
  return Object.assign(new Error(message, cause === undefined ? undefined : { cause }), { name, code });
}

/** `options` as an object (`undefined` / `null`: none), or an `INVALID_CONFIG` error. */
function optionsObject(options) {
  if (options == null) return {};
  if (typeof options !== 'object' || Array.isArray(options)) {
    throw codedError('INVALID_CONFIG', `options must be an object, got ${Array.isArray(options) ? 'an array' : typeof options}`);
  }
  return options;
}

/** The train options that stay on this thread (callbacks, signal), checked as the direct class checks them. */
function localTrainOptions({ onProgress, onEpoch, signal, ...rest }) {
  for (const [name, f] of [['onProgress', onProgress], ['onEpoch', onEpoch]]) {
    if (f != null && typeof f !== 'function') throw codedError('INVALID_CONFIG', `options.${name} must be a function`);
  }
  if (signal != null && typeof signal?.aborted !== 'boolean') {
    throw codedError('INVALID_CONFIG', 'options.signal must be an AbortSignal (from new AbortController().signal)');
  }
  return { local: { onProgress: onProgress ?? undefined, onEpoch: onEpoch ?? undefined, signal: signal ?? undefined }, rest };
}

/** A worker that runs autoencoders models; several models may share one. */
export class AutoencoderWorkerHost {
  /** `worker`: a Worker running this package's worker.js (by default, one is started). */
  constructor(worker) {
    if (worker !== undefined && (worker === null || typeof worker !== 'object' || typeof worker.postMessage !== 'function' || typeof worker.terminate !== 'function')) {
      throw codedError('INVALID_CONFIG', `new AutoencoderWorkerHost(worker): worker must be a Worker running autoencoders/worker.js, or left out to start one, got ${worker === null ? 'null' : typeof worker}`);
    }
    worker ??= new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
    this.worker = worker;
    this.pending = new Map();
    worker.onmessage = ({ data }) => {
      const call = this.pending.get(data.id);
      if (!call) return;
      if ('progress' in data) return this.#callback(data.id, call, 'onProgress', data.progress);
      if ('epoch' in data) return this.#callback(data.id, call, 'onEpoch', data.epoch);
      this.pending.delete(data.id);
      call.release();
      if (call.callbackError) call.reject(call.callbackError);
      else if (data.error) call.reject(rebuildError(data.error));
      else call.resolve(data.result);
    };
    // Reached only when the worker itself fails (its script did not load, or the module
    // stopped): every call handles its own errors. Nothing it holds can be trusted after that.
    const fail = (what) => {
      this.failed = codedError('BACKEND', `the autoencoders worker failed (${what}); create the model again (from its last save())`);
      this.#settleAll(this.failed);
    };
    worker.onerror = (event) => { event.preventDefault?.(); fail(event.message ?? 'unknown error'); };
    worker.onmessageerror = () => fail('a reply could not be read');
  }

  /** Runs a train callback; one that throws stops the training, whose call rejects with `CALLBACK`. */
  #callback(id, call, name, event) {
    if (call.callbackError || !call[name]) return;
    try {
      call[name](event);
    } catch (thrown) {
      const said = thrown instanceof Error ? thrown.message : String(thrown);
      call.callbackError = codedError('CALLBACK', `options.${name} threw, so training stopped (the weights so far are kept): ${said}`, thrown);
      this.worker.postMessage({ id, method: 'abort' });
    }
  }

  #settleAll(error) {
    for (const call of this.pending.values()) {
      call.release();
      call.reject(error);
    }
    this.pending.clear();
  }

  call(method, args, { onProgress, onEpoch, signal, transfer = [] } = {}) {
    const id = nextId++;
    if (this.terminated) return Promise.reject(disposedError());
    if (this.failed) return Promise.reject(this.failed);
    return new Promise((resolve, reject) => {
      try {
        // A signal aborted already travels with the call, so that not even one step runs.
        this.worker.postMessage({ id, method, args, aborted: signal?.aborted === true }, transfer);
      } catch (error) {
        // Arguments that cannot be copied to a worker (functions, DOM nodes, class instances).
        reject(codedError('INVALID_DATA', `an argument of ${method}() cannot be sent to the worker: ${error.message}`, error));
        return;
      }
      // Posted after the call itself, so the worker always knows the call it aborts; the
      // listener goes when the call settles (a long-lived signal would otherwise keep them all).
      const abort = () => this.worker.postMessage({ id, method: 'abort' });
      if (signal && !signal.aborted) signal.addEventListener('abort', abort, { once: true });
      const release = () => signal?.removeEventListener('abort', abort);
      this.pending.set(id, { resolve, reject, onProgress, onEpoch, release });
    });
  }

  /** Stop the worker: calls still waiting, and later calls of its models, reject with DISPOSED. */
  terminate() {
    if (this.terminated) return;
    this.terminated = true;
    this.worker.terminate();
    this.#settleAll(disposedError());
  }
}

/** `Autoencoder`'s API, run in a Web Worker. */
export class WorkerAutoencoder {
  constructor(host, info, ownsHost) {
    this.host = host;
    this.handle = info.handle;
    this.backend = info.backend;
    this.adapterInfo = info.adapterInfo;
    this.backendReason = info.backendReason;
    this.config = info.config;
    this.latentSize = info.latentSize;
    this.inputSize = info.inputSize;
    this.inputShape = info.inputShape;
    this.ownsHost = ownsHost;
    this.disposed = false;
    this.busy = false;
  }

  static create(config, options) {
    return WorkerAutoencoder.#start('create', config, options);
  }

  static load(bytes, options) {
    return WorkerAutoencoder.#start('load', bytes, options);
  }

  static async #start(method, first, options) {
    const { worker, ...rest } = optionsObject(options);
    if (worker != null && !(worker instanceof AutoencoderWorkerHost)) {
      throw codedError('INVALID_CONFIG', 'options.worker must be an AutoencoderWorkerHost');
    }
    const host = worker ?? new AutoencoderWorkerHost();
    try {
      const info = await host.call(method, [first, rest]);
      return new WorkerAutoencoder(host, info, !worker);
    } catch (error) {
      if (!worker) host.terminate();
      throw error;
    }
  }

  async train(data, options) {
    const { local, rest } = localTrainOptions(optionsObject(options));
    this.busy = true;
    try {
      return await this.call('train', [data, rest], local);
    } finally {
      this.busy = false;
    }
  }

  call(method, args, options) {
    if (this.disposed) return Promise.reject(disposedError());
    return this.host.call(method, [this.handle, ...args], options);
  }

  save() { return this.call('save', []); }
  encode(images) { return this.call('encode', [images]); }
  decode(codes) { return this.call('decode', [codes]); }
  reconstruct(images) { return this.call('reconstruct', [images]); }
  denoise(images) { return this.call('denoise', [images]); }
  corrupt(images, corruption, seed) { return this.call('corrupt', [images, corruption, seed]); }
  sample(n, options) { return this.call('sample', [n, options]); }
  inpaint(images, mask, options) { return this.call('inpaint', [images, mask, options]); }
  interpolate(a, b, steps, options) { return this.call('interpolate', [a, b, steps, options]); }

  /**
   * Free the model; with its own worker, stop the worker too. Later calls reject with
   * DISPOSED; a running `train` stops at its next step and rejects with DISPOSED; other calls
   * already sent finish first.
   */
  async dispose() {
    if (this.disposed) return;
    this.disposed = true;
    // The worker handles messages in order, so 'dispose' runs after the calls sent before it.
    try {
      await this.host.call('dispose', [this.handle]);
    } catch {
      // A worker that was terminated or failed holds nothing any more: disposed either way.
    } finally {
      if (this.ownsHost) this.host.terminate();
    }
  }

  [Symbol.dispose ?? Symbol.for('Symbol.dispose')]() {
    void this.dispose();
  }

  [Symbol.asyncDispose ?? Symbol.for('Symbol.asyncDispose')]() {
    return this.dispose();
  }
}

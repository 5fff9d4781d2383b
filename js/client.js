// The main-thread side of the worker API: the same methods as `Autoencoder`, each running in a
// dedicated Web Worker so that training never blocks the page.
//
//   import { WorkerAutoencoder } from 'autoencoders/worker';
//   const model = await WorkerAutoencoder.create({ latent: 16 }, { backend: 'auto' });
//   await model.train(pixels, { epochs: 3, onProgress: (p) => console.log(p.loss), signal });
//
// One worker per model by default; pass { worker } to share one.

let nextId = 1;

function disposedError() {
  return Object.assign(new Error('this model was disposed; create or load a new one'), { name: 'AutoencoderError', code: 'DISPOSED' });
}

function rebuildError({ name, message, code }) {
  return Object.assign(new Error(message), { name, code });
}

/** A worker that runs autoencoders models; several models may share one. */
export class AutoencoderWorkerHost {
  constructor(worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' })) {
    this.worker = worker;
    this.pending = new Map();
    worker.onmessage = ({ data }) => {
      const call = this.pending.get(data.id);
      if (!call) return;
      if ('progress' in data) return call.onProgress?.(data.progress);
      if ('epoch' in data) return call.onEpoch?.(data.epoch);
      this.pending.delete(data.id);
      if (data.error) call.reject(rebuildError(data.error));
      else call.resolve(data.result);
    };
    worker.onerror = (event) => {
      const error = Object.assign(new Error(`the autoencoders worker failed: ${event.message ?? 'unknown error'}`), { code: 'BACKEND' });
      for (const call of this.pending.values()) call.reject(error);
      this.pending.clear();
    };
  }

  call(method, args, { onProgress, onEpoch, signal, transfer = [] } = {}) {
    const id = nextId++;
    if (this.terminated) return Promise.reject(disposedError());
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, onProgress, onEpoch });
      if (signal) {
        if (signal.aborted) queueMicrotask(() => this.worker.postMessage({ id, method: 'abort' }));
        else signal.addEventListener('abort', () => this.worker.postMessage({ id, method: 'abort' }), { once: true });
      }
      this.worker.postMessage({ id, method, args }, transfer);
    });
  }

  /** Stop the worker; calls still waiting reject with DISPOSED instead of hanging. */
  terminate() {
    this.terminated = true;
    this.worker.terminate();
    for (const call of this.pending.values()) call.reject(disposedError());
    this.pending.clear();
  }
}

/** `Autoencoder`'s API, run in a Web Worker. */
export class WorkerAutoencoder {
  constructor(host, info, ownsHost) {
    this.host = host;
    this.handle = info.handle;
    this.backend = info.backend;
    this.adapterInfo = info.adapterInfo;
    this.config = info.config;
    this.latentSize = info.latentSize;
    this.inputSize = info.inputSize;
    this.inputShape = info.inputShape;
    this.ownsHost = ownsHost;
    this.disposed = false;
    this.busy = false;
  }

  static async create(config, options = {}) {
    const { worker, ...rest } = options;
    const host = worker ?? new AutoencoderWorkerHost();
    const info = await host.call('create', [config, rest]);
    return new WorkerAutoencoder(host, info, !worker);
  }

  static async load(bytes, options = {}) {
    const { worker, ...rest } = options;
    const host = worker ?? new AutoencoderWorkerHost();
    const info = await host.call('load', [bytes, rest]);
    return new WorkerAutoencoder(host, info, !worker);
  }

  async train(data, options = {}) {
    const { onProgress, onEpoch, signal, ...rest } = options;
    this.busy = true;
    try {
      return await this.call('train', [data, rest], { onProgress, onEpoch, signal });
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
   * Free the model; with its own worker, stop the worker too. Calls already running finish
   * first; later calls reject with DISPOSED.
   */
  async dispose() {
    if (this.disposed) return;
    this.disposed = true;
    // The worker handles messages in order, so 'dispose' runs after the calls sent before it.
    try {
      await this.host.call('dispose', [this.handle]);
    } finally {
      if (this.ownsHost) this.host.terminate();
    }
  }
}

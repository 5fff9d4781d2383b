// The main-thread side of the worker API: the same methods as `Autoencoder`, each running in a
// dedicated Web Worker so that training never blocks the page.
//
//   import { WorkerAutoencoder } from 'autoencoders/worker';
//   const model = await WorkerAutoencoder.create({ latent: 16 }, { backend: 'auto' });
//   await model.train(pixels, { epochs: 3, onProgress: (p) => console.log(p.loss), signal });
//
// One worker per model by default; pass { worker } to share one.

let nextId = 1;

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
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, onProgress, onEpoch });
      if (signal) {
        if (signal.aborted) queueMicrotask(() => this.worker.postMessage({ id, method: 'abort' }));
        else signal.addEventListener('abort', () => this.worker.postMessage({ id, method: 'abort' }), { once: true });
      }
      this.worker.postMessage({ id, method, args }, transfer);
    });
  }

  terminate() {
    this.worker.terminate();
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
      return await this.host.call('train', [this.handle, data, rest], { onProgress, onEpoch, signal });
    } finally {
      this.busy = false;
    }
  }

  save() { return this.host.call('save', [this.handle]); }
  encode(images) { return this.host.call('encode', [this.handle, images]); }
  decode(codes) { return this.host.call('decode', [this.handle, codes]); }
  reconstruct(images) { return this.host.call('reconstruct', [this.handle, images]); }
  denoise(images) { return this.host.call('denoise', [this.handle, images]); }
  corrupt(images, corruption, seed) { return this.host.call('corrupt', [this.handle, images, corruption, seed]); }
  sample(n, options) { return this.host.call('sample', [this.handle, n, options]); }
  inpaint(images, mask, options) { return this.host.call('inpaint', [this.handle, images, mask, options]); }
  interpolate(a, b, steps, options) { return this.host.call('interpolate', [this.handle, a, b, steps, options]); }

  /** Free the model; with its own worker, stop the worker too. */
  async dispose() {
    if (this.disposed) return;
    this.disposed = true;
    await this.host.call('dispose', [this.handle]);
    if (this.ownsHost) this.host.terminate();
  }
}

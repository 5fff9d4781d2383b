import type { Autoencoder, Corruption, CreateOptions, ImageInput, LoadOptions, ModelConfig } from './index.js';

export * from './index.js';

/** A dedicated worker that runs models; pass it as `{ worker }` to share one between models. */
export class AutoencoderWorkerHost {
  constructor(worker?: Worker);
  /** Stop the worker: calls waiting on it, and later calls of its models, reject with `DISPOSED`. */
  terminate(): void;
}

export interface WorkerOptions { worker?: AutoencoderWorkerHost }

/** What the worker class shares with `Autoencoder` as it is: its properties and async methods. */
type Shared = Omit<Autoencoder, 'corrupt' | 'dispose' | typeof Symbol.dispose>;

/** The `Autoencoder` API, run in a dedicated Web Worker. Errors carry the same `code`s. */
export interface WorkerAutoencoder extends Shared {}
export class WorkerAutoencoder implements Disposable, AsyncDisposable {
  private constructor();
  static create(config?: ModelConfig, options?: CreateOptions & WorkerOptions): Promise<WorkerAutoencoder>;
  static load(bytes: Uint8Array | ArrayBuffer, options?: LoadOptions & WorkerOptions): Promise<WorkerAutoencoder>;
  /** As `Autoencoder.corrupt`, but asynchronous (it runs in the worker). */
  corrupt(images: ImageInput, corruption: Corruption, seed?: number): Promise<Float32Array>;
  /** Free the model (and its own worker); a running `train` rejects with `DISPOSED`. */
  dispose(): Promise<void>;
  [Symbol.dispose](): void;
  [Symbol.asyncDispose](): Promise<void>;
}

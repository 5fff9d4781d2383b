import type {
  AdapterInfo, CreateOptions, Corruption, ImageInput, InpaintOptions, InterpolateOptions, LoadOptions,
  ModelConfig, SampleOptions, TrainHistory, TrainOptions,
} from './index.js';

export * from './index.js';

/** A dedicated worker that runs models; pass it as `{ worker }` to share one between models. */
export class AutoencoderWorkerHost {
  constructor(worker?: Worker);
  /** Stop the worker: calls waiting on it, and later calls of its models, reject with `DISPOSED`. */
  terminate(): void;
}

export interface WorkerOptions { worker?: AutoencoderWorkerHost }

/** The `Autoencoder` API, run in a dedicated Web Worker. Errors carry the same `code`s. */
export class WorkerAutoencoder implements Disposable, AsyncDisposable {
  static create(config?: ModelConfig, options?: CreateOptions & WorkerOptions): Promise<WorkerAutoencoder>;
  static load(bytes: Uint8Array, options?: LoadOptions & WorkerOptions): Promise<WorkerAutoencoder>;
  readonly backend: 'webgpu' | 'cpu';
  readonly adapterInfo: AdapterInfo | null;
  readonly backendReason: string;
  readonly config: Required<ModelConfig>;
  readonly latentSize: number;
  readonly inputSize: number;
  readonly inputShape: [number, number, number];
  readonly busy: boolean;
  readonly disposed: boolean;
  train(data: ImageInput, options?: TrainOptions): Promise<TrainHistory>;
  save(): Promise<Uint8Array>;
  encode(images: ImageInput): Promise<Float32Array>;
  decode(codes: Float32Array): Promise<Float32Array>;
  reconstruct(images: ImageInput): Promise<Float32Array>;
  denoise(images: ImageInput): Promise<Float32Array>;
  corrupt(images: ImageInput, corruption: Corruption, seed?: number): Promise<Float32Array>;
  sample(n: number, options?: SampleOptions): Promise<Float32Array>;
  inpaint(images: ImageInput, mask: Float32Array | Uint8Array, options?: InpaintOptions): Promise<Float32Array>;
  interpolate(a: ImageInput, b: ImageInput, steps: number, options?: InterpolateOptions): Promise<Float32Array>;
  /** Free the model (and its own worker); a running `train` rejects with `DISPOSED`. */
  dispose(): Promise<void>;
  [Symbol.dispose](): void;
  [Symbol.asyncDispose](): Promise<void>;
}

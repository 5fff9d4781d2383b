// Types of the package's main entry (js/index.js). The option and result types are generated
// from the Rust crate into autoencoders.d.ts; the class is declared here, where it is defined.
import type {
  AdapterInfo, Corruption, CreateOptions, ImageInput, InitInput, InitOutput, InpaintOptions,
  InterpolateOptions, LoadOptions, ModelConfig, SampleOptions, TrainHistory, TrainOptions,
} from './autoencoders.js';

export type {
  AdapterInfo, AutoencoderError, Backend, Corruption, CreateOptions, EpochSummary, ErrorCode, ImageInput,
  InitInput, InitOutput, InpaintOptions, InterpolateOptions, Kind, LoadOptions, ModelConfig, SampleOptions,
  SyncInitInput, TrainHistory, TrainOptions, TrainProgress,
} from './autoencoders.js';
export { initSync } from './autoencoders.js';

/**
 * Image `index` of a model's output (`[n, c * h * w]` in [0, 1], planar) as `ImageData` for a
 * canvas: `shape` is `[channels, height, width]` (a model's `inputShape`); 1 channel is gray, 3
 * RGB, 4 RGBA. In Node.js (no `ImageData`) a plain `{ data, width, height }`.
 */
export function toImageData(
  values: Float32Array | Uint8Array | Uint8ClampedArray,
  shape: readonly [number, number, number] | number[],
  index?: number,
): ImageData | { data: Uint8ClampedArray; width: number; height: number };

/**
 * Start the CPU module (fetch and compile `autoencoders_relaxed_bg.wasm` where the engine has
 * wasm's relaxed SIMD, else `autoencoders_bg.wasm`). Optional: every entry point calls it first.
 * `module_or_path` loads the plain build, `autoencoders_bg.wasm`, from elsewhere (it is then the
 * one used); `webgpu_module_or_path` does the same for `autoencoders_webgpu_bg.wasm`, which is
 * fetched only when a model first needs WebGPU.
 */
export default function init(
  options?:
    | {
        module_or_path?: InitInput | Promise<InitInput>;
        webgpu_module_or_path?: InitInput | Promise<InitInput>;
      }
    | InitInput
    | Promise<InitInput>,
): Promise<InitOutput>;

/**
 * An autoencoder that trains and runs in the browser (or Node.js), on WebGPU or on the CPU.
 * Every method that fails rejects (or, for `corrupt`, throws) an `AutoencoderError` with a `code`.
 */
export class Autoencoder implements Disposable {
  private constructor();
  /** Create a model: `await Autoencoder.create(config, { backend, seed })`. */
  static create(config?: ModelConfig, options?: CreateOptions): Promise<Autoencoder>;
  /** Load a model saved with `save()`. */
  static load(bytes: Uint8Array | ArrayBuffer, options?: LoadOptions): Promise<Autoencoder>;
  /** The backend this model runs on. */
  readonly backend: 'webgpu' | 'cpu';
  /** The WebGPU adapter's info; `null` on the CPU backend. */
  readonly adapterInfo: AdapterInfo | null;
  /** Why this backend was chosen, in words (what `auto` found, or what was asked for). */
  readonly backendReason: string;
  /** The model's full config (defaults filled in). */
  readonly config: Required<ModelConfig>;
  readonly latentSize: number;
  /** Values in one image: `c * h * w`. */
  readonly inputSize: number;
  readonly inputShape: [number, number, number];
  /** True while `train` runs. */
  readonly busy: boolean;
  readonly disposed: boolean;
  /**
   * Train on images; resolves with the history (`cancelled` when its signal aborted it, also
   * before the first step). A second call while one runs rejects with `BUSY`; a later call
   * resumes from the weights and optimiser state. A throwing callback stops it with `CALLBACK`.
   */
  train(data: ImageInput, options?: TrainOptions): Promise<TrainHistory>;
  /** The model as bytes (config, weights, code statistics), for `Autoencoder.load`. */
  save(): Promise<Uint8Array>;
  /** Codes of the images, `[n, latentSize]` flattened (a VAE's mean code). */
  encode(images: ImageInput): Promise<Float32Array>;
  /** Images decoded from codes (`[n, latentSize]` flattened), `[n, inputSize]` in [0, 1]. */
  decode(codes: Float32Array): Promise<Float32Array>;
  /** Encode then decode. */
  reconstruct(images: ImageInput): Promise<Float32Array>;
  /** The model's clean version of (noisy) images: its reconstruction. */
  denoise(images: ImageInput): Promise<Float32Array>;
  /** A corrupted copy of images (for demos and evaluation), seeded. */
  corrupt(images: ImageInput, corruption: Corruption, seed?: number): Float32Array;
  /** `n` new images, `[n, inputSize]` (`INVALID_STATE` before any training, except for a VAE). */
  sample(n: number, options?: SampleOptions): Promise<Float32Array>;
  /** Fill hidden pixels: `mask` is 1 where a pixel is hidden (`h * w` values, or one per input value). */
  inpaint(images: ImageInput, mask: Float32Array | Uint8Array, options?: InpaintOptions): Promise<Float32Array>;
  /** `steps` images (ends included) along the path between the codes of images `a` and `b`. */
  interpolate(a: ImageInput, b: ImageInput, steps: number, options?: InterpolateOptions): Promise<Float32Array>;
  /**
   * Free the model's memory (GPU buffers included). Later calls reject with `DISPOSED`; a running
   * `train` stops at its next step and rejects with `DISPOSED`. The same as `[Symbol.dispose]()`.
   */
  dispose(): void;
  [Symbol.dispose](): void;
}

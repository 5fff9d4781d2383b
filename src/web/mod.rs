//! The only code that touches wasm-bindgen: the `Autoencoder` class exported to JavaScript.
//!
//! Every method returns `Result<_, JsValue>` whose error is a real JS `Error` carrying a stable
//! `code` (see `AeError::code`, plus `BUSY`, `DISPOSED` and `NO_WEBGPU` from this layer), so that
//! callers can branch on `err.code`. The core model lives in an `Rc<RefCell<Option<_>>>`: training
//! takes it out for its duration and always puts it back, so an error, a cancel or a throwing
//! callback never loses the weights; inference holds a shared borrow across its awaits.
//! That is why clippy's `await_holding_refcell_ref` is allowed here: every mutable borrow is a
//! `try_borrow_mut` that answers `BUSY` (train) or, for `dispose`, leaves the model to be freed
//! with the object once no call holds it; except where training puts the model back, when its
//! slot is empty and so no call holds a borrow (`model()` on an empty slot fails and drops its
//! guard).
#![allow(clippy::await_holding_refcell_ref)]

mod convert;

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::rc::Rc;

use burn::tensor::Device;
use js_sys::{Float32Array, Function, Object, Promise, Reflect, Uint8Array};
use serde::Deserialize;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use crate::autoencoder::Autoencoder as CoreModel;
use crate::config::{Corruption, ModelConfig, TrainConfig};
use crate::error::AeError;
use crate::train::{Control, EpochSummary, StepProgress, TrainObserver};
use convert::{JsResult, count, get, images_from_js, js_error, parse, to_js, whole_number};

#[wasm_bindgen(typescript_custom_section)]
const TYPES: &str = r#"
/** The backends a model can run on. `auto` takes WebGPU on a real (non-fallback) adapter, else the CPU. */
export type Backend = 'webgpu' | 'cpu' | 'auto';
export type Kind = 'undercomplete' | 'sparseL1' | 'sparseKl' | 'contractive' | 'denoising' | 'variational' | 'paired';
export type Corruption =
  | { type: 'gaussian'; sigma: number }
  | { type: 'saltPepper'; fraction: number }
  | { type: 'masking'; fraction: number }
  | { type: 'block'; count: number; minSize: number; maxSize: number };
/** Every field is optional; defaults give a dense 784-400-32 BCE autoencoder for 28x28 digits. */
export interface ModelConfig {
  kind?: Kind;
  architecture?: 'dense' | 'conv';
  /** [channels, height, width] */
  inputShape?: [number, number, number];
  convChannels?: number[];
  hidden?: number[];
  latent?: number;
  loss?: 'mse' | 'mae' | 'bce';
  sparsityWeight?: number;
  sparsityTarget?: number;
  sparseHidden?: boolean;
  contractiveWeight?: number;
  klWeight?: number;
  gaussianScale?: number | null;
  corruption?: Corruption | null;
}
export interface CreateOptions { backend?: Backend; seed?: number }
export interface LoadOptions { backend?: Backend }
/** Pixels: Float32Array in [0, 1] or Uint8Array / Uint8ClampedArray in 0..255 (n * c * h * w values), or canvas ImageData (resized to the model's input). */
export type ImageInput = Float32Array | Uint8Array | Uint8ClampedArray | ImageData | ImageData[];
export interface TrainProgress {
  epoch: number; epochs: number; step: number; stepsPerEpoch: number; globalStep: number;
  loss: number; terms: Record<string, number>; samplesSeen: number;
  /** Images per second over about the last 2 s of this call (since it started, until then). */
  samplesPerSecond: number;
}
export interface EpochSummary { epoch: number; trainLoss: number; trainTerms: Record<string, number>; validationLoss: number | null }
export interface TrainHistory { epochs: EpochSummary[]; stepLosses: number[]; steps: number; cancelled: boolean }
export interface TrainOptions {
  epochs?: number; batchSize?: number; learningRate?: number; beta1?: number; beta2?: number;
  weightDecay?: number; seed?: number; validationSplit?: number; maxSteps?: number | null;
  /** Corrupt the inputs of this training (targets stay clean): trains any kind as a denoiser. */
  corruption?: Corruption | null;
  /** Paired training: the image each input should become (same count and shape). */
  targets?: ImageInput;
  onProgress?: (progress: TrainProgress) => void;
  onEpoch?: (summary: EpochSummary) => void;
  signal?: AbortSignal;
}
export interface SampleOptions { seed?: number }
export interface InpaintOptions { iterations?: number }
export interface InterpolateOptions { method?: 'linear' | 'slerp' }
export interface AdapterInfo { vendor: string; architecture: string; device: string; description: string; isFallbackAdapter: boolean }
export type ErrorCode = 'INVALID_CONFIG' | 'SHAPE_MISMATCH' | 'INVALID_DATA' | 'INVALID_STATE' | 'BUSY' | 'NO_WEBGPU'
  | 'CORRUPT_CHECKPOINT' | 'DIVERGED' | 'DISPOSED' | 'DEVICE_LOST' | 'CALLBACK' | 'BACKEND';
export interface AutoencoderError extends Error { name: 'AutoencoderError'; code: ErrorCode }
"#;

unsafe extern "C" {
    /// wasm-ld's synthetic function that runs every static constructor (the `inventory`
    /// registrations of the WebGPU compiler, thousands of them).
    fn __wasm_call_ctors();
}

#[wasm_bindgen(start)]
fn start() {
    run_constructors_once();
    std::panic::set_hook(Box::new(|info| {
        console_error_panic_hook::hook(info);
        // A panic aborts the module (wasm32 has no unwinding): tell the JS side, so that it
        // settles every call in flight with an error instead of leaving it pending, and refuses
        // later ones.
        let message = info.to_string();
        PANIC_LISTENER.with(|listener| {
            if let Ok(listener) = listener.try_borrow()
                && let Some(listener) = listener.as_ref()
            {
                let _ = listener.call1(&JsValue::NULL, &message.into());
            }
        });
    }));
}

thread_local! {
    static PANIC_LISTENER: RefCell<Option<Function>> = const { RefCell::new(None) };
}

/// Registers the function called with the message if the module panics (used by the package's
/// JS entry; a panic cannot be recovered from, the module must be started again).
#[wasm_bindgen(js_name = setPanicListener)]
pub fn set_panic_listener(listener: Function) {
    PANIC_LISTENER.with(|slot| *slot.borrow_mut() = Some(listener));
}

/// Naming `__wasm_call_ctors` here stops wasm-ld from treating the module as a "command" and
/// wrapping every export in a call to it (~0.2 ms of constructors on each JS -> wasm call, even a
/// getter). So the constructors run here instead: from `start`, which wasm-bindgen runs right
/// after instantiation, and, in case a host skips `start` (test harnesses), before a backend is
/// chosen, which every model goes through.
fn run_constructors_once() {
    static DONE: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    if !DONE.swap(true, std::sync::atomic::Ordering::Relaxed) {
        // SAFETY: the constructors must run exactly once (they register statics); the flag sees to it.
        unsafe { __wasm_call_ctors() };
    }
}

thread_local! {
    /// The WebGPU device: it can be initialised only once per page or worker, so it is cached.
    #[cfg(feature = "webgpu")]
    static WEBGPU: RefCell<Option<Device>> = const { RefCell::new(None) };
    /// Why the WebGPU device was lost, once it has been: it cannot be started again here.
    static DEVICE_LOST: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// What to do after a lost device, appended to every `DEVICE_LOST` message.
const AFTER_DEVICE_LOST: &str = "Load the model's last save() with { backend: 'cpu' } to go on \
     (a new page or worker can use WebGPU again).";

fn device_lost_reason() -> Option<String> {
    DEVICE_LOST.with(|lost| lost.borrow().clone())
}

/// `navigator.gpu.requestAdapter()` and its `info`, or `None` where there is no WebGPU.
async fn probe_adapter() -> Option<JsValue> {
    let gpu = get(&get(&js_sys::global(), "navigator")?, "gpu")?;
    let request: Function = get(&gpu, "requestAdapter")?.dyn_into().ok()?;
    let adapter = JsFuture::from(request.call0(&gpu).ok()?.dyn_into::<Promise>().ok()?)
        .await
        .ok()?;
    if adapter.is_null() || adapter.is_undefined() {
        return None;
    }
    let info = get(&adapter, "info")?;
    let plain = Object::new();
    for key in ["vendor", "architecture", "device", "description"] {
        let _ = Reflect::set(
            &plain,
            &key.into(),
            &get(&info, key).unwrap_or_else(|| "".into()),
        );
    }
    let fallback = get(&info, "isFallbackAdapter")
        .or_else(|| get(&adapter, "isFallbackAdapter"))
        .is_some_and(|v| v.is_truthy());
    let _ = Reflect::set(&plain, &"isFallbackAdapter".into(), &fallback.into());
    Some(plain.into())
}

/// The page's (or worker's) WebGPU device, started on first use. Public for the browser tests,
/// which run burn on it beside the models (a second start would fail); not a JS export.
#[cfg(feature = "webgpu")]
pub async fn webgpu_device() -> JsResult<Device> {
    run_constructors_once(); // a test calls this first
    if let Some(device) = WEBGPU.with(|d| d.borrow().clone()) {
        return Ok(device);
    }
    let device = Device::wgpu_options().init_async().await.map_err(|e| {
        js_error(
            "NO_WEBGPU",
            &format!("could not start WebGPU: {e}; use {{ backend: 'cpu' }}"),
        )
    })?;
    WEBGPU.with(|d| *d.borrow_mut() = Some(device.clone()));
    Ok(device)
}

/// The CPU-only module (built without the `webgpu` feature) has no WebGPU device. The package's
/// JS entry sends WebGPU models to the other module, so only a direct user of this one sees it.
#[cfg(not(feature = "webgpu"))]
async fn webgpu_device() -> JsResult<Device> {
    Err(js_error(
        "NO_WEBGPU",
        "this build of autoencoders is CPU only (built without its `webgpu` feature); use { backend: 'cpu' }",
    ))
}

/// Where a model runs: the device, the backend's name, the adapter's info (WebGPU only) and, in
/// words, why that backend was chosen.
struct Placement {
    device: Device,
    backend: &'static str,
    adapter_info: JsValue,
    reason: String,
}

impl Placement {
    fn cpu(reason: impl Into<String>) -> Self {
        Placement {
            device: Device::flex(),
            backend: "cpu",
            adapter_info: JsValue::NULL,
            reason: reason.into(),
        }
    }
}

/// The device for a backend name (`auto` when absent).
async fn choose_backend(name: Option<&str>) -> JsResult<Placement> {
    run_constructors_once();
    let webgpu = |device, adapter_info, reason: &str| Placement {
        device,
        backend: "webgpu",
        adapter_info,
        reason: reason.into(),
    };
    match name.unwrap_or("auto") {
        "cpu" => Ok(Placement::cpu("the CPU was asked for ({ backend: 'cpu' })")),
        "webgpu" => {
            if let Some(why) = device_lost_reason() {
                return Err(js_error(
                    "DEVICE_LOST",
                    &format!("the GPU device was lost earlier here ({why}). {AFTER_DEVICE_LOST}"),
                ));
            }
            let info = probe_adapter().await.ok_or_else(|| {
                js_error(
                    "NO_WEBGPU",
                    "WebGPU is not available here (no adapter); use { backend: 'cpu' } or 'auto'",
                )
            })?;
            let device = webgpu_device().await?;
            Ok(webgpu(
                device,
                info,
                "WebGPU was asked for ({ backend: 'webgpu' })",
            ))
        }
        "auto" => {
            if let Some(why) = device_lost_reason() {
                return Ok(Placement::cpu(format!(
                    "auto chose the CPU: the GPU device was lost earlier here ({why})"
                )));
            }
            let placement = match probe_adapter().await {
                Some(info) if !get(&info, "isFallbackAdapter").is_some_and(|v| v.is_truthy()) => {
                    match webgpu_device().await {
                        Ok(device) => webgpu(
                            device,
                            info,
                            "auto chose WebGPU: a hardware adapter was found",
                        ),
                        Err(e) => Placement::cpu(format!(
                            "auto chose the CPU: WebGPU did not start ({})",
                            get(&e, "message")
                                .and_then(|m| m.as_string())
                                .unwrap_or_default()
                        )),
                    }
                }
                // A software adapter is slower than the CPU backend.
                Some(_) => Placement::cpu(
                    "auto chose the CPU: the only WebGPU adapter is a software fallback, slower than the CPU backend",
                ),
                None => Placement::cpu(
                    "auto chose the CPU: this browser or runtime has no WebGPU adapter",
                ),
            };
            if placement.backend == "cpu" {
                web_sys::console::info_1(&format!("autoencoders: {}", placement.reason).into());
            }
            Ok(placement)
        }
        other => Err(js_error(
            "INVALID_CONFIG",
            &format!("options.backend must be 'webgpu', 'cpu' or 'auto', got '{other}'"),
        )),
    }
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct CreateOptions {
    backend: Option<String>,
    seed: Option<u64>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct LoadOptions {
    backend: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct SampleOptions {
    seed: Option<u64>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct InpaintOptions {
    iterations: Option<usize>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct InterpolateOptions {
    method: Option<String>,
}

fn busy_error() -> JsValue {
    js_error(
        "BUSY",
        "the model is training; wait for train() to finish or abort it with its signal",
    )
}

fn disposed_error() -> JsValue {
    js_error(
        "DISPOSED",
        "this model was disposed; create or load a new one",
    )
}

/// An autoencoder that trains and runs in the browser, on WebGPU or on the CPU. JS code uses it
/// through the package's `Autoencoder` (js/index.js), which adds one disposal mechanism.
#[wasm_bindgen(js_name = AutoencoderCore)]
pub struct Autoencoder {
    model: Rc<RefCell<Option<CoreModel>>>,
    config: ModelConfig,
    backend: &'static str,
    adapter_info: JsValue,
    backend_reason: String,
    disposed: Rc<Cell<bool>>,
}

impl Autoencoder {
    fn wrap(model: CoreModel, placement: Placement) -> Self {
        let config = model.config().clone();
        Autoencoder {
            model: Rc::new(RefCell::new(Some(model))),
            config,
            backend: placement.backend,
            adapter_info: placement.adapter_info,
            backend_reason: placement.reason,
            disposed: Rc::new(Cell::new(false)),
        }
    }

    /// A shared borrow of the model for the length of a call; `BUSY` while training.
    fn model(&self) -> JsResult<std::cell::Ref<'_, CoreModel>> {
        if self.disposed.get() {
            return Err(disposed_error());
        }
        let guard = self.model.try_borrow().map_err(|_| busy_error())?;
        std::cell::Ref::filter_map(guard, |m| m.as_ref()).map_err(|_| busy_error())
    }

    fn images(&self, value: &JsValue, what: &str) -> JsResult<crate::data::Images> {
        if self.disposed.get() {
            return Err(disposed_error());
        }
        images_from_js(value, self.config.input_shape, what)
    }
}

#[wasm_bindgen(js_class = AutoencoderCore)]
impl Autoencoder {
    /// Create a model: `await Autoencoder.create(config, { backend, seed })`.
    #[wasm_bindgen(unchecked_return_type = "AutoencoderCore")]
    pub async fn create(
        #[wasm_bindgen(unchecked_param_type = "ModelConfig")] config: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "CreateOptions")] options: JsValue,
    ) -> JsResult<Autoencoder> {
        let config: ModelConfig = parse(config, "config")?;
        config.validate()?;
        let options: CreateOptions = parse(options, "options")?;
        let placement = choose_backend(options.backend.as_deref()).await?;
        let model = CoreModel::new(config, options.seed.unwrap_or(0), placement.device.clone())?;
        Ok(Autoencoder::wrap(model, placement))
    }

    /// Load a model saved with `save()`: `await Autoencoder.load(bytes, { backend })`.
    #[wasm_bindgen(unchecked_return_type = "AutoencoderCore")]
    pub async fn load(
        #[wasm_bindgen(unchecked_param_type = "Uint8Array | ArrayBuffer")] bytes: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "LoadOptions")] options: JsValue,
    ) -> JsResult<Autoencoder> {
        let bytes = convert::bytes_from_js(&bytes)?;
        let options: LoadOptions = parse(options, "options")?;
        let placement = choose_backend(options.backend.as_deref()).await?;
        let model = CoreModel::load(&bytes, placement.device.clone())?;
        Ok(Autoencoder::wrap(model, placement))
    }

    /// The model as bytes (config, weights, code statistics), for `Autoencoder.load`.
    pub async fn save(&self) -> JsResult<Uint8Array> {
        let model = self.model()?;
        Ok(Uint8Array::from(model.save().await?.as_slice()))
    }

    /// `'webgpu'` or `'cpu'`: the backend this model runs on.
    #[wasm_bindgen(getter)]
    pub fn backend(&self) -> String {
        self.backend.into()
    }

    /// The WebGPU adapter's vendor, architecture, device, description and `isFallbackAdapter`;
    /// `null` on the CPU backend.
    #[wasm_bindgen(getter, js_name = adapterInfo, unchecked_return_type = "AdapterInfo | null")]
    pub fn adapter_info(&self) -> JsValue {
        self.adapter_info.clone()
    }

    /// Why this backend was chosen, in words (what `auto` found, or what was asked for).
    #[wasm_bindgen(getter, js_name = backendReason)]
    pub fn backend_reason(&self) -> String {
        self.backend_reason.clone()
    }

    /// The model's full config (defaults filled in).
    #[wasm_bindgen(getter, unchecked_return_type = "Required<ModelConfig>")]
    pub fn config(&self) -> JsValue {
        to_js(&self.config)
    }

    #[wasm_bindgen(getter, js_name = latentSize)]
    pub fn latent_size(&self) -> usize {
        self.config.latent
    }

    /// Values in one image: `c * h * w`.
    #[wasm_bindgen(getter, js_name = inputSize)]
    pub fn input_size(&self) -> usize {
        self.config.input_size()
    }

    #[wasm_bindgen(getter, js_name = inputShape, unchecked_return_type = "[number, number, number]")]
    pub fn input_shape(&self) -> JsValue {
        to_js(&self.config.input_shape)
    }

    /// True while `train` runs.
    #[wasm_bindgen(getter)]
    pub fn busy(&self) -> bool {
        !self.disposed.get() && self.model.try_borrow().map(|m| m.is_none()).unwrap_or(true)
    }

    #[wasm_bindgen(getter)]
    pub fn disposed(&self) -> bool {
        self.disposed.get()
    }

    /// Train on images; resolves with the history. Rejects with `BUSY` if a training is already
    /// running. A call after an earlier one resumes from its weights and optimiser state.
    #[wasm_bindgen(unchecked_return_type = "TrainHistory")]
    pub async fn train(
        &self,
        #[wasm_bindgen(unchecked_param_type = "ImageInput")] data: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "TrainOptions")] options: JsValue,
    ) -> JsResult<JsValue> {
        let (callbacks, options) = split_callbacks(options)?;
        let cfg: TrainConfig = parse(options, "options")?;
        cfg.validate()?;
        let images = self.images(&data, "data")?;
        let targets = match &callbacks.targets {
            Some(t) => Some(images_from_js(
                t,
                self.config.input_shape,
                "options.targets",
            )?),
            None => None,
        };
        let already = || {
            js_error(
                "BUSY",
                "this model is already training or running; await that call (or abort it) first",
            )
        };
        let mut model = self
            .model
            .try_borrow_mut()
            .map_err(|_| already())?
            .take()
            .ok_or_else(already)?;
        let mut observer = JsObserver {
            callbacks,
            disposed: self.disposed.clone(),
            recent: VecDeque::from([(js_sys::Date::now(), 0)]),
            // The first step always yields, so calls made in the same tick as `train` find the
            // model busy, as they would a moment later.
            last_yield_ms: f64::NEG_INFINITY,
            callback_error: None,
        };
        // An already-aborted signal: nothing runs.
        let result = if observer.aborted() {
            Ok(crate::train::TrainHistory {
                cancelled: true,
                ..Default::default()
            })
        } else {
            model
                .train(&images, targets.as_ref(), &cfg, &mut observer)
                .await
        };
        // Always put the model back, unless it was disposed meanwhile (then free it now).
        if self.disposed.get() {
            drop(model);
            return Err(disposed_error());
        }
        *self.model.borrow_mut() = Some(model);
        if let Some(error) = observer.callback_error {
            return Err(error);
        }
        Ok(to_js(&result?))
    }

    /// Codes of the images, `[n, latentSize]` flattened (a VAE's mean code).
    pub async fn encode(
        &self,
        #[wasm_bindgen(unchecked_param_type = "ImageInput")] images: JsValue,
    ) -> JsResult<Float32Array> {
        let images = self.images(&images, "images")?;
        let model = self.model()?;
        Ok(Float32Array::from(model.encode(&images).await?.as_slice()))
    }

    /// Images decoded from codes (`[n, latentSize]` flattened), `[n, inputSize]` in [0, 1].
    pub async fn decode(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Float32Array")] codes: JsValue,
    ) -> JsResult<Float32Array> {
        let model = self.model()?;
        let codes = convert::codes_from_js(&codes)?;
        Ok(Float32Array::from(model.decode(&codes).await?.as_slice()))
    }

    /// Encode then decode.
    pub async fn reconstruct(
        &self,
        #[wasm_bindgen(unchecked_param_type = "ImageInput")] images: JsValue,
    ) -> JsResult<Float32Array> {
        let images = self.images(&images, "images")?;
        let model = self.model()?;
        Ok(Float32Array::from(
            model.reconstruct(&images).await?.as_slice(),
        ))
    }

    /// The model's clean version of (noisy) images: its reconstruction. Meant for denoising
    /// models, which learned to map corrupted inputs to clean ones.
    pub async fn denoise(
        &self,
        #[wasm_bindgen(unchecked_param_type = "ImageInput")] images: JsValue,
    ) -> JsResult<Float32Array> {
        self.reconstruct(images).await
    }

    /// A corrupted copy of images (for demos and evaluation), seeded.
    pub fn corrupt(
        &self,
        #[wasm_bindgen(unchecked_param_type = "ImageInput")] images: JsValue,
        #[wasm_bindgen(unchecked_param_type = "Corruption")] corruption: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "number")] seed: JsValue,
    ) -> JsResult<Float32Array> {
        let images = self.images(&images, "images")?;
        let corruption: Corruption = parse_required(corruption, "corruption")?;
        corruption.validate()?;
        let seed = whole_number(&seed, "seed")?.unwrap_or(0);
        let out = crate::corrupt::corrupted(images.values(), images.shape(), &corruption, seed);
        Ok(Float32Array::from(out.as_slice()))
    }

    /// `n` new images, `[n, inputSize]`: codes from the prior N(0, I) for a VAE, else from a
    /// Gaussian fitted to the training codes (`INVALID_STATE` before any training).
    pub async fn sample(
        &self,
        #[wasm_bindgen(unchecked_param_type = "number")] n: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "SampleOptions")] options: JsValue,
    ) -> JsResult<Float32Array> {
        let n = count(&n, "n")?;
        let options: SampleOptions = parse(options, "options")?;
        let model = self.model()?;
        Ok(Float32Array::from(
            model.sample(n, options.seed.unwrap_or(0)).await?.as_slice(),
        ))
    }

    /// Fill hidden pixels: `mask` is 1 where a pixel is hidden, one value per pixel (`h * w`,
    /// shared by all images) or one per input value. Known pixels come back unchanged.
    pub async fn inpaint(
        &self,
        #[wasm_bindgen(unchecked_param_type = "ImageInput")] images: JsValue,
        #[wasm_bindgen(unchecked_param_type = "Float32Array | Uint8Array")] mask: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "InpaintOptions")] options: JsValue,
    ) -> JsResult<Float32Array> {
        let images = self.images(&images, "images")?;
        let mask = convert::mask_from_js(&mask)?;
        let options: InpaintOptions = parse(options, "options")?;
        let model = self.model()?;
        Ok(Float32Array::from(
            model
                .inpaint(&images, &mask, options.iterations.unwrap_or(10))
                .await?
                .as_slice(),
        ))
    }

    /// `steps` images (ends included) decoded along the path between the codes of images `a` and
    /// `b` (one image each): `method` 'linear' (default) or 'slerp'.
    pub async fn interpolate(
        &self,
        #[wasm_bindgen(unchecked_param_type = "ImageInput")] a: JsValue,
        #[wasm_bindgen(unchecked_param_type = "ImageInput")] b: JsValue,
        #[wasm_bindgen(unchecked_param_type = "number")] steps: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "InterpolateOptions")] options: JsValue,
    ) -> JsResult<Float32Array> {
        let (a, b) = (self.images(&a, "a")?, self.images(&b, "b")?);
        let steps = count(&steps, "steps")?;
        let options: InterpolateOptions = parse(options, "options")?;
        let spherical = match options.method.as_deref().unwrap_or("linear") {
            "linear" => false,
            "slerp" => true,
            other => {
                return Err(js_error(
                    "INVALID_CONFIG",
                    &format!("options.method must be 'linear' or 'slerp', got '{other}'"),
                ));
            }
        };
        let model = self.model()?;
        Ok(Float32Array::from(
            model
                .interpolate(&a, &b, steps, spherical)
                .await?
                .as_slice(),
        ))
    }

    /// Free the model's memory (GPU buffers included). Later calls reject with `DISPOSED`; a
    /// training in progress stops at its next step and rejects with `DISPOSED`.
    pub fn dispose(&self) {
        self.disposed.set(true);
        if let Ok(mut slot) = self.model.try_borrow_mut() {
            slot.take();
        }
    }
}

fn parse_required<T: for<'de> Deserialize<'de>>(value: JsValue, what: &str) -> JsResult<T> {
    if value.is_undefined() || value.is_null() {
        return Err(js_error("INVALID_CONFIG", &format!("{what} is required")));
    }
    convert::parse_value(value, what)
}

/// The non-serde parts of the train options.
struct Callbacks {
    on_progress: Option<Function>,
    on_epoch: Option<Function>,
    signal: Option<JsValue>,
    targets: Option<JsValue>,
}

fn split_callbacks(options: JsValue) -> JsResult<(Callbacks, JsValue)> {
    let mut callbacks = Callbacks {
        on_progress: None,
        on_epoch: None,
        signal: None,
        targets: None,
    };
    if options.is_undefined() || options.is_null() {
        return Ok((callbacks, options));
    }
    if !options.is_object() {
        return Err(js_error("INVALID_CONFIG", "options must be an object"));
    }
    let rest = Object::assign(&Object::new(), options.unchecked_ref());
    let take = |name: &str| -> JsResult<Option<JsValue>> {
        let v = Reflect::get(&rest, &name.into())?;
        Reflect::delete_property(&rest, &name.into())?;
        Ok(if v.is_undefined() || v.is_null() {
            None
        } else {
            Some(v)
        })
    };
    let function = |v: Option<JsValue>, name: &str| -> JsResult<Option<Function>> {
        v.map(|f| {
            f.dyn_into::<Function>().map_err(|_| {
                js_error(
                    "INVALID_CONFIG",
                    &format!("options.{name} must be a function"),
                )
            })
        })
        .transpose()
    };
    callbacks.on_progress = function(take("onProgress")?, "onProgress")?;
    callbacks.on_epoch = function(take("onEpoch")?, "onEpoch")?;
    callbacks.signal = take("signal")?;
    if let Some(signal) = &callbacks.signal {
        let aborted = Reflect::get(signal, &"aborted".into()).unwrap_or(JsValue::UNDEFINED);
        if !signal.is_object() || aborted.as_bool().is_none() {
            return Err(js_error(
                "INVALID_CONFIG",
                &format!(
                    "options.signal must be an AbortSignal (from new AbortController().signal), got {}",
                    convert::describe(signal)
                ),
            ));
        }
    }
    callbacks.targets = take("targets")?;
    Ok((callbacks, rest.into()))
}

struct JsObserver {
    callbacks: Callbacks,
    /// The model's disposed flag: a `dispose()` during training stops it at the next step.
    disposed: Rc<Cell<bool>>,
    /// (time in ms, images seen) at recent steps, oldest first, beginning at or before the
    /// start of the rate's window: what `samplesPerSecond` is measured over.
    recent: VecDeque<(f64, usize)>,
    /// When training last handed control back to the event loop.
    last_yield_ms: f64,
    callback_error: Option<JsValue>,
}

/// Longest stretch of training steps between two yields to the event loop: half a frame, so a
/// page stays smooth, while fast (GPU) steps are not each padded by a trip through the loop.
const YIELD_EVERY_MS: f64 = 8.0;

/// `samplesPerSecond` is the rate over about this long: the current speed, not an average
/// dragged down by start-up (shader compilation, the first upload) or a pause.
const RATE_WINDOW_MS: f64 = 2000.0;

impl JsObserver {
    fn aborted(&self) -> bool {
        self.callbacks
            .signal
            .as_ref()
            .and_then(|s| get(s, "aborted"))
            .is_some_and(|v| v.is_truthy())
    }

    fn call(&mut self, f: Option<Function>, name: &str, event: &JsValue) -> Control {
        if let Some(f) = f
            && let Err(thrown) = f.call1(&JsValue::NULL, event)
        {
            // A throwing callback stops training; `train` rejects with a `CALLBACK` error
            // whose `cause` is what was thrown. The weights so far are kept.
            let said = get(&thrown, "message")
                .and_then(|m| m.as_string())
                .or_else(|| thrown.as_string())
                .unwrap_or_else(|| convert::describe(&thrown));
            let error = js_error(
                "CALLBACK",
                &format!(
                    "options.{name} threw, so training stopped (the weights so far are kept): {said}"
                ),
            );
            let _ = Reflect::set(&error, &"cause".into(), &thrown);
            self.callback_error = Some(error);
            return Control::Stop;
        }
        if self.aborted() || self.disposed.get() {
            Control::Stop
        } else {
            Control::Continue
        }
    }
}

impl TrainObserver for JsObserver {
    fn on_step(&mut self, progress: &StepProgress) -> Control {
        let event = to_js(progress);
        let now = js_sys::Date::now();
        // Keep one point at or before the window's start, and the rest inside it.
        while self.recent.len() > 1 && self.recent[1].0 <= now - RATE_WINDOW_MS {
            self.recent.pop_front();
        }
        let (since_ms, seen_then) = self.recent[0];
        let seconds = ((now - since_ms) / 1000.0).max(1e-3);
        let rate = progress.samples_seen.saturating_sub(seen_then) as f64 / seconds;
        self.recent.push_back((now, progress.samples_seen));
        let _ = Reflect::set(&event, &"samplesPerSecond".into(), &rate.into());
        self.call(self.callbacks.on_progress.clone(), "onProgress", &event)
    }

    fn on_epoch(&mut self, summary: &EpochSummary) -> Control {
        let event = to_js(summary);
        self.call(self.callbacks.on_epoch.clone(), "onEpoch", &event)
    }

    /// A trip through the event loop, so the page can handle input and paint and a worker its
    /// messages (a cancel, a dispose), at most every `YIELD_EVERY_MS`. A `MessageChannel` message
    /// is a plain macrotask; `setTimeout(0)`, the fallback, is clamped to 4 ms once timers nest.
    /// (`scheduler.yield()` is no use here: its continuation runs ahead of queued messages.)
    async fn yield_now(&mut self) {
        if js_sys::Date::now() - self.last_yield_ms < YIELD_EVERY_MS {
            return;
        }
        let mut channel = None;
        let promise = Promise::new(&mut |resolve, _| {
            channel = post_to_self(&resolve);
            if channel.is_none() {
                let global = js_sys::global();
                match get(&global, "setTimeout").and_then(|f| f.dyn_into::<Function>().ok()) {
                    Some(set_timeout) => {
                        let _ = set_timeout.call2(&JsValue::NULL, &resolve, &0.into());
                    }
                    None => {
                        let _ = resolve.call0(&JsValue::NULL);
                    }
                }
            }
        });
        let _ = JsFuture::from(promise).await;
        if let Some(channel) = channel {
            // An open port keeps Node.js running.
            for port in ["port1", "port2"]
                .iter()
                .filter_map(|name| get(&channel, name))
            {
                call_method(&port, "close");
            }
        }
        self.last_yield_ms = js_sys::Date::now();
    }
}

/// `object[name]()`, ignoring a missing method or a throw.
fn call_method(object: &JsValue, name: &str) {
    if let Some(Ok(method)) = get(object, name).map(|f| f.dyn_into::<Function>()) {
        let _ = method.call0(object);
    }
}

/// Calls `callback` from a macrotask: a message sent through a fresh `MessageChannel`, which it
/// returns (to be closed). `None` where the host has no `MessageChannel`.
fn post_to_self(callback: &Function) -> Option<JsValue> {
    let constructor: Function = get(&js_sys::global(), "MessageChannel")?.dyn_into().ok()?;
    let channel = Reflect::construct(&constructor, &js_sys::Array::new()).ok()?;
    let (receiver, sender) = (get(&channel, "port1")?, get(&channel, "port2")?);
    Reflect::set(&receiver, &"onmessage".into(), callback).ok()?;
    let post: Function = get(&sender, "postMessage")?.dyn_into().ok()?;
    post.call1(&sender, &JsValue::NULL).ok()?;
    Some(channel)
}

impl From<AeError> for JsValue {
    fn from(e: AeError) -> JsValue {
        if let AeError::DeviceLost(why) = &e {
            // The device cannot come back in this page or worker: later calls say so at once.
            DEVICE_LOST.with(|lost| {
                lost.borrow_mut().get_or_insert_with(|| why.clone());
            });
            #[cfg(feature = "webgpu")]
            WEBGPU.with(|device| device.borrow_mut().take());
            return js_error(e.code(), &format!("{e}. {AFTER_DEVICE_LOST}"));
        }
        js_error(e.code(), &e.to_string())
    }
}

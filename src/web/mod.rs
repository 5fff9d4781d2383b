//! The only code that touches wasm-bindgen: the `Autoencoder` class exported to JavaScript.
//!
//! Every method returns `Result<_, JsValue>` whose error is a real JS `Error` carrying a stable
//! `code` (see `AeError::code`), so callers can branch on `err.code`. The core model lives in an
//! `Rc<RefCell<Option<_>>>`: async methods own a handle to it, training takes it out for the
//! duration and always puts it back, so an error or a cancel never loses the weights.

use std::cell::RefCell;
use std::rc::Rc;

use burn::tensor::Device;
use js_sys::{Float32Array, Function, Object, Promise, Reflect, Uint8Array, Uint8ClampedArray};
use serde::{Deserialize, Serialize};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use crate::autoencoder::Autoencoder as CoreModel;
use crate::config::{ModelConfig, TrainConfig};
use crate::data::Images;
use crate::error::AeError;
use crate::train::{Control, EpochSummary, StepProgress, TrainObserver};

/// Build a JS `Error` with `name`, `code` and a readable message.
fn js_error(code: &str, message: &str) -> JsValue {
    let error = js_sys::Error::new(message);
    error.set_name("AutoencoderError");
    // Setting a property on a fresh Error object cannot fail.
    let _ = Reflect::set(&error, &"code".into(), &code.into());
    error.into()
}

impl From<AeError> for JsValue {
    fn from(e: AeError) -> JsValue {
        js_error(e.code(), &e.to_string())
    }
}

type JsResult<T> = Result<T, JsValue>;

#[wasm_bindgen(start)]
fn start() {
    console_error_panic_hook::set_once();
}

thread_local! {
    /// The WebGPU device: it can be initialised only once per page or worker, so it is cached.
    static WEBGPU: RefCell<Option<Device>> = const { RefCell::new(None) };
}

async fn webgpu_device() -> JsResult<Device> {
    if let Some(device) = WEBGPU.with(|d| d.borrow().clone()) {
        return Ok(device);
    }
    let has_gpu = Reflect::get(&js_sys::global(), &"navigator".into())
        .and_then(|nav| Reflect::get(&nav, &"gpu".into()))
        .map(|gpu| !gpu.is_undefined() && !gpu.is_null())
        .unwrap_or(false);
    if !has_gpu {
        return Err(js_error("NO_WEBGPU", "WebGPU is not available here (navigator.gpu is missing); use { backend: 'cpu' }"));
    }
    let device = Device::wgpu_options()
        .init_async()
        .await
        .map_err(|e| js_error("NO_WEBGPU", &format!("could not start WebGPU: {e}; use {{ backend: 'cpu' }}")))?;
    WEBGPU.with(|d| *d.borrow_mut() = Some(device.clone()));
    Ok(device)
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct CreateOptions {
    backend: Option<String>,
    seed: Option<u64>,
}

fn parse<T: for<'de> Deserialize<'de> + Default>(value: JsValue, what: &str) -> JsResult<T> {
    if value.is_undefined() || value.is_null() {
        return Ok(T::default());
    }
    serde_wasm_bindgen::from_value(value).map_err(|e| js_error("INVALID_CONFIG", &format!("{what}: {e}")))
}

fn to_js<T: Serialize>(value: &T) -> JsValue {
    let serializer = serde_wasm_bindgen::Serializer::json_compatible();
    value.serialize(&serializer).unwrap_or(JsValue::UNDEFINED)
}

/// Pixels from a `Float32Array` (values in [0, 1]) or a `Uint8Array` / `Uint8ClampedArray`
/// (0..=255), as images of `shape`.
fn images_from_js(value: &JsValue, shape: [usize; 3], what: &str) -> JsResult<Images> {
    let images = if let Some(a) = value.dyn_ref::<Float32Array>() {
        Images::new(a.to_vec(), shape)
    } else if let Some(a) = value.dyn_ref::<Uint8Array>() {
        Images::from_u8(&a.to_vec(), shape)
    } else if let Some(a) = value.dyn_ref::<Uint8ClampedArray>() {
        Images::from_u8(&a.to_vec(), shape)
    } else {
        return Err(js_error("INVALID_DATA", &format!("{what} must be a Float32Array, Uint8Array or Uint8ClampedArray")));
    };
    images.map_err(|e| js_error(e.code(), &format!("{what}: {e}")))
}

/// An autoencoder that trains and runs in the browser, on WebGPU or on the CPU.
#[wasm_bindgen]
pub struct Autoencoder {
    model: Rc<RefCell<Option<CoreModel>>>,
    config: ModelConfig,
    backend: String,
}

fn busy_error() -> JsValue {
    js_error("BUSY", "the model is training; wait for train() to finish or abort it with its signal")
}

impl Autoencoder {
    /// A shared borrow of the model for the length of an inference call; `BUSY` while training.
    fn model(&self) -> JsResult<std::cell::Ref<'_, CoreModel>> {
        let guard = self.model.try_borrow().map_err(|_| busy_error())?;
        std::cell::Ref::filter_map(guard, |m| m.as_ref()).map_err(|_| busy_error())
    }
}

#[wasm_bindgen]
impl Autoencoder {
    /// `await Autoencoder.create(config, { backend: 'webgpu' | 'cpu' | 'auto', seed })`.
    pub async fn create(config: JsValue, options: JsValue) -> JsResult<Autoencoder> {
        let config: ModelConfig = parse(config, "config")?;
        let options: CreateOptions = parse(options, "options")?;
        let backend = options.backend.unwrap_or_else(|| "auto".into());
        let (device, backend) = match backend.as_str() {
            "cpu" => (Device::flex(), "cpu"),
            "webgpu" => (webgpu_device().await?, "webgpu"),
            "auto" => match webgpu_device().await {
                Ok(d) => (d, "webgpu"),
                Err(_) => (Device::flex(), "cpu"),
            },
            other => {
                return Err(js_error("INVALID_CONFIG", &format!("options.backend must be 'webgpu', 'cpu' or 'auto', got '{other}'")));
            }
        };
        let model = CoreModel::new(config.clone(), options.seed.unwrap_or(0), device)?;
        Ok(Autoencoder { model: Rc::new(RefCell::new(Some(model))), config, backend: backend.into() })
    }

    /// `'webgpu'` or `'cpu'`: the backend this model runs on.
    #[wasm_bindgen(getter)]
    pub fn backend(&self) -> String {
        self.backend.clone()
    }

    /// The model's config, as a plain object.
    #[wasm_bindgen(getter)]
    pub fn config(&self) -> JsValue {
        to_js(&self.config)
    }

    #[wasm_bindgen(getter, js_name = latentSize)]
    pub fn latent_size(&self) -> usize {
        self.config.latent
    }

    #[wasm_bindgen(getter, js_name = inputSize)]
    pub fn input_size(&self) -> usize {
        self.config.input_size()
    }

    /// True while `train` runs.
    #[wasm_bindgen(getter)]
    pub fn busy(&self) -> bool {
        self.model.try_borrow().map(|m| m.is_none()).unwrap_or(true)
    }

    /// Train on images (reconstructing them). `options`: epochs, batchSize, learningRate, seed,
    /// validationSplit, maxSteps, onProgress(progress), signal (AbortSignal). Resolves with the
    /// history; rejects with code `BUSY` if a training is already running.
    pub async fn train(&self, data: JsValue, options: JsValue) -> JsResult<JsValue> {
        let (callbacks, options) = split_callbacks(options)?;
        let cfg: TrainConfig = parse(options, "options")?;
        let images = images_from_js(&data, self.config.input_shape, "data")?;
        let already = || js_error("BUSY", "this model is already training or running; await that call (or abort it) first");
        let mut model = self.model.try_borrow_mut().map_err(|_| already())?.take().ok_or_else(already)?;
        let mut observer = JsObserver { callbacks, started_ms: now_ms(), callback_error: None };
        let result = model.train(&images, None, &cfg, &mut observer).await;
        // Always put the model back, whatever happened.
        *self.model.borrow_mut() = Some(model);
        if let Some(error) = observer.callback_error {
            return Err(error);
        }
        Ok(to_js(&result?))
    }

    /// Codes of the images, `[n, latentSize]` flattened.
    pub async fn encode(&self, images: JsValue) -> JsResult<Float32Array> {
        let images = images_from_js(&images, self.config.input_shape, "images")?;
        let model = self.model()?;
        Ok(Float32Array::from(model.encode(&images).await?.as_slice()))
    }

    /// Images decoded from codes (`Float32Array`, `[n, latentSize]` flattened), `[n, inputSize]`.
    pub async fn decode(&self, codes: Float32Array) -> JsResult<Float32Array> {
        let codes = codes.to_vec();
        let model = self.model()?;
        Ok(Float32Array::from(model.decode(&codes).await?.as_slice()))
    }

    /// Encode then decode.
    pub async fn reconstruct(&self, images: JsValue) -> JsResult<Float32Array> {
        let images = images_from_js(&images, self.config.input_shape, "images")?;
        let model = self.model()?;
        Ok(Float32Array::from(model.reconstruct(&images).await?.as_slice()))
    }

    /// `n` new images, `[n, inputSize]` flattened, from codes drawn with `seed`.
    pub async fn sample(&self, n: usize, seed: Option<u32>) -> JsResult<Float32Array> {
        let model = self.model()?;
        Ok(Float32Array::from(model.sample(n, seed.unwrap_or(0) as u64).await?.as_slice()))
    }
}

/// The non-serde parts of the train options.
struct Callbacks {
    on_progress: Option<Function>,
    signal: Option<JsValue>,
}

fn split_callbacks(options: JsValue) -> JsResult<(Callbacks, JsValue)> {
    if options.is_undefined() || options.is_null() {
        return Ok((Callbacks { on_progress: None, signal: None }, options));
    }
    if !options.is_object() {
        return Err(js_error("INVALID_CONFIG", "options must be an object"));
    }
    let rest = Object::assign(&Object::new(), options.unchecked_ref());
    let take = |name: &str| -> JsResult<Option<JsValue>> {
        let v = Reflect::get(&rest, &name.into())?;
        Reflect::delete_property(&rest, &name.into())?;
        Ok(if v.is_undefined() || v.is_null() { None } else { Some(v) })
    };
    let on_progress = match take("onProgress")? {
        None => None,
        Some(f) => Some(f.dyn_into::<Function>().map_err(|_| js_error("INVALID_CONFIG", "options.onProgress must be a function"))?),
    };
    let signal = take("signal")?;
    Ok((Callbacks { on_progress, signal }, rest.into()))
}

fn now_ms() -> f64 {
    js_sys::Date::now()
}

struct JsObserver {
    callbacks: Callbacks,
    started_ms: f64,
    callback_error: Option<JsValue>,
}

impl JsObserver {
    fn aborted(&self) -> bool {
        self.callbacks
            .signal
            .as_ref()
            .and_then(|s| Reflect::get(s, &"aborted".into()).ok())
            .is_some_and(|v| v.is_truthy())
    }
}

impl TrainObserver for JsObserver {
    fn on_step(&mut self, progress: &StepProgress) -> Control {
        if let Some(f) = &self.callbacks.on_progress {
            let event = to_js(progress);
            let seconds = ((now_ms() - self.started_ms) / 1000.0).max(1e-3);
            let _ = Reflect::set(&event, &"samplesPerSecond".into(), &(progress.samples_seen as f64 / seconds).into());
            let terms = Object::new();
            for (name, value) in &progress.terms {
                let _ = Reflect::set(&terms, &name.as_str().into(), &(*value as f64).into());
            }
            let _ = Reflect::set(&event, &"terms".into(), &terms);
            if let Err(e) = f.call1(&JsValue::NULL, &event) {
                // A throwing callback stops training; its error is what `train` rejects with.
                self.callback_error = Some(e);
                return Control::Stop;
            }
        }
        if self.aborted() { Control::Stop } else { Control::Continue }
    }

    fn on_epoch(&mut self, _summary: &EpochSummary) -> Control {
        if self.aborted() { Control::Stop } else { Control::Continue }
    }

    /// A macrotask, so the page can handle input and paint between steps.
    async fn yield_now(&mut self) {
        let promise = Promise::new(&mut |resolve, _| {
            let set_timeout = Reflect::get(&js_sys::global(), &"setTimeout".into())
                .ok()
                .and_then(|f| f.dyn_into::<Function>().ok());
            match set_timeout {
                Some(set_timeout) => {
                    let _ = set_timeout.call2(&JsValue::NULL, &resolve, &0.into());
                }
                None => {
                    let _ = resolve.call0(&JsValue::NULL);
                }
            }
        });
        let _ = JsFuture::from(promise).await;
    }
}

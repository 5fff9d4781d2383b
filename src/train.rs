//! The training loop (burn-train does not build for wasm, so we own it).
//!
//! It is `async` so that the same code runs natively and in the browser: every readback is an
//! `into_data_async`, and between steps it awaits the observer's `yield_now`, which in a page
//! hands control back to the event loop so the UI stays responsive.

use std::future::Future;

use burn::module::Module;
use burn::optim::decay::WeightDecayConfig;
use burn::optim::{AdamConfig, GradientsParams, ModuleOptimizer};
use burn::tensor::{Device, Tensor, TensorData};
use serde::Serialize;

use crate::config::{Corruption, Kind, ModelConfig, TrainConfig};
use crate::corrupt::corrupt_in_place;
use crate::data::{Images, split_indices};
use crate::error::{AeError, Result};
use crate::model::AutoencoderNet;
use crate::objective::{self, Batch};
use crate::rng::SeededRng;

/// Random directions per step for the conv contractive estimator.
const CONTRACTIVE_PROBES: usize = 2;

/// Serialise `(name, value)` pairs as a map (a JS object), keeping their order.
fn ordered_map<S: serde::Serializer>(
    pairs: &[(String, f32)],
    serializer: S,
) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap;
    let mut map = serializer.serialize_map(Some(pairs.len()))?;
    for (name, value) in pairs {
        map.serialize_entry(name, value)?;
    }
    map.end()
}

/// Reported after every optimiser step.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StepProgress {
    /// 0-based epoch.
    pub epoch: usize,
    pub epochs: usize,
    /// 0-based step within the epoch.
    pub step: usize,
    pub steps_per_epoch: usize,
    /// Steps taken in this whole `train` call.
    pub global_step: usize,
    pub loss: f32,
    /// Each objective term by name (`reconstruction` first).
    #[serde(serialize_with = "ordered_map")]
    pub terms: Vec<(String, f32)>,
    /// Images seen in this `train` call.
    pub samples_seen: usize,
}

/// Reported after every epoch.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EpochSummary {
    pub epoch: usize,
    /// Mean training loss over the epoch's batches (weighted by batch size).
    pub train_loss: f32,
    #[serde(serialize_with = "ordered_map")]
    pub train_terms: Vec<(String, f32)>,
    /// Loss on the validation split, if there is one.
    pub validation_loss: Option<f32>,
}

/// What `train` returns.
#[derive(Debug, Clone, Serialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct TrainHistory {
    pub epochs: Vec<EpochSummary>,
    /// Loss after every step, in order.
    pub step_losses: Vec<f32>,
    pub steps: usize,
    /// True when the observer asked to stop before the end.
    pub cancelled: bool,
}

/// Whether to go on after an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Control {
    Continue,
    Stop,
}

/// Receives progress and decides whether to continue; lets the host breathe between steps.
pub trait TrainObserver {
    fn on_step(&mut self, _progress: &StepProgress) -> Control {
        Control::Continue
    }
    fn on_epoch(&mut self, _summary: &EpochSummary) -> Control {
        Control::Continue
    }
    /// Awaited between steps (in a browser: a macrotask, so that events and paints get through).
    fn yield_now(&mut self) -> impl Future<Output = ()> {
        std::future::ready(())
    }
}

/// An observer that never stops and never yields.
pub struct Silent;
impl TrainObserver for Silent {}

/// Read a small tensor back to the host, on any backend.
pub async fn read_f32<const D: usize>(tensor: Tensor<D>) -> Result<Vec<f32>> {
    let data = tensor
        .into_data_async()
        .await
        .map_err(|e| AeError::Backend(format!("readback failed: {e:?}")))?;
    data.try_into_vec::<f32>()
        .map_err(|e| AeError::Backend(format!("readback gave unexpected data: {e:?}")))
}

pub(crate) fn batch_tensor(
    values: Vec<f32>,
    rows: usize,
    cols: usize,
    device: &Device,
) -> Tensor<2> {
    Tensor::from_data(TensorData::new(values, [rows, cols]), device)
}

/// `rows x cols` standard normal draws.
pub(crate) fn normal_tensor(
    rows: usize,
    cols: usize,
    rng: &mut SeededRng,
    device: &Device,
) -> Tensor<2> {
    batch_tensor(
        (0..rows * cols).map(|_| rng.normal()).collect(),
        rows,
        cols,
        device,
    )
}

/// Everything the objective needs for the images at `indices`: the input (with `corruption`
/// applied), the target, and the kind's random draws, all taken from `rng`.
pub fn make_batch(
    model: &ModelConfig,
    corruption: Option<Corruption>,
    inputs: &Images,
    targets: &Images,
    indices: &[usize],
    rng: &mut SeededRng,
    device: &Device,
) -> Batch {
    let (rows, size) = (indices.len(), model.input_size());
    let mut input = inputs.gather(indices);
    if let Some(corruption) = corruption {
        corrupt_in_place(&mut input, model.input_shape, &corruption, rng);
    }
    let noise =
        (model.kind == Kind::Variational).then(|| normal_tensor(rows, model.latent, rng, device));
    let probes = if model.kind == Kind::Contractive
        && model.architecture == crate::config::Architecture::Conv
    {
        (0..CONTRACTIVE_PROBES)
            .map(|_| normal_tensor(rows, size, rng, device))
            .collect()
    } else {
        Vec::new()
    };
    Batch {
        input: batch_tensor(input, rows, size, device), // [batch, input]
        target: batch_tensor(targets.gather(indices), rows, size, device), // [batch, input]
        noise,
        probes,
    }
}

/// Training state that survives between `train` calls, so training can be resumed.
pub struct Trainer {
    optimizer: Option<ModuleOptimizer>,
}

impl Default for Trainer {
    fn default() -> Self {
        Trainer::new()
    }
}

impl Trainer {
    pub fn new() -> Self {
        Trainer { optimizer: None }
    }

    fn optimizer(&mut self, cfg: &TrainConfig) -> ModuleOptimizer {
        self.optimizer.take().unwrap_or_else(|| {
            let mut adam = AdamConfig::new()
                .with_beta_1(cfg.beta1)
                .with_beta_2(cfg.beta2)
                .with_epsilon(1e-8);
            if cfg.weight_decay > 0.0 {
                adam = adam.with_weight_decay(Some(WeightDecayConfig {
                    penalty: cfg.weight_decay,
                }));
            }
            adam.init()
        })
    }

    /// Forget the optimiser's moments (e.g. after the hyperparameters change).
    pub fn reset(&mut self) {
        self.optimizer = None;
    }

    /// Train `net` (on an autodiff device) on `inputs` -> `targets` (the same images unless paired).
    ///
    /// On error the network holds the weights of the last good step; nothing is lost.
    #[allow(clippy::too_many_arguments)]
    pub async fn fit(
        &mut self,
        net: &mut AutoencoderNet,
        model: &ModelConfig,
        cfg: &TrainConfig,
        inputs: &Images,
        targets: Option<&Images>,
        device: &Device,
        observer: &mut impl TrainObserver,
    ) -> Result<TrainHistory> {
        cfg.validate()?;
        let size = model.input_size();
        if inputs.shape() != model.input_shape {
            return Err(AeError::ShapeMismatch(format!(
                "images are {:?} but the model takes {:?}",
                inputs.shape(),
                model.input_shape
            )));
        }
        if let Some(t) = targets {
            if t.len() != inputs.len() || t.image_size() != size {
                return Err(AeError::ShapeMismatch(format!(
                    "targets must match the inputs: {} targets of {:?} for {} inputs of {:?}",
                    t.len(),
                    t.shape(),
                    inputs.len(),
                    inputs.shape()
                )));
            }
        }
        if model.kind == Kind::Paired && targets.is_none() {
            return Err(AeError::InvalidData(
                "a paired model trains on (input, target) pairs: pass targets of the same shape as the inputs".into(),
            ));
        }
        let targets = targets.unwrap_or(inputs);
        if cfg.batch_size.min(inputs.len()).saturating_mul(size) > crate::config::MAX_BATCH_VALUES {
            return Err(AeError::config(
                "batchSize",
                format!(
                    "{} images of {size} values is too large a batch; use at most {}",
                    cfg.batch_size,
                    crate::config::MAX_BATCH_VALUES / size
                ),
            ));
        }
        let (train_idx, val_idx) = split_indices(inputs.len(), cfg.validation_split, cfg.seed);
        if train_idx.is_empty() {
            return Err(AeError::InvalidData(
                "no training images left after the validation split".into(),
            ));
        }

        // The call's corruption, else the model's own (denoising models).
        let corruption = cfg.corruption.or(model.training_corruption());
        let mut optimizer = self.optimizer(cfg);
        let mut history = TrainHistory::default();
        let steps_per_epoch = train_idx.len().div_ceil(cfg.batch_size);
        let mut rng = SeededRng::new(cfg.seed);
        // A separate stream for corruption and sampling noise, so shuffling does not depend on the kind.
        let mut noise_rng = SeededRng::new(cfg.seed ^ 0x0D15_EA5E);
        let mut order = train_idx.clone();

        'epochs: for epoch in 0..cfg.epochs {
            rng.shuffle(&mut order);
            let mut loss_sum = 0.0f64;
            let mut term_sums: Vec<f64> = Vec::new();
            let mut term_names: Vec<String> = Vec::new();
            let mut seen = 0usize;
            for (step, batch) in order.chunks(cfg.batch_size).enumerate() {
                let data = make_batch(
                    model,
                    corruption,
                    inputs,
                    targets,
                    batch,
                    &mut noise_rng,
                    device,
                );
                let last_good = (net.clone(), optimizer.clone());
                let objective = objective::compute(model, net, data);
                let grads = GradientsParams::from_grads(objective.total.backward(), &*net);
                *net = optimizer.step(cfg.learning_rate, net.clone(), grads);

                // One readback per step: [total, term...].
                let mut parts = vec![objective.total.detach()];
                parts.extend(objective.terms.iter().map(|(_, t)| t.clone().detach()));
                let values = read_f32(Tensor::cat(parts, 0)).await?;
                let loss = values[0];
                if !values.iter().all(|v| v.is_finite()) {
                    (*net, optimizer) = last_good;
                    self.optimizer = Some(optimizer);
                    return Err(AeError::Diverged { epoch, step, loss });
                }
                if term_names.is_empty() {
                    term_names = objective.terms.iter().map(|(n, _)| n.to_string()).collect();
                    term_sums = vec![0.0; term_names.len()];
                }
                loss_sum += loss as f64 * batch.len() as f64;
                for (sum, v) in term_sums.iter_mut().zip(&values[1..]) {
                    *sum += *v as f64 * batch.len() as f64;
                }
                seen += batch.len();
                history.steps += 1;
                history.step_losses.push(loss);

                let progress = StepProgress {
                    epoch,
                    epochs: cfg.epochs,
                    step,
                    steps_per_epoch,
                    global_step: history.steps,
                    loss,
                    terms: term_names
                        .iter()
                        .cloned()
                        .zip(values[1..].iter().copied())
                        .collect(),
                    samples_seen: epoch * train_idx.len() + seen,
                };
                let asked_to_stop = observer.on_step(&progress) == Control::Stop;
                // Reaching `max_steps` is a normal end, not a cancellation.
                let reached_max = cfg.max_steps.is_some_and(|m| history.steps >= m);
                observer.yield_now().await;
                if asked_to_stop || reached_max {
                    history.cancelled = !reached_max;
                    push_epoch(
                        &mut history,
                        epoch,
                        loss_sum,
                        &term_names,
                        &term_sums,
                        seen,
                        None,
                    );
                    break 'epochs;
                }
            }
            let validation_loss = if val_idx.is_empty() {
                None
            } else {
                Some(mean_loss(net, model, corruption, inputs, targets, &val_idx, device).await?)
            };
            push_epoch(
                &mut history,
                epoch,
                loss_sum,
                &term_names,
                &term_sums,
                seen,
                validation_loss,
            );
            if observer.on_epoch(history.epochs.last().expect("just pushed")) == Control::Stop {
                history.cancelled = epoch + 1 < cfg.epochs;
                break;
            }
        }
        self.optimizer = Some(optimizer);
        Ok(history)
    }
}

fn push_epoch(
    history: &mut TrainHistory,
    epoch: usize,
    loss_sum: f64,
    names: &[String],
    term_sums: &[f64],
    seen: usize,
    validation_loss: Option<f32>,
) {
    let n = seen.max(1) as f64;
    history.epochs.push(EpochSummary {
        epoch,
        train_loss: (loss_sum / n) as f32,
        train_terms: names
            .iter()
            .cloned()
            .zip(term_sums.iter().map(|s| (s / n) as f32))
            .collect(),
        validation_loss,
    });
}

/// Mean per-image objective of `net` on the images at `indices`, without gradients.
pub async fn mean_loss(
    net: &AutoencoderNet,
    model: &ModelConfig,
    corruption: Option<Corruption>,
    inputs: &Images,
    targets: &Images,
    indices: &[usize],
    device: &Device,
) -> Result<f32> {
    let eval_net = net.valid();
    let plain = device.clone().inner();
    // Fixed draws, so that validation losses of different epochs are comparable.
    let mut rng = SeededRng::new(0x5EED);
    let mut total = 0.0f64;
    for chunk in indices.chunks(500) {
        let data = make_batch(model, corruption, inputs, targets, chunk, &mut rng, &plain);
        let loss = objective::compute(model, &eval_net, data).total;
        total += read_f32(loss).await?[0] as f64 * chunk.len() as f64;
    }
    Ok((total / indices.len().max(1) as f64) as f32)
}

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

use crate::config::{ModelConfig, TrainConfig};
use crate::data::{split_indices, Images};
use crate::error::{AeError, Result};
use crate::model::AutoencoderNet;
use crate::objective;
use crate::rng::SeededRng;

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
    let data = tensor.into_data_async().await.map_err(|e| AeError::Backend(format!("readback failed: {e:?}")))?;
    data.try_into_vec::<f32>().map_err(|e| AeError::Backend(format!("readback gave unexpected data: {e:?}")))
}

pub(crate) fn batch_tensor(values: Vec<f32>, rows: usize, cols: usize, device: &Device) -> Tensor<2> {
    Tensor::from_data(TensorData::new(values, [rows, cols]), device)
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
        self.optimizer
            .take()
            .unwrap_or_else(|| {
                let mut adam = AdamConfig::new().with_beta_1(cfg.beta1).with_beta_2(cfg.beta2).with_epsilon(1e-8);
                if cfg.weight_decay > 0.0 {
                    adam = adam.with_weight_decay(Some(WeightDecayConfig { penalty: cfg.weight_decay }));
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
        let targets = targets.unwrap_or(inputs);
        let (train_idx, val_idx) = split_indices(inputs.len(), cfg.validation_split, cfg.seed);
        if train_idx.is_empty() {
            return Err(AeError::InvalidData("no training images left after the validation split".into()));
        }

        let mut optimizer = self.optimizer(cfg);
        let mut history = TrainHistory::default();
        let steps_per_epoch = train_idx.len().div_ceil(cfg.batch_size);
        let mut rng = SeededRng::new(cfg.seed);
        let mut order = train_idx.clone();

        'epochs: for epoch in 0..cfg.epochs {
            rng.shuffle(&mut order);
            let mut loss_sum = 0.0f64;
            let mut term_sums: Vec<f64> = Vec::new();
            let mut term_names: Vec<String> = Vec::new();
            let mut seen = 0usize;
            for (step, batch) in order.chunks(cfg.batch_size).enumerate() {
                let x = batch_tensor(inputs.gather(batch), batch.len(), size, device); // [batch, input]
                let y = batch_tensor(targets.gather(batch), batch.len(), size, device); // [batch, input]

                let last_good = (net.clone(), optimizer.clone());
                let out = net.forward(x);
                let objective = objective::compute(model, &out, y);
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
                    terms: term_names.iter().cloned().zip(values[1..].iter().copied()).collect(),
                    samples_seen: epoch * train_idx.len() + seen,
                };
                let stop = observer.on_step(&progress) == Control::Stop
                    || cfg.max_steps.is_some_and(|m| history.steps >= m);
                observer.yield_now().await;
                if stop {
                    history.cancelled = observer_stopped(cfg, &history);
                    push_epoch(&mut history, epoch, loss_sum, &term_names, &term_sums, seen, None);
                    break 'epochs;
                }
            }
            let validation_loss = if val_idx.is_empty() {
                None
            } else {
                Some(mean_loss(net, model, inputs, targets, &val_idx, device).await?)
            };
            push_epoch(&mut history, epoch, loss_sum, &term_names, &term_sums, seen, validation_loss);
            if observer.on_epoch(history.epochs.last().expect("just pushed")) == Control::Stop {
                history.cancelled = epoch + 1 < cfg.epochs;
                break;
            }
        }
        self.optimizer = Some(optimizer);
        Ok(history)
    }
}

fn observer_stopped(cfg: &TrainConfig, history: &TrainHistory) -> bool {
    // Reaching `max_steps` is a normal end, not a cancellation.
    cfg.max_steps.is_none_or(|m| history.steps < m)
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
        train_terms: names.iter().cloned().zip(term_sums.iter().map(|s| (s / n) as f32)).collect(),
        validation_loss,
    });
}

/// Mean per-image objective of `net` on the images at `indices`, without gradients.
pub async fn mean_loss(
    net: &AutoencoderNet,
    model: &ModelConfig,
    inputs: &Images,
    targets: &Images,
    indices: &[usize],
    device: &Device,
) -> Result<f32> {
    let eval_net = net.valid();
    let plain = device.clone().inner();
    let size = model.input_size();
    let mut total = 0.0f64;
    for chunk in indices.chunks(500) {
        let x = batch_tensor(inputs.gather(chunk), chunk.len(), size, &plain);
        let y = batch_tensor(targets.gather(chunk), chunk.len(), size, &plain);
        let out = eval_net.forward(x);
        let loss = objective::compute(model, &out, y).total;
        total += read_f32(loss).await?[0] as f64 * chunk.len() as f64;
    }
    Ok((total / indices.len().max(1) as f64) as f32)
}

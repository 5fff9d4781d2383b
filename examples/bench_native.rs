//! Native speed of the core on burn's Flex CPU backend, beside PyTorch on the same machine
//! (`bench/native/torch_cpu.py` trains the same networks on the same digits).
//!
//!     cargo run --release --example bench_native -- [--epochs 3] [--runs 3] [--images 8000]
//!         [--out reports/bench-native.json]
//!
//! `--smoke` (CI): 2 epochs of 512 digits, one run, written to a temporary file; it proves the
//! benchmark runs, its figures mean nothing.
//!
//! Per network (the MNIST VAE 784-400-20 and the dense denoiser 784-400-64-400-784, batch 128,
//! Adam 1e-3, the 8,000 training digits): `runs` fresh models each trained for `epochs` epochs; the
//! first epoch of each run is warm-up; samples/s is the median over runs of the steady epochs.
//! Inference: `reconstruct` of 256 digits, images/s, median of repeats. Rows are appended to the
//! output file (a JSON array of `{ name, value, unit, note }`), replacing rows of the same name.

use std::time::Instant;

use autoencoders::train::Silent;
use autoencoders::{Autoencoder, Corruption, Images, Kind, Mnist, ModelConfig, TrainConfig};
use burn::tensor::Device;
use pollster::block_on;
use serde_json::{Value, json};

struct Args {
    epochs: usize,
    runs: usize,
    images: usize,
    out: String,
}

fn parse_args() -> Args {
    let mut args = Args {
        epochs: 3,
        runs: 3,
        images: 8000,
        out: "reports/bench-native.json".into(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        if flag == "--smoke" {
            args.epochs = 2;
            args.runs = 1;
            args.images = 512;
            args.out = std::env::temp_dir()
                .join("bench-native-smoke.json")
                .display()
                .to_string();
            continue;
        }
        let value = it.next().unwrap_or_else(|| panic!("{flag} needs a value"));
        match flag.as_str() {
            "--epochs" => args.epochs = value.parse().expect("--epochs takes a number"),
            "--runs" => args.runs = value.parse().expect("--runs takes a number"),
            "--images" => args.images = value.parse().expect("--images takes a number"),
            "--out" => args.out = value,
            other => panic!("unknown flag {other}"),
        }
    }
    assert!(
        args.epochs >= 2,
        "--epochs must be at least 2 (the first is warm-up)"
    );
    args
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// The two benchmark networks, as the browser benchmark defines them.
fn networks() -> Vec<(&'static str, ModelConfig)> {
    vec![
        (
            "vae-784-400-20",
            ModelConfig {
                kind: Kind::Variational,
                hidden: vec![400],
                latent: 20,
                ..Default::default()
            },
        ),
        (
            "dae-784-400-64-400-784",
            ModelConfig {
                kind: Kind::Denoising,
                hidden: vec![400],
                latent: 64,
                corruption: Some(Corruption::Gaussian { sigma: 0.5 }),
                ..Default::default()
            },
        ),
    ]
}

/// Steady-state training samples/s (median over runs) and the last epoch's loss.
fn train_rate(config: &ModelConfig, train: &Images, args: &Args) -> (f64, f64) {
    let mut rates = Vec::new();
    let mut last_loss = f64::NAN;
    for run in 0..args.runs {
        let mut model =
            Autoencoder::new(config.clone(), run as u64, Device::flex()).expect("valid config");
        let mut steady_seconds = 0.0;
        for epoch in 0..args.epochs {
            let cfg = TrainConfig {
                epochs: 1,
                batch_size: 128,
                learning_rate: 1e-3,
                seed: (run * 100 + epoch) as u64,
                ..Default::default()
            };
            let start = Instant::now();
            let history = block_on(model.train(train, None, &cfg, &mut Silent)).expect("trains");
            if epoch > 0 {
                steady_seconds += start.elapsed().as_secs_f64();
            }
            last_loss = history.epochs[0].train_loss as f64;
        }
        rates.push(train.len() as f64 * (args.epochs - 1) as f64 / steady_seconds);
    }
    (median(rates), last_loss)
}

fn infer_rate(config: &ModelConfig, test: &Images) -> f64 {
    let model = Autoencoder::new(config.clone(), 0, Device::flex()).expect("valid config");
    let batch = test.subset(&(0..256).collect::<Vec<_>>());
    block_on(model.reconstruct(&batch)).expect("warm-up");
    let times: Vec<f64> = (0..20)
        .map(|_| {
            let start = Instant::now();
            block_on(model.reconstruct(&batch)).expect("reconstructs");
            start.elapsed().as_secs_f64()
        })
        .collect();
    256.0 / median(times)
}

fn main() {
    let args = parse_args();
    let (train, _, test, _) = Mnist::load_bundled().expect("data/mnist.bin").split();
    let train = train.subset(&(0..args.images.min(train.len())).collect::<Vec<_>>());
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let note = format!(
        "burn Flex (simd, rayon), {threads} threads, batch 128, {} runs x {} epochs (first excluded)",
        args.runs, args.epochs
    );
    let mut rows = Vec::new();
    for (name, config) in networks() {
        let (rate, loss) = train_rate(&config, &train, &args);
        let infer = infer_rate(&config, &test);
        println!(
            "{name}: train {rate:.0} samples/s (last epoch loss {loss:.1}), infer {infer:.0} images/s"
        );
        rows.push(json!({ "name": format!("core-flex {name} train"), "value": rate.round(), "unit": "samples/s", "note": note }));
        rows.push(json!({ "name": format!("core-flex {name} loss after training"), "value": (loss * 10.0).round() / 10.0, "unit": "per image", "note": note }));
        rows.push(json!({ "name": format!("core-flex {name} infer b256"), "value": infer.round(), "unit": "images/s", "note": "reconstruct (encode + decode) of 256 digits" }));
    }
    merge_rows(&args.out, rows);
}

/// Replace the rows of the same names in the JSON array at `path` (other tools add theirs).
fn merge_rows(path: &str, rows: Vec<Value>) {
    let mut all: Vec<Value> = std::fs::read(path)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or_default();
    let names: Vec<&Value> = rows.iter().map(|r| &r["name"]).collect();
    all.retain(|r| !names.contains(&&r["name"]));
    all.extend(rows.iter().cloned());
    std::fs::write(
        path,
        serde_json::to_string_pretty(&all).expect("json") + "\n",
    )
    .expect("write");
    println!("wrote {path}");
}

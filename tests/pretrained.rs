#![cfg(not(target_arch = "wasm32"))]
//! The demo's pretrained models (www/models, made by `cargo run --example pretrain`): each loads
//! with this version of the library and meets its quality on the held-out images (2,000 digits;
//! 371 emoji for the colour VAE). A stale or damaged asset fails here rather than in the page.

use autoencoders::metrics::{self, psnr};
use autoencoders::{Architecture, Autoencoder, Corruption, Emoji, Images, Kind, Mnist};
use burn::tensor::Device;
use pollster::block_on;

fn load(name: &str) -> Autoencoder {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("www/models/{name}.ae"));
    let bytes = std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; run `cargo run --example pretrain`",
            path.display()
        )
    });
    Autoencoder::load(&bytes, Device::flex())
        .unwrap_or_else(|e| panic!("{name}: {e}; rerun `cargo run --example pretrain`"))
}

fn test_digits() -> Images {
    let (_, _, test, _) = Mnist::load_bundled().expect("MNIST asset").split();
    test
}

#[test]
fn pretrained_vaes_reach_their_held_out_elbo() {
    let test = test_digits();
    for (name, latent, bar) in [("vae-2d", 2, 170.0), ("vae-20d", 20, 118.0)] {
        let model = load(name);
        assert_eq!(
            (model.config().kind, model.config().latent),
            (Kind::Variational, latent)
        );
        let elbo = block_on(metrics::negative_elbo(&model, &test, 1)).unwrap();
        println!("{name}: negative ELBO {elbo:.2} nats on the held-out digits");
        assert!(elbo < bar, "{name}: {elbo:.2} nats, expected below {bar}");
    }
}

#[test]
fn pretrained_denoiser_cleans_noisy_digits() {
    let test = test_digits();
    let model = load("denoiser");
    let (noisy, clean) =
        block_on(model.corrupt_and_denoise(&test, &Corruption::Gaussian { sigma: 0.4 }, 5))
            .unwrap();
    let (p_noisy, p_clean) = (
        psnr(metrics::mse(&noisy, test.values())),
        psnr(metrics::mse(&clean, test.values())),
    );
    println!("denoiser: PSNR {p_noisy:.2} dB noisy -> {p_clean:.2} dB denoised");
    assert!(
        p_clean > 16.0 && p_clean > p_noisy + 5.0,
        "{p_noisy:.2} -> {p_clean:.2} dB"
    );
}

#[test]
fn pretrained_inpainter_fills_a_hidden_block() {
    let test = test_digits();
    let model = load("inpainter");
    // Hide a 10x10 block in the middle of every digit.
    let mask: Vec<f32> = (0..784)
        .map(|p| {
            if (9..19).contains(&(p / 28)) && (9..19).contains(&(p % 28)) {
                1.0
            } else {
                0.0
            }
        })
        .collect();
    let filled = block_on(model.inpaint(&test, &mask, 10)).unwrap();
    let (mut err_fill, mut err_black) = (0.0f64, 0.0f64);
    for (i, (&f, &t)) in filled.iter().zip(test.values()).enumerate() {
        if mask[i % 784] >= 0.5 {
            err_fill += ((f - t) as f64).powi(2);
            err_black += (t as f64).powi(2);
        }
    }
    let hidden = (test.len() * 100) as f64;
    let (p_fill, p_black) = (psnr(err_fill / hidden), psnr(err_black / hidden));
    println!(
        "inpainter: PSNR inside the hidden block {p_black:.2} dB left black -> {p_fill:.2} dB filled"
    );
    assert!(p_fill > p_black + 3.0, "{p_black:.2} -> {p_fill:.2} dB");
}

#[test]
fn pretrained_emoji_vae_reconstructs_and_samples_held_out_emoji_in_colour() {
    let (train, _, test, _) = Emoji::load_bundled().expect("emoji asset").split();
    let model = load("emoji-vae");
    let c = model.config();
    assert_eq!(
        (c.kind, c.architecture, c.input_shape),
        (Kind::Variational, Architecture::Conv, [3, 32, 32])
    );
    // The bars of examples/evaluate.rs (measured: 1019.8 nats, 17.01 dB on the 371 held-out emoji).
    let elbo = block_on(metrics::negative_elbo(&model, &test, 1)).unwrap();
    let rec = block_on(model.reconstruct(&test)).unwrap();
    let p = psnr(metrics::mse(&rec, test.values()));
    // Far better than drawing the mean training emoji every time (11.45 dB).
    let size = train.image_size();
    let mut mean = vec![0.0f32; size];
    for i in 0..train.len() {
        for (m, &v) in mean.iter_mut().zip(train.image(i)) {
            *m += v / train.len() as f32;
        }
    }
    let p_mean = psnr(metrics::mse(&mean.repeat(test.len()), test.values()));
    println!(
        "emoji-vae: negative ELBO {elbo:.1} nats, reconstruction PSNR {p:.2} dB (mean emoji {p_mean:.2} dB) on the held-out emoji"
    );
    assert!(elbo < 1030.0, "{elbo:.1} nats, expected below 1030");
    assert!(
        p > 16.5 && p > p_mean + 5.0,
        "{p:.2} dB, expected above 16.5 and {p_mean:.2} + 5"
    );
    // Samples are in colour: R, G and B differ (a gray model would give R = G = B everywhere).
    let samples = block_on(model.sample(16, 42)).unwrap();
    let plane = 32 * 32;
    let colourful = samples
        .chunks(3 * plane)
        .filter(|s| {
            let spread: f32 = (0..plane)
                .map(|i| {
                    let (r, g, b) = (s[i], s[plane + i], s[2 * plane + i]);
                    r.max(g).max(b) - r.min(g).min(b)
                })
                .sum::<f32>()
                / plane as f32;
            spread > 0.05
        })
        .count();
    assert!(colourful >= 12, "{colourful} of 16 samples in colour");
}

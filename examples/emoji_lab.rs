//! Scratch: emoji VAE experiments (not committed).
use std::time::Instant;

use autoencoders::metrics::{self, psnr};
use autoencoders::train::{Control, EpochSummary, TrainObserver};
use autoencoders::{
    Architecture, Autoencoder, Emoji, Images, Kind, ModelConfig, ReconstructionLoss, TrainConfig,
};
use burn::tensor::Device;
use pollster::block_on;

struct Timer(Instant);
impl TrainObserver for Timer {
    fn on_epoch(&mut self, s: &EpochSummary) -> Control {
        let terms: Vec<String> = s
            .train_terms
            .iter()
            .map(|(n, v)| format!("{n} {v:.1}"))
            .collect();
        println!(
            "epoch {} loss {:.2} [{}] {:.1} s",
            s.epoch,
            s.train_loss,
            terms.join(", "),
            self.0.elapsed().as_secs_f64()
        );
        Control::Continue
    }
}

fn arg(name: &str, default: &str) -> String {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .map(|i| args[i + 1].clone())
        .unwrap_or(default.into())
}
fn list(s: &str) -> Vec<usize> {
    if s.is_empty() {
        vec![]
    } else {
        s.split(',').map(|v| v.parse().unwrap()).collect()
    }
}

fn write_png(path: &str, rgb: &[u8], w: usize, h: usize) {
    // Minimal PNG: 8-bit RGB, zlib stored blocks.
    fn crc(data: &[u8]) -> u32 {
        let mut c = 0xFFFF_FFFFu32;
        for &b in data {
            c ^= b as u32;
            for _ in 0..8 {
                c = if c & 1 != 0 {
                    0xEDB8_8320 ^ (c >> 1)
                } else {
                    c >> 1
                };
            }
        }
        !c
    }
    let mut raw = Vec::new();
    for y in 0..h {
        raw.push(0u8);
        raw.extend_from_slice(&rgb[y * w * 3..(y + 1) * w * 3]);
    }
    let mut z = vec![0x78, 0x01];
    for (i, chunk) in raw.chunks(65535).enumerate() {
        let last = (i + 1) * 65535 >= raw.len();
        z.push(last as u8);
        z.extend_from_slice(&(chunk.len() as u16).to_le_bytes());
        z.extend_from_slice(&(!(chunk.len() as u16)).to_le_bytes());
        z.extend_from_slice(chunk);
    }
    let (mut a, mut b) = (1u32, 0u32);
    for &x in &raw {
        a = (a + x as u32) % 65521;
        b = (b + a) % 65521;
    }
    z.extend_from_slice(&((b << 16) | a).to_be_bytes());
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut chunk = |kind: &[u8], data: &[u8]| {
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let mut body = kind.to_vec();
        body.extend_from_slice(data);
        out.extend_from_slice(&body);
        out.extend_from_slice(&crc(&body).to_be_bytes());
    };
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&(w as u32).to_be_bytes());
    ihdr.extend_from_slice(&(h as u32).to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    chunk(b"IHDR", &ihdr);
    chunk(b"IDAT", &z);
    chunk(b"IEND", &[]);
    std::fs::write(path, out).unwrap();
}

/// Grid of images ([3,32,32] planar floats), `cols` wide, each scaled by `scale`.
fn grid(images: &[Vec<f32>], cols: usize, scale: usize) -> (Vec<u8>, usize, usize) {
    let s = 32 * scale;
    let pad = 2;
    let rows = images.len().div_ceil(cols);
    let (w, h) = (cols * (s + pad) + pad, rows * (s + pad) + pad);
    let mut out = vec![128u8; w * h * 3];
    for (k, img) in images.iter().enumerate() {
        let (ox, oy) = (pad + (k % cols) * (s + pad), pad + (k / cols) * (s + pad));
        for y in 0..s {
            for x in 0..s {
                for c in 0..3 {
                    out[((oy + y) * w + ox + x) * 3 + c] =
                        (img[c * 1024 + (y / scale) * 32 + x / scale] * 255.0).round() as u8;
                }
            }
        }
    }
    (out, w, h)
}

fn main() {
    let emoji = Emoji::load_bundled().unwrap();
    let (train, _, test, _) = emoji.split();
    let loss = match arg("--loss", "bce").as_str() {
        "mse" => ReconstructionLoss::Mse,
        _ => ReconstructionLoss::Bce,
    };
    let cfg = ModelConfig {
        kind: Kind::Variational,
        architecture: Architecture::Conv,
        input_shape: [3, 32, 32],
        conv_channels: list(&arg("--channels", "32,64,128")),
        hidden: list(&arg("--hidden", "256")),
        latent: arg("--latent", "32").parse().unwrap(),
        kl_weight: arg("--kl", "1.0").parse().unwrap(),
        loss,
        gaussian_scale: arg("--sigma", "").parse().ok(),
        ..Default::default()
    };
    let tag = arg("--tag", "lab");
    let mut model = Autoencoder::new(cfg.clone(), 1, Device::flex()).unwrap();
    println!("{} params", model.num_params());
    let tc = TrainConfig {
        epochs: arg("--epochs", "1").parse().unwrap(),
        batch_size: arg("--batch", "64").parse().unwrap(),
        learning_rate: arg("--lr", "1e-3").parse().unwrap(),
        seed: 1,
        max_steps: arg("--steps", "").parse().ok(),
        ..Default::default()
    };
    let start = Instant::now();
    let mut h = block_on(model.train(&train, None, &tc, &mut Timer(start))).unwrap();
    let decay: usize = arg("--decay-epochs", "0").parse().unwrap();
    if decay > 0 {
        let tc2 = TrainConfig {
            epochs: decay,
            learning_rate: arg("--decay-lr", "3e-4").parse().unwrap(),
            seed: 2,
            ..tc.clone()
        };
        let h2 = block_on(model.train(&train, None, &tc2, &mut Timer(start))).unwrap();
        h.steps += h2.steps;
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "trained {} steps in {secs:.1} s ({:.3} s/step)",
        h.steps,
        secs / h.steps as f64
    );
    let elbo = block_on(metrics::negative_elbo(&model, &test, 1)).unwrap();
    let rec = block_on(model.reconstruct(&test)).unwrap();
    let p = psnr(metrics::mse(&rec, test.values()));
    let rec_tr = block_on(model.reconstruct(&train.subset(&(0..371).collect::<Vec<_>>()))).unwrap();
    let p_tr = psnr(metrics::mse(&rec_tr, &train.values()[..371 * 3072]));
    println!("held-out negative ELBO {elbo:.1}, PSNR {p:.2} dB (train PSNR {p_tr:.2})");
    let bytes = block_on(model.save()).unwrap();
    println!("model file {} bytes", bytes.len());
    std::fs::write(format!("/tmp/emoji/{tag}.ae"), &bytes).unwrap();
    // Samples, reconstructions, interpolations.
    let samples = block_on(model.sample(16, 7)).unwrap();
    let imgs: Vec<Vec<f32>> = samples.chunks(3072).map(|c| c.to_vec()).collect();
    let (px, w, hh) = grid(&imgs, 4, 3);
    write_png(&format!("/tmp/emoji/{tag}-samples.png"), &px, w, hh);
    let codes: Vec<f32> = model
        .sample_codes(16, 7)
        .unwrap()
        .iter()
        .map(|z| z * 0.7)
        .collect();
    let cool = block_on(model.decode(&codes)).unwrap();
    let imgs: Vec<Vec<f32>> = cool.chunks(3072).map(|c| c.to_vec()).collect();
    let (px, w, hh) = grid(&imgs, 4, 3);
    write_png(&format!("/tmp/emoji/{tag}-samples07.png"), &px, w, hh);
    let pick: Vec<usize> = (0..12).map(|k| k * 30).collect();
    let mut pairs = Vec::new();
    for &i in &pick {
        pairs.push(test.image(i).to_vec());
        pairs.push(rec[i * 3072..(i + 1) * 3072].to_vec());
    }
    let (px, w, hh) = grid(&pairs, 8, 3);
    write_png(&format!("/tmp/emoji/{tag}-recon.png"), &px, w, hh);
    let mut strips = Vec::new();
    for (a, b) in [(10usize, 200usize), (50, 300), (120, 250)] {
        let ia = Images::new(test.image(a).to_vec(), [3, 32, 32]).unwrap();
        let ib = Images::new(test.image(b).to_vec(), [3, 32, 32]).unwrap();
        let path = block_on(model.interpolate(&ia, &ib, 8, true)).unwrap();
        strips.push(test.image(a).to_vec());
        strips.extend(path.chunks(3072).map(|c| c.to_vec()));
        strips.push(test.image(b).to_vec());
    }
    let (px, w, hh) = grid(&strips, 10, 3);
    write_png(&format!("/tmp/emoji/{tag}-interp.png"), &px, w, hh);
}

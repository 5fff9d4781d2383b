//! Quality measures: MSE, PSNR, a VAE's negative ELBO and its importance-weighted estimate of
//! the negative log-likelihood, mean code activation, and the encoder's Jacobian norm.

use burn::module::Module;

use crate::autoencoder::Autoencoder;
use crate::config::Kind;
use crate::data::Images;
use crate::error::{AeError, Result};
use crate::objective;
use crate::rng::SeededRng;
use crate::tensor::{matrix, normal_matrix, read_f32};

/// Rows per forward pass in the evaluations below.
const EVAL_ROWS: usize = 4096;

/// Mean squared error per value.
pub fn mse(a: &[f32], b: &[f32]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| ((x - y) as f64).powi(2))
        .sum::<f64>()
        / a.len().max(1) as f64
}

/// Peak signal-to-noise ratio in dB for values in [0, 1]: `10 log10(1 / mse)`.
pub fn psnr(mse: f64) -> f64 {
    10.0 * (1.0 / mse.max(1e-12)).log10()
}

/// Intersection over union of the binary masks `predicted > threshold` and `target > 0.5`,
/// pooled over all pixels.
pub fn iou(predicted: &[f32], target: &[f32], threshold: f32) -> f64 {
    let (mut intersection, mut union) = (0usize, 0usize);
    for (&p, &t) in predicted.iter().zip(target) {
        let (p, t) = (p > threshold, t > 0.5);
        intersection += (p && t) as usize;
        union += (p || t) as usize;
    }
    if union == 0 {
        1.0
    } else {
        intersection as f64 / union as f64
    }
}

fn require_vae(model: &Autoencoder) -> Result<()> {
    if model.config().kind != Kind::Variational {
        return Err(AeError::InvalidState(
            "the ELBO is defined for variational models only".into(),
        ));
    }
    Ok(())
}

/// Negative ELBO in nats per image (one reparameterised sample per image, seeded).
pub async fn negative_elbo(model: &Autoencoder, images: &Images, seed: u64) -> Result<f64> {
    require_vae(model)?;
    let config = model.config();
    let net = model.net().valid();
    let device = model.device();
    let size = config.input_size();
    let mut rng = SeededRng::new(seed);
    let mut total = 0.0f64;
    let all: Vec<usize> = (0..images.len()).collect();
    for chunk in all.chunks(EVAL_ROWS) {
        let x = matrix(images.gather(chunk), chunk.len(), size, device);
        let encoded = net.encode_full(x.clone());
        let log_var = encoded.log_var.expect("variational");
        let noise = normal_matrix(chunk.len(), config.latent, &mut rng, device);
        let z = encoded.code.clone() + log_var.clone().mul_scalar(0.5).exp() * noise;
        let nll = objective::vae_nll_per_image(config, &net, net.decode_logits(z), x);
        let kl = objective::gaussian_kl_per_image(encoded.code, log_var);
        total += read_f32((nll + kl).sum()).await?[0] as f64;
    }
    Ok(total / images.len() as f64)
}

/// Importance-weighted estimate of -log p(x) in nats per image with `k` samples (Burda et al.):
/// -log (1/k) sum_i p(x|z_i) p(z_i) / q(z_i|x), z_i ~ q(z|x). Equals the negative ELBO's
/// expectation at k = 1 and tightens as k grows.
pub async fn iwae_negative_log_likelihood(
    model: &Autoencoder,
    images: &Images,
    k: usize,
    seed: u64,
) -> Result<f64> {
    require_vae(model)?;
    if k == 0 || k > EVAL_ROWS {
        return Err(AeError::InvalidData(format!(
            "k must be in 1..={EVAL_ROWS}, got {k}"
        )));
    }
    let config = model.config();
    let (latent, size) = (config.latent, config.input_size());
    let net = model.net().valid();
    let device = model.device();
    let mut rng = SeededRng::new(seed);
    let per_chunk = (EVAL_ROWS / k).max(1);
    let mut total = 0.0f64;
    let all: Vec<usize> = (0..images.len()).collect();
    for chunk in all.chunks(per_chunk) {
        // Each image repeated k times: rows [image0 x k, image1 x k, ...].
        let rows: Vec<usize> = chunk
            .iter()
            .flat_map(|&i| std::iter::repeat_n(i, k))
            .collect();
        let x = matrix(images.gather(&rows), rows.len(), size, device); // [rows, input]
        let encoded = net.encode_full(x.clone());
        let log_var = encoded.log_var.expect("variational");
        let eps = normal_matrix(rows.len(), latent, &mut rng, device); // [rows, latent]
        let z = encoded.code + log_var.clone().mul_scalar(0.5).exp() * eps.clone();
        let log_px_z =
            objective::vae_nll_per_image(config, &net, net.decode_logits(z.clone()), x).neg(); // [rows]
        let log_pz = z
            .square()
            .sum_dim(1)
            .squeeze_dim::<1>(1)
            .add_scalar(latent as f32 * objective::LN_2PI)
            .mul_scalar(-0.5);
        let log_qz = (eps.square() + log_var)
            .sum_dim(1)
            .squeeze_dim::<1>(1)
            .add_scalar(latent as f32 * objective::LN_2PI)
            .mul_scalar(-0.5);
        let log_w = read_f32(log_px_z + log_pz - log_qz).await?; // [rows]
        for weights in log_w.chunks(k) {
            let max = weights.iter().copied().fold(f32::NEG_INFINITY, f32::max) as f64;
            let sum: f64 = weights.iter().map(|&w| (w as f64 - max).exp()).sum();
            total += -(max + sum.ln() - (k as f64).ln());
        }
    }
    Ok(total / images.len() as f64)
}

/// Mean value of the code units over `images` (for sparse models: the mean activation).
pub async fn mean_code_activation(model: &Autoencoder, images: &Images) -> Result<f64> {
    let codes = model.encode(images).await?;
    Ok(codes.iter().map(|&v| v as f64).sum::<f64>() / codes.len().max(1) as f64)
}

/// Mean ||J_f(x)||_F^2 of the encoder over `images` (exact for dense encoders; the seeded
/// stochastic estimator with 16 probes for convolutional ones).
pub async fn mean_jacobian_norm(model: &Autoencoder, images: &Images) -> Result<f64> {
    let net = model.net().valid();
    let device = model.device();
    let size = model.config().input_size();
    let mut rng = SeededRng::new(0x1AC0);
    let mut total = 0.0f64;
    let all: Vec<usize> = (0..images.len()).collect();
    for chunk in all.chunks(256) {
        let x = matrix(images.gather(chunk), chunk.len(), size, device);
        let probes: Vec<_> = if net.is_conv() {
            (0..16)
                .map(|_| normal_matrix(chunk.len(), size, &mut rng, device))
                .collect()
        } else {
            Vec::new()
        };
        let per_image = objective::jacobian_norm_per_image(&net, x, None, &probes);
        total += read_f32(per_image.sum()).await?[0] as f64;
    }
    Ok(total / images.len() as f64)
}

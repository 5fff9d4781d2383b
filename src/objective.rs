//! Turns a forward pass into the loss to minimise, for every kind, keeping each term apart so it
//! can be plotted.
//!
//! Convention: every per-image term is summed over the pixels (or units) of one image and averaged
//! over the batch, so the BCE term is the negative log-likelihood in nats per image and a VAE's
//! loss is its negative ELBO in nats per image. The sparse KL term is a property of the batch
//! (mean activations), added once.

use burn::tensor::Tensor;
use burn::tensor::activation::{relu, sigmoid};

use crate::config::{Kind, ModelConfig, ReconstructionLoss};
use crate::fused;
use crate::model::{AutoencoderNet, CodeActivation, Encoded};

/// ln(2 pi).
pub(crate) const LN_2PI: f32 = 1.837_877_1;
/// Step of the finite-difference Jacobian-vector products of the stochastic contractive estimator.
const PROBE_STEP: f32 = 1e-2;

/// A loss and its named parts (`terms[0]` is always the reconstruction term).
pub struct Objective {
    /// Scalar, `[1]`.
    pub total: Tensor<1>,
    pub terms: Vec<(&'static str, Tensor<1>)>,
}

/// One training batch, with the randomness the objective needs drawn by the caller (seeded).
#[derive(Clone, Debug)]
pub struct Batch {
    /// What the encoder sees (corrupted for a denoiser), `[batch, input]`.
    pub input: Tensor<2>,
    /// What the decoder should produce, `[batch, input]`.
    pub target: Tensor<2>,
    /// VAE: standard normal draws for the reparameterisation, `[batch, latent]`.
    pub noise: Option<Tensor<2>>,
    /// Contractive with a conv encoder: random directions for the estimator, each `[batch, input]`.
    pub probes: Vec<Tensor<2>>,
}

/// Per-image reconstruction loss, `[batch]`, from the decoder's logits and the target in [0, 1].
pub fn reconstruction_per_image(
    loss: ReconstructionLoss,
    logits: Tensor<2>,
    target: Tensor<2>,
) -> Tensor<1> {
    let per_pixel = match loss {
        ReconstructionLoss::Mse => (sigmoid(logits) - target).square(),
        ReconstructionLoss::Mae => (sigmoid(logits) - target).abs(),
        ReconstructionLoss::Bce => {
            // On the CPU, one pass each way (`fused`); elsewhere burn's operations.
            if let Some(per_image) = fused::bce_with_logits_per_row(&logits, &target) {
                return per_image;
            }
            bce_with_logits(logits, target)
        }
    };
    per_pixel.sum_dim(1).squeeze_dim(1) // [batch]
}

/// BCE with logits per value, stable for any z: `max(z, 0) - z t + ln(1 + e^-|z|)`, `[batch, input]`.
pub(crate) fn bce_with_logits(logits: Tensor<2>, target: Tensor<2>) -> Tensor<2> {
    relu(logits.clone()) - logits.clone() * target + logits.abs().neg().exp().log1p()
}

/// A VAE decoder's negative log-likelihood per image in nats, `[batch]`: Bernoulli for BCE,
/// Gaussian (fixed or learned sigma) for MSE, Laplace (scale 1) for MAE.
pub fn vae_nll_per_image(
    config: &ModelConfig,
    net: &AutoencoderNet,
    logits: Tensor<2>,
    target: Tensor<2>,
) -> Tensor<1> {
    let pixels = config.input_size() as f32;
    match config.loss {
        ReconstructionLoss::Bce => {
            reconstruction_per_image(ReconstructionLoss::Bce, logits, target)
        }
        ReconstructionLoss::Mae => {
            reconstruction_per_image(ReconstructionLoss::Mae, logits, target)
                .add_scalar(pixels * std::f32::consts::LN_2)
        }
        ReconstructionLoss::Mse => {
            let squared = reconstruction_per_image(ReconstructionLoss::Mse, logits, target); // [batch]
            match (net.log_scale(), config.gaussian_scale) {
                (Some(log_sigma), _) => {
                    // 0.5 * sq / sigma^2 + D * (log sigma + 0.5 log 2 pi)
                    let inv_var = log_sigma.clone().mul_scalar(-2.0).exp(); // [1]
                    squared.mul(inv_var).mul_scalar(0.5)
                        + log_sigma
                            .mul_scalar(pixels)
                            .add_scalar(0.5 * pixels * LN_2PI)
                }
                (None, sigma) => {
                    let sigma = sigma.unwrap_or(1.0);
                    squared
                        .mul_scalar(0.5 / (sigma * sigma))
                        .add_scalar(pixels * (sigma.ln() + 0.5 * LN_2PI))
                }
            }
        }
    }
}

/// KL(q(z|x) || N(0, I)) per image, `[batch]`.
pub fn gaussian_kl_per_image(mu: Tensor<2>, log_var: Tensor<2>) -> Tensor<1> {
    // -0.5 * sum(1 + log_var - mu^2 - exp(log_var))
    (log_var.clone().add_scalar(1.0) - mu.square() - log_var.exp())
        .sum_dim(1)
        .squeeze_dim(1)
        .mul_scalar(-0.5)
}

/// Sum of absolute activations per image, `[batch]`.
pub fn l1_per_image(activations: Tensor<2>) -> Tensor<1> {
    activations.abs().sum_dim(1).squeeze_dim(1)
}

/// sum_j KL(rho || rho_hat_j), with rho_hat_j the mean of code unit j over the batch. `[1]`.
pub fn sparsity_kl(code: Tensor<2>, rho: f32) -> Tensor<1> {
    let rho_hat = code.mean_dim(0).clamp(1e-6, 1.0 - 1e-6); // [1, latent]
    let term = rho_hat
        .clone()
        .recip()
        .mul_scalar(rho)
        .log()
        .mul_scalar(rho)
        + rho_hat
            .neg()
            .add_scalar(1.0)
            .recip()
            .mul_scalar(1.0 - rho)
            .log()
            .mul_scalar(1.0 - rho);
    term.sum()
}

/// Derivative of the code activation at pre-activation `a`, `[batch, latent]`.
fn code_derivative(activation: CodeActivation, a: Tensor<2>) -> Tensor<2> {
    match activation {
        CodeActivation::Linear => a.ones_like(),
        CodeActivation::Relu => a.greater_elem(0.0).float(),
        CodeActivation::Sigmoid => {
            let s = sigmoid(a);
            s.clone() * s.neg().add_scalar(1.0)
        }
    }
}

/// Exact squared Frobenius norm of the dense encoder's Jacobian dcode/dx per image, `[batch]`.
///
/// J = D_L W_L^T D_{L-1} ... D_1 W_1^T, with D_l the diagonal of activation derivatives. It is
/// built from the code side, so the widest intermediate is `[batch, latent, input]`; everything is
/// ordinary tensor algebra, so first-order autodiff gives the penalty's gradient.
pub fn jacobian_frobenius_sq(net: &AutoencoderNet, encoded: &Encoded) -> Tensor<1> {
    let layers = net.encoder_dense();
    let pre = &encoded.pre_activations;
    let last = layers.len() - 1;
    let [batch, latent] = pre[last].dims();
    let d_code = code_derivative(net.code_activation(), pre[last].clone()); // [batch, latent]
    let w_last = layers[last].weight.val().transpose(); // [latent, h]
    let mut g: Tensor<3> = d_code.unsqueeze_dim::<3>(2) * w_last.unsqueeze_dim::<3>(0); // [batch, latent, h]
    for l in (0..last).rev() {
        let d = pre[l].clone().greater_elem(0.0).float(); // ReLU', [batch, h_l]
        let width = d.dims()[1];
        g = g * d.unsqueeze_dim::<3>(1); // [batch, latent, h_l]
        let w = layers[l].weight.val().transpose(); // [h_l, h_{l-1}]
        let fan_in = w.dims()[1];
        g = g
            .reshape([batch * latent, width])
            .matmul(w)
            .reshape([batch, latent, fan_in]); // [batch, latent, h_{l-1}]
    }
    g.square().sum_dim(2).sum_dim(1).reshape([batch])
}

/// Stochastic estimate of ||J||_F^2 per image, `[batch]`, for encoders where the exact form is not
/// built (convolutional ones): E_v ||J v||^2 = ||J||_F^2 for v ~ N(0, I), with J v taken by central
/// differences, (f(x + h v) - f(x - h v)) / 2h, averaged over the given probes.
pub fn jacobian_frobenius_sq_estimate(
    net: &AutoencoderNet,
    input: Tensor<2>,
    probes: &[Tensor<2>],
) -> Tensor<1> {
    let batch = input.dims()[0];
    let mut sum: Option<Tensor<1>> = None;
    for v in probes {
        let step = v.clone().mul_scalar(PROBE_STEP);
        let jv = (net.encode(input.clone() + step.clone()) - net.encode(input.clone() - step))
            .div_scalar(2.0 * PROBE_STEP); // [batch, latent]
        let sq = jv.square().sum_dim(1).reshape([batch]);
        sum = Some(match sum {
            None => sq,
            Some(s) => s + sq,
        });
    }
    sum.expect("at least one probe")
        .div_scalar(probes.len() as f32)
}

/// ||J_f(x)||_F^2 per image, `[batch]`: exact for dense encoders (from `encoded`, the forward
/// pass of `input` when the caller has it), the stochastic estimate over `probes` for
/// convolutional ones.
pub fn jacobian_norm_per_image(
    net: &AutoencoderNet,
    input: Tensor<2>,
    encoded: Option<&Encoded>,
    probes: &[Tensor<2>],
) -> Tensor<1> {
    if net.is_conv() {
        return jacobian_frobenius_sq_estimate(net, input, probes);
    }
    match encoded {
        Some(encoded) => jacobian_frobenius_sq(net, encoded),
        None => jacobian_frobenius_sq(net, &net.encode_full(input)),
    }
}

/// The objective for one batch.
pub fn compute(config: &ModelConfig, net: &AutoencoderNet, batch: Batch) -> Objective {
    let encoded = net.encode_full(batch.input.clone());
    if let (Some(log_var), Some(noise)) = (encoded.log_var.clone(), batch.noise) {
        // Reparameterisation: z = mu + sigma * eps.
        let z = encoded.code.clone() + log_var.clone().mul_scalar(0.5).exp() * noise; // [batch, latent]
        let nll = vae_nll_per_image(config, net, net.decode_logits(z), batch.target).mean();
        let kl = gaussian_kl_per_image(encoded.code, log_var).mean();
        let total = nll.clone() + kl.clone().mul_scalar(config.kl_weight);
        return Objective {
            total,
            terms: vec![("reconstruction", nll), ("kl", kl)],
        };
    }
    let logits = net.decode_logits(encoded.code.clone());
    let reconstruction = reconstruction_per_image(config.loss, logits, batch.target).mean();
    let penalty: Option<(&'static str, Tensor<1>, f32)> = match config.kind {
        Kind::SparseL1 => {
            let mut l1 = l1_per_image(encoded.code.clone()).mean();
            if config.sparse_hidden {
                for h in &encoded.hidden {
                    l1 = l1 + l1_per_image(h.clone()).mean();
                }
            }
            Some(("l1", l1, config.sparsity_weight))
        }
        Kind::SparseKl => Some((
            "sparsityKl",
            sparsity_kl(encoded.code.clone(), config.sparsity_target),
            config.sparsity_weight,
        )),
        Kind::Contractive => {
            let per_image =
                jacobian_norm_per_image(net, batch.input, Some(&encoded), &batch.probes);
            Some(("contractive", per_image.mean(), config.contractive_weight))
        }
        _ => None,
    };
    match penalty {
        None => Objective {
            total: reconstruction.clone(),
            terms: vec![("reconstruction", reconstruction)],
        },
        Some((name, value, weight)) => Objective {
            total: reconstruction.clone() + value.clone().mul_scalar(weight),
            terms: vec![("reconstruction", reconstruction), (name, value)],
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::{Device, TensorData};

    fn t2(values: Vec<f32>, shape: [usize; 2]) -> Tensor<2> {
        Tensor::from_data(TensorData::new(values, shape), &Device::flex())
    }

    fn values<const D: usize>(t: Tensor<D>) -> Vec<f32> {
        t.into_data().try_into_vec::<f32>().unwrap()
    }

    fn close(got: &[f32], want: &[f32], tol: f32) {
        assert_eq!(got.len(), want.len());
        for (g, w) in got.iter().zip(want) {
            assert!(
                (g - w).abs() <= tol * (1.0 + w.abs()),
                "{got:?} vs {want:?}"
            );
        }
    }

    #[test]
    fn bce_matches_hand_computation() {
        // z = 0 -> p = 0.5: BCE = ln 2 whatever the target; z = 2, t = 1: ln(1 + e^-2).
        let logits = t2(vec![0.0, 2.0, 0.0, -3.0], [2, 2]);
        let target = t2(vec![1.0, 1.0, 0.3, 0.0], [2, 2]);
        let got = values(reconstruction_per_image(
            ReconstructionLoss::Bce,
            logits,
            target,
        ));
        let ln2 = std::f32::consts::LN_2;
        close(
            &got,
            &[
                ln2 + (1.0 + (-2.0f32).exp()).ln(),
                ln2 + (1.0 + (-3.0f32).exp()).ln(),
            ],
            1e-5,
        );
    }

    #[test]
    fn mse_and_mae_match_hand_computation() {
        let logits = t2(vec![0.0, 0.0], [1, 2]); // sigmoid -> 0.5, 0.5
        let target = t2(vec![1.0, 0.25], [1, 2]);
        close(
            &values(reconstruction_per_image(
                ReconstructionLoss::Mse,
                logits.clone(),
                target.clone(),
            )),
            &[0.25 + 0.0625],
            1e-6,
        );
        close(
            &values(reconstruction_per_image(
                ReconstructionLoss::Mae,
                logits,
                target,
            )),
            &[0.5 + 0.25],
            1e-6,
        );
    }

    #[test]
    fn l1_matches_hand_computation() {
        let code = t2(vec![0.5, -1.5, 0.0, 2.0], [2, 2]);
        close(&values(l1_per_image(code)), &[2.0, 2.0], 1e-7);
    }

    #[test]
    fn gaussian_kl_matches_hand_computation() {
        // mu = 1, log_var = 0: KL = 0.5; mu = 0, log_var = ln 2: 0.5 * (2 - 1 - ln 2).
        let mu = t2(vec![1.0, 0.0], [1, 2]);
        let log_var = t2(vec![0.0, std::f32::consts::LN_2], [1, 2]);
        close(
            &values(gaussian_kl_per_image(mu, log_var)),
            &[0.5 + 0.5 * (1.0 - std::f32::consts::LN_2)],
            1e-6,
        );
    }

    #[test]
    fn sparsity_kl_matches_hand_computation_and_vanishes_at_rho() {
        // Unit 0 has mean 0.2, unit 1 has mean exactly rho = 0.1.
        let code = t2(vec![0.3, 0.1, 0.1, 0.1], [2, 2]);
        let rho: f32 = 0.1;
        let kl = |q: f32| rho * (rho / q).ln() + (1.0 - rho) * ((1.0 - rho) / (1.0 - q)).ln();
        close(&values(sparsity_kl(code, rho)), &[kl(0.2)], 1e-5);
        close(
            &values(sparsity_kl(t2(vec![0.1; 4], [2, 2]), rho)),
            &[0.0],
            1e-6,
        );
    }
}

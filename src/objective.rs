//! Turns a forward pass into the loss to minimise, keeping each term apart so it can be plotted.
//!
//! Convention: every term is summed over the pixels (or units) of one image and averaged over the
//! batch, so the BCE term is the negative log-likelihood in nats per image.

use burn::tensor::Tensor;
use burn::tensor::activation::{relu, sigmoid};

use crate::config::{ModelConfig, ReconstructionLoss};
use crate::model::ForwardOutput;

/// A loss and its named parts (`terms[0]` is always the reconstruction term).
pub struct Objective {
    /// Scalar, `[1]`.
    pub total: Tensor<1>,
    pub terms: Vec<(&'static str, Tensor<1>)>,
}

/// Per-image reconstruction loss, `[batch]`, from the decoder's logits and the target in [0, 1].
pub fn reconstruction_per_image(loss: ReconstructionLoss, logits: Tensor<2>, target: Tensor<2>) -> Tensor<1> {
    let per_pixel = match loss {
        ReconstructionLoss::Mse => (sigmoid(logits) - target).square(),
        // BCE with logits, stable for any z: max(z, 0) - z * t + log(1 + exp(-|z|)).
        ReconstructionLoss::Bce => {
            relu(logits.clone()) - logits.clone() * target + logits.abs().neg().exp().log1p()
        }
    };
    per_pixel.sum_dim(1).squeeze_dim(1) // [batch]
}

/// The objective for one batch.
pub fn compute(config: &ModelConfig, out: &ForwardOutput, target: Tensor<2>) -> Objective {
    let reconstruction = reconstruction_per_image(config.loss, out.logits.clone(), target).mean();
    Objective { total: reconstruction.clone(), terms: vec![("reconstruction", reconstruction)] }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::{Device, TensorData};

    fn t2(values: Vec<f32>, shape: [usize; 2]) -> Tensor<2> {
        Tensor::from_data(TensorData::new(values, shape), &Device::flex())
    }

    fn scalars(t: Tensor<1>) -> Vec<f32> {
        t.into_data().try_into_vec::<f32>().unwrap()
    }

    #[test]
    fn bce_matches_hand_computation() {
        // z = 0 -> p = 0.5: BCE = ln 2 whatever the target; z = 2, t = 1: ln(1 + e^-2).
        let logits = t2(vec![0.0, 2.0, 0.0, -3.0], [2, 2]);
        let target = t2(vec![1.0, 1.0, 0.3, 0.0], [2, 2]);
        let got = scalars(reconstruction_per_image(ReconstructionLoss::Bce, logits, target));
        let ln2 = std::f32::consts::LN_2;
        let want = [ln2 + (1.0 + (-2.0f32).exp()).ln(), ln2 + (1.0 + (-3.0f32).exp()).ln()];
        for (g, w) in got.iter().zip(want) {
            assert!((g - w).abs() < 1e-5, "{got:?} vs {want:?}");
        }
    }

    #[test]
    fn mse_matches_hand_computation() {
        let logits = t2(vec![0.0, 0.0], [1, 2]); // sigmoid -> 0.5, 0.5
        let target = t2(vec![1.0, 0.25], [1, 2]);
        let got = scalars(reconstruction_per_image(ReconstructionLoss::Mse, logits, target));
        assert!((got[0] - (0.25 + 0.0625)).abs() < 1e-6, "{got:?}");
    }
}

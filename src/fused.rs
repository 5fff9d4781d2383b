//! Work that burn does as a chain of elementwise tensor operations, done on the CPU backend as
//! one pass over host memory with its own backward pass in burn's autodiff.
//!
//! The binary cross-entropy of a decoder's logits is eight tensor operations forward (each its own
//! pass, two through libm's scalar `expf` and `log1pf`) and as many backward. Natively its
//! transcendental functions alone were 8.5% of a VAE training step (`perf`, 2026-11-29); here they
//! are polynomials that vectorise, and forward and backward are one pass each.
//!
//! Only Flex, with or without autodiff (`NoCheckpointing`, what `Device::autodiff` gives): other
//! devices get `None` and the caller keeps burn's composite form, which the tests compare with.

use std::sync::Arc;

use burn::tensor::{Device, Tensor, TensorData};
use burn_autodiff::Autodiff;
use burn_autodiff::checkpoint::base::Checkpointer;
use burn_autodiff::checkpoint::strategy::NoCheckpointing;
use burn_autodiff::grads::Gradients;
use burn_autodiff::ops::{Backward, Ops, OpsKind, unary};
use burn_flex::Flex;

use crate::tensor::{exp_non_positive, read_f32_on_flex};

/// Per-image binary cross-entropy with logits, summed over each row: `[batch, input]` logits
/// and targets in [0, 1] -> `[batch]`, with `max(z, 0) - z t + ln(1 + e^-|z|)` per value. The
/// gradient reaching `logits` is `g (sigmoid(z) - t)`; `target` gets none (it is data). `None`
/// off the Flex backend.
pub fn bce_with_logits_per_row(logits: &Tensor<2>, target: &Tensor<2>) -> Option<Tensor<1>> {
    let [rows, cols] = logits.dims();
    let tracked = logits.device().is_autodiff();
    // Taken before anything is computed, so that a conversion that fails costs nothing.
    let logits_node = match tracked {
        true => Some(logits.clone().try_into_primitive::<Autodiff<Flex>>().ok()?),
        false => None,
    };
    let z = read_f32_on_flex(logits.clone())?;
    let t = read_f32_on_flex(target.clone())?;
    let (losses, derivative) = bce_rows(&z, &t, cols, tracked);
    let losses = Tensor::<1>::from_data(TensorData::new(losses, [rows]), &Device::flex());
    let Some(logits_node) = logits_node else {
        return Some(losses);
    };
    let losses = losses.try_into_primitive::<Flex>().ok()?;
    let output = match BceRows
        .prepare::<NoCheckpointing>([logits_node.node()])
        .compute_bound()
        .stateful()
    {
        OpsKind::Tracked(prep) => prep.finish(
            RowDerivative {
                values: derivative.into(),
                cols,
            },
            losses,
        ),
        OpsKind::UnTracked(prep) => prep.finish(losses),
    };
    Some(Tensor::from_primitive::<Autodiff<Flex>>(output))
}

/// The backward pass of `bce_with_logits_per_row`.
#[derive(Debug)]
struct BceRows;

/// d(row sum)/dz for every value, `[rows, cols]`: `sigmoid(z) - t`, computed by the forward pass.
#[derive(Clone)]
struct RowDerivative {
    values: Arc<[f32]>,
    cols: usize,
}

/// Not the values: a batch has hundreds of thousands.
impl std::fmt::Debug for RowDerivative {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let rows = self.values.len() / self.cols;
        write!(f, "RowDerivative([{rows}, {}])", self.cols)
    }
}

impl Backward<Flex, 1> for BceRows {
    type State = RowDerivative;

    fn backward(self, ops: Ops<Self::State, 1>, grads: &mut Gradients, _: &mut Checkpointer) {
        let RowDerivative { values, cols } = ops.state;
        unary::<Flex, _>(ops.parents, ops.node, grads, |grad| {
            // [rows] -> [rows, cols]: each row's derivative scaled by the row's incoming gradient.
            let grad = read_f32_on_flex(Tensor::<1>::from_primitive::<Flex>(grad))
                .expect("a Flex tensor reads at once");
            let rows = grad.len();
            let mut out = Vec::with_capacity(rows * cols);
            for (row, g) in values.chunks_exact(cols).zip(&grad) {
                out.extend(row.iter().map(|d| d * g));
            }
            Tensor::<2>::from_data(TensorData::new(out, [rows, cols]), &Device::flex())
                .try_into_primitive::<Flex>()
                .expect("a Flex tensor")
        });
    }
}

/// Row sums of `max(z, 0) - z t + ln(1 + e^-|z|)` over rows of `cols` values, and with
/// `derivative` also `sigmoid(z) - t` for every value (else an empty vector). Written to
/// vectorise: one `e^-|z|` serves the loss and the sigmoid.
fn bce_rows(z: &[f32], t: &[f32], cols: usize, derivative: bool) -> (Vec<f32>, Vec<f32>) {
    let loss = |z: f32, t: f32, e: f32| z.max(0.0) - z * t + ln_1p_unit(e);
    let mut per_value = vec![0.0f32; z.len()];
    let mut derivatives = Vec::new();
    if derivative {
        derivatives = vec![0.0f32; z.len()];
        for (((l, d), &z), &t) in per_value.iter_mut().zip(&mut derivatives).zip(z).zip(t) {
            let e = exp_non_positive(-z.abs());
            *l = loss(z, t, e);
            // The stable sigmoid, both branches computed and one selected without a jump.
            let s = 1.0 / (1.0 + e);
            *d = if z >= 0.0 { s } else { e * s } - t;
        }
    } else {
        for ((l, &z), &t) in per_value.iter_mut().zip(z).zip(t) {
            *l = loss(z, t, exp_non_positive(-z.abs()));
        }
    }
    let losses = per_value.chunks_exact(cols).map(sum).collect();
    (losses, derivatives)
}

/// ln(1 + e) for e in [0, 1]: 2 atanh(s) with s = e / (2 + e) <= 1/3, by its series to s^17
/// (the first term left out is below 1.3e-9 of the result). NaN stays NaN.
#[inline(always)]
fn ln_1p_unit(e: f32) -> f32 {
    let s = e / (2.0 + e);
    let s2 = s * s;
    let mut p = 1.0 / 17.0;
    for odd in [15.0f32, 13.0, 11.0, 9.0, 7.0, 5.0, 3.0, 1.0] {
        p = p * s2 + 1.0 / odd;
    }
    2.0 * s * p
}

/// A sum in eight lanes, which vectorises (a plain fold is one dependent chain of additions).
fn sum(values: &[f32]) -> f32 {
    let mut lanes = [0.0f32; 8];
    let chunks = values.chunks_exact(8);
    let tail: f32 = chunks.remainder().iter().sum();
    for chunk in chunks {
        for (lane, v) in lanes.iter_mut().zip(chunk) {
            *lane += v;
        }
    }
    lanes.iter().sum::<f32>() + tail
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::SeededRng;
    use crate::tensor::matrix;
    use burn::tensor::activation::relu;

    /// burn's composite form, as `objective` computes it off the CPU.
    fn composite(logits: Tensor<2>, target: Tensor<2>) -> Tensor<1> {
        let per_value =
            relu(logits.clone()) - logits.clone() * target + logits.abs().neg().exp().log1p();
        per_value.sum_dim(1).squeeze_dim(1)
    }

    fn values<const D: usize>(t: Tensor<D>) -> Vec<f32> {
        read_f32_on_flex(t).expect("a Flex tensor")
    }

    fn assert_close(got: &[f32], want: &[f32], tolerance: f32, what: &str) {
        assert_eq!(got.len(), want.len(), "{what}");
        for (i, (g, w)) in got.iter().zip(want).enumerate() {
            assert!(
                (g - w).abs() <= tolerance * w.abs().max(1.0),
                "{what} {i}: {g} vs {w}"
            );
        }
    }

    /// Logits from -100 to 100 (both tails of the stable form) and soft targets, as a batch of
    /// 5 rows of 37: the fused losses and the gradient reaching the logits (with a different
    /// weight per row, as a mean or an ELBO gives) are burn's.
    #[test]
    fn fused_bce_gives_burns_losses_and_gradients() {
        let (rows, cols) = (5, 37);
        let mut rng = SeededRng::new(8);
        let z: Vec<f32> = (0..rows * cols)
            .map(|i| match i % 5 {
                0 => rng.uniform(-100.0, 100.0),
                _ => rng.uniform(-6.0, 6.0),
            })
            .collect();
        let t: Vec<f32> = (0..rows * cols).map(|_| rng.uniform(0.0, 1.0)).collect();
        let weights: Vec<f32> = (1..=rows).map(|r| r as f32).collect();
        let device = Device::flex().autodiff();
        let run = |fused: bool| {
            let logits = matrix(z.clone(), rows, cols, &device).require_grad();
            let target = matrix(t.clone(), rows, cols, &device);
            let per_row = match fused {
                true => bce_with_logits_per_row(&logits, &target).expect("Flex autodiff"),
                false => composite(logits.clone(), target),
            };
            let weights = Tensor::<1>::from_data(TensorData::new(weights.clone(), [rows]), &device);
            let gradients = (per_row.clone() * weights).sum().backward();
            let grad = logits
                .grad(&gradients)
                .expect("a gradient reaches the logits");
            (values(per_row), values(grad))
        };
        let (losses, grad) = run(true);
        let (want_losses, want_grad) = run(false);
        assert_close(&losses, &want_losses, 1e-6, "loss");
        assert_close(&grad, &want_grad, 1e-6, "gradient");

        // Without autodiff (metrics, validation) the same losses.
        let plain = Device::flex();
        let per_row = bce_with_logits_per_row(
            &matrix(z.clone(), rows, cols, &plain),
            &matrix(t.clone(), rows, cols, &plain),
        )
        .expect("Flex");
        assert_close(&values(per_row), &want_losses, 1e-6, "plain loss");
    }

    #[test]
    fn ln_1p_unit_is_within_two_ulps_on_zero_to_one_and_keeps_nan() {
        for i in 0..=100_000 {
            let e = i as f32 / 100_000.0;
            let want = (e as f64).ln_1p();
            let got = ln_1p_unit(e) as f64;
            assert!(
                (got - want).abs() <= 2.0 * f32::EPSILON as f64 * want.max(1e-30),
                "ln(1 + {e}) = {got}, want {want}"
            );
        }
        assert!(ln_1p_unit(f32::NAN).is_nan());
    }

    #[test]
    fn eight_lane_sum_adds_every_value() {
        for n in [0, 1, 7, 8, 9, 17, 784] {
            let values: Vec<f32> = (0..n).map(|i| i as f32).collect();
            assert_eq!(sum(&values), (0..n).sum::<usize>() as f32, "{n} values");
        }
    }
}

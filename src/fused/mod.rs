//! Work that burn does as a chain of tensor operations, done on the CPU backend as one pass over
//! host memory.
//!
//! - The binary cross-entropy of a decoder's logits is eight tensor operations forward (each its
//!   own pass, two through libm's scalar `expf` and `log1pf`) and as many backward. Natively its
//!   transcendental functions alone were 8.5% of a VAE training step (`perf`, 2026-11-29); here
//!   they are polynomials that vectorise, and forward and backward are one pass each, the
//!   backward registered in burn's autodiff as an operation of its own.
//! - Adam's update is about a dozen tensor operations per parameter, each a pass that allocates
//!   (burn-flex's `mul_scalar` alone was 7% of a native VAE step); `FusedAdam` makes it one pass,
//!   with burn's state and burn's arithmetic, value for value.
//! - A dense layer's `x W + b` under autodiff is one operation (`affine`), whose products split
//!   their columns over the threads natively.
//!
//! Natively, passes over more than `RUN` values split over rayon's threads (`in_parallel`): the
//! products run on them, and the main thread left the other core idle for everything else.
//!
//! Only Flex (for the loss with or without autodiff, `NoCheckpointing`, what `Device::autodiff`
//! gives): elsewhere the caller gets `None`, or `FusedAdam` burn's `Adam`, and burn's operations
//! run, which the tests compare with.

use std::mem::MaybeUninit;
use std::sync::Arc;

use burn::optim::decay::WeightDecayConfig;
use burn::optim::{Adam, AdamConfig, AdamState, AdaptiveMomentumState, LearningRate, Optimizer};
use burn::tensor::{Device, Tensor, TensorData};
use burn_autodiff::Autodiff;
use burn_autodiff::checkpoint::base::Checkpointer;
use burn_autodiff::checkpoint::strategy::NoCheckpointing;
use burn_autodiff::grads::Gradients;
use burn_autodiff::ops::{Backward, Ops, OpsKind, unary};
use burn_flex::{Flex, FlexTensor};

use crate::tensor::{FlexValues, exp_non_positive, sigmoid_given};

mod affine;
pub use affine::affine;

/// Per-image binary cross-entropy with logits, summed over each row: `[batch, input]` logits
/// and targets in [0, 1] -> `[batch]`, with `max(z, 0) - z t + ln(1 + e^-|z|)` per value. The
/// gradient reaching `logits` is `g (sigmoid(z) - t)`; `target` gets none (it is data). `None`
/// off the Flex backend.
pub fn bce_with_logits_per_row(logits: &Tensor<2>, target: &Tensor<2>) -> Option<Tensor<1>> {
    let [rows, cols] = logits.dims();
    if target.dims() != [rows, cols] {
        return None;
    }
    let tracked = logits.device().is_autodiff();
    // Taken before anything is computed, so that a conversion that fails costs nothing.
    let logits_node = match tracked {
        true => Some(logits.clone().try_into_primitive::<Autodiff<Flex>>().ok()?),
        false => None,
    };
    let (z, t) = (FlexValues::of(logits)?, FlexValues::of(target)?);
    let (losses, derivative) = bce_rows(z.as_slice(), t.as_slice(), cols, tracked);
    let losses = flex_tensor(losses, [rows]);
    let Some(logits_node) = logits_node else {
        return Some(Tensor::from_primitive::<Flex>(losses));
    };
    let output = match BceRows
        .prepare::<NoCheckpointing>([logits_node.node()])
        .compute_bound()
        .stateful()
    {
        OpsKind::Tracked(prep) => prep.finish(
            RowDerivative {
                values: Arc::new(derivative), // moved, not copied
                cols,
            },
            losses,
        ),
        OpsKind::UnTracked(prep) => prep.finish(losses),
    };
    Some(Tensor::from_primitive::<Autodiff<Flex>>(output))
}

/// Adam with burn's state (`AdamState`) and arithmetic, whose update of a Flex parameter is one
/// pass over its values instead of about a dozen tensor operations; any other parameter (or an
/// AMSGrad state, which this never makes) goes to burn's `Adam`.
#[derive(Clone)]
pub struct FusedAdam {
    beta_1: f32,
    beta_2: f32,
    epsilon: f32,
    /// L2 penalty added to the gradient (burn's `WeightDecay`), if any.
    weight_decay: Option<f32>,
    /// burn's Adam with the same hyperparameters, for parameters off the CPU.
    fallback: Adam,
}

impl FusedAdam {
    pub fn new(beta_1: f32, beta_2: f32, epsilon: f32, weight_decay: Option<f32>) -> Self {
        let mut config = AdamConfig::new()
            .with_beta_1(beta_1)
            .with_beta_2(beta_2)
            .with_epsilon(epsilon);
        if let Some(penalty) = weight_decay {
            config = config.with_weight_decay(Some(WeightDecayConfig { penalty }));
        }
        FusedAdam {
            beta_1,
            beta_2,
            epsilon,
            weight_decay,
            fallback: config.build(),
        }
    }

    /// The step on the host, or `None` where burn's must take it. Reads every input in place
    /// and writes each output once.
    fn host_step<const D: usize>(
        &self,
        lr: LearningRate,
        tensor: &Tensor<D>,
        grad: &Tensor<D>,
        state: Option<&AdamState<D>>,
    ) -> Option<(Tensor<D>, AdamState<D>)> {
        let momentum = state.map(|s| &s.momentum);
        if momentum.is_some_and(|m| m.max_moment_2.is_some()) {
            return None;
        }
        let param = FlexValues::of(tensor)?;
        let grad = FlexValues::of(grad)?;
        let (param, grad) = (param.as_slice(), grad.as_slice());
        let n = param.len();
        let moments = match momentum {
            Some(m) => Some((FlexValues::of(&m.moment_1)?, FlexValues::of(&m.moment_2)?)),
            None => None,
        };
        // A first step starts from zero moments: 0 * beta + x is x, as burn's first step has it.
        let zeros;
        let (moment_1, moment_2) = match &moments {
            Some((m, v)) => (m.as_slice(), v.as_slice()),
            None => {
                zeros = vec![0.0f32; n];
                (&zeros[..], &zeros[..])
            }
        };
        if grad.len() != n || moment_1.len() != n || moment_2.len() != n {
            return None;
        }
        let time = momentum.map_or(1, |m| m.time + 1);
        // burn's expressions, in burn's order, so every value rounds as it does there.
        let (beta_1, beta_2) = (self.beta_1, self.beta_2);
        let (keep_1, keep_2) = (1.0 - beta_1, 1.0 - beta_2);
        let bias_correction2_sqrt = (1.0 - beta_2.powi(time as i32)).sqrt();
        let combined_factor = bias_correction2_sqrt / (1.0 - beta_1.powi(time as i32));
        let epsilon = self.epsilon * bias_correction2_sqrt;
        let lr = lr as f32;
        let penalty = self.weight_decay;
        // Captures copies (`move`), and each run copies it again into a local: reached through
        // the run's closure, its constants were reloaded from memory every value and the loop
        // stayed scalar (perf: the Adam pass took twice its former cycles).
        let update = move |p: f32, g: f32, m: f32, v: f32| {
            let g = match penalty {
                Some(penalty) => p * penalty + g,
                None => g,
            };
            let m = m * beta_1 + g * keep_1;
            let v = v * beta_2 + g * g * keep_2;
            let step = m * combined_factor / (v.sqrt() + epsilon);
            (p - step * lr, m, v)
        };
        // SAFETY: the runs cover the `n` values of every output (the inputs have `n` each,
        // checked above), and each value is written once.
        let [new_param, new_1, new_2] = unsafe {
            filled_by([n; 3], |[out_p, out_m, out_v]| {
                let outputs = out_p.chunks_mut(RUN).zip(out_m.chunks_mut(RUN));
                let inputs = param.chunks(RUN).zip(grad.chunks(RUN));
                let moments = moment_1.chunks(RUN).zip(moment_2.chunks(RUN));
                let runs = outputs.zip(out_v.chunks_mut(RUN)).zip(inputs.zip(moments));
                in_parallel(
                    runs,
                    |(((out_p, out_m), out_v), ((param, grad), (moment_1, moment_2)))| {
                        #[allow(clippy::redundant_locals)] // on purpose: see `update`
                        let update = update;
                        let outputs = out_p.iter_mut().zip(out_m).zip(out_v);
                        let inputs = param.iter().zip(grad).zip(moment_1).zip(moment_2);
                        for (((out_p, out_m), out_v), (((&p, &g), &m), &v)) in outputs.zip(inputs) {
                            let (p, m, v) = update(p, g, m, v);
                            out_p.write(p);
                            out_m.write(m);
                            out_v.write(v);
                        }
                    },
                );
            })
        };
        let device = tensor.device();
        let shape = tensor.shape();
        let to_tensor = |values: Vec<f32>| {
            Tensor::<D>::from_data(TensorData::new(values, shape.clone()), &device)
        };
        let state = AdamState::new(AdaptiveMomentumState {
            time,
            moment_1: to_tensor(new_1),
            moment_2: to_tensor(new_2),
            max_moment_2: None,
        });
        Some((to_tensor(new_param), state))
    }
}

impl Optimizer for FusedAdam {
    type State<const D: usize> = AdamState<D>;

    fn step<const D: usize>(
        &self,
        lr: LearningRate,
        tensor: Tensor<D>,
        grad: Tensor<D>,
        state: Option<Self::State<D>>,
    ) -> (Tensor<D>, Option<Self::State<D>>) {
        match self.host_step(lr, &tensor, &grad, state.as_ref()) {
            Some((tensor, state)) => (tensor, Some(state)),
            None => self.fallback.step(lr, tensor, grad, state),
        }
    }

    fn to_device<const D: usize>(state: Self::State<D>, device: &Device) -> Self::State<D> {
        Adam::to_device(state, device)
    }
}

/// The backward pass of `bce_with_logits_per_row`.
#[derive(Debug)]
struct BceRows;

/// d(row sum)/dz for every value, `[rows, cols]`: `sigmoid(z) - t`, computed by the forward pass.
#[derive(Clone)]
struct RowDerivative {
    values: Arc<Vec<f32>>,
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
            let grad = FlexValues::of(&Tensor::<1>::from_primitive::<Flex>(grad))
                .expect("a Flex f32 tensor");
            let grad = grad.as_slice();
            let rows = grad.len();
            let mut out = Vec::with_capacity(rows * cols);
            for (row, g) in values.chunks_exact(cols).zip(grad) {
                out.extend(row.iter().map(|d| d * g));
            }
            flex_tensor(out, [rows, cols])
        });
    }
}

/// Values of `shape` as a Flex primitive (what burn's autodiff registers and returns on Flex),
/// moved, not copied.
fn flex_tensor<const D: usize>(values: Vec<f32>, shape: [usize; D]) -> FlexTensor {
    FlexTensor::from_data(TensorData::new(values, shape))
}

/// Row sums of `max(z, 0) - z t + ln(1 + e^-|z|)` over rows of `cols` values, and with
/// `derivative` also `sigmoid(z) - t` for every value (else an empty vector). Written to
/// vectorise: one `e^-|z|` serves the loss and the sigmoid. `z` and `t` have the same length, a
/// multiple of `cols`.
fn bce_rows(z: &[f32], t: &[f32], cols: usize, derivative: bool) -> (Vec<f32>, Vec<f32>) {
    assert_eq!(z.len(), t.len(), "logits and targets of one shape");
    let loss = |z: f32, t: f32, e: f32| z.max(0.0) - z * t + ln_1p_unit(e);
    let cols = cols.max(1);
    let run_rows = (RUN / cols).max(1);
    let mut losses = vec![0.0f32; z.len() / cols];
    let derivative_len = if derivative { z.len() } else { 0 };
    // SAFETY: with `derivative`, the runs below cover `z` whole, and each row of a run writes
    // its `cols` derivatives; without, the vector is empty.
    let [derivatives] = unsafe {
        filled_by([derivative_len], |[out]| {
            let derivative_runs: Box<dyn Iterator<Item = &mut [MaybeUninit<f32>]>> =
                match derivative {
                    true => Box::new(out.chunks_mut(run_rows * cols)),
                    false => Box::new(std::iter::repeat_with(<&mut [MaybeUninit<f32>]>::default)),
                };
            let inputs = z.chunks(run_rows * cols).zip(t.chunks(run_rows * cols));
            let runs = losses.chunks_mut(run_rows).zip(inputs).zip(derivative_runs);
            in_parallel(runs, |((losses, (z, t)), derivatives)| {
                let mut per_value = vec![0.0f32; cols];
                for (row, row_loss) in losses.iter_mut().enumerate() {
                    let span = row * cols..(row + 1) * cols;
                    let (z, t) = (&z[span.clone()], &t[span.clone()]);
                    if derivatives.is_empty() {
                        for ((l, &z), &t) in per_value.iter_mut().zip(z).zip(t) {
                            *l = loss(z, t, exp_non_positive(-z.abs()));
                        }
                    } else {
                        let values = per_value.iter_mut().zip(&mut derivatives[span]);
                        for ((l, d), (&z, &t)) in values.zip(z.iter().zip(t)) {
                            let e = exp_non_positive(-z.abs());
                            *l = loss(z, t, e);
                            d.write(sigmoid_given(z, e) - t);
                        }
                    }
                    *row_loss = sum(&per_value);
                }
            });
        })
    };
    (losses, derivatives)
}

/// Values per run of a pass that `in_parallel` may give to another thread: a few hundred
/// microseconds of work, so that waking a thread (tens of microseconds) pays.
const RUN: usize = 1 << 15;

/// Runs `work` on every run: natively on rayon's threads (the pool Flex's products use) when
/// there are several, one after the other on wasm (no threads there).
fn in_parallel<T: Send>(runs: impl Iterator<Item = T>, work: impl Fn(T) + Sync + Send) {
    #[cfg(not(target_arch = "wasm32"))]
    {
        use rayon::iter::{IntoParallelIterator, ParallelIterator};
        let runs: Vec<T> = runs.collect();
        match runs.len() {
            0 | 1 => runs.into_iter().for_each(work),
            _ => runs.into_par_iter().for_each(work),
        }
    }
    #[cfg(target_arch = "wasm32")]
    runs.for_each(work);
}

/// `K` vectors of `lens[k]` values, written by `fill` without zeroing them first (zeroing an
/// Adam step's outputs was 3% of a native VAE step).
///
/// # Safety
/// `fill` must write every value of every slice it is given.
unsafe fn filled_by<const K: usize>(
    lens: [usize; K],
    fill: impl FnOnce([&mut [MaybeUninit<f32>]; K]),
) -> [Vec<f32>; K] {
    let mut vectors = lens.map(Vec::<f32>::with_capacity);
    let mut lens_left = lens.iter();
    fill(vectors.each_mut().map(|v| {
        let len = *lens_left.next().expect("one length per vector");
        &mut v.spare_capacity_mut()[..len]
    }));
    for (vector, len) in vectors.iter_mut().zip(lens) {
        // SAFETY: the capacity is at least `len` (`with_capacity`), and the caller's `fill`
        // wrote the first `len` values.
        unsafe { vector.set_len(len) };
    }
    vectors
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

// Native only: the Adam test drives a future with pollster, a native dependency.
#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use crate::rng::SeededRng;
    use crate::tensor::{matrix, read_f32_on_flex};

    /// burn's composite form, as `objective` computes it off the CPU, summed per row.
    fn composite(logits: Tensor<2>, target: Tensor<2>) -> Tensor<1> {
        crate::objective::bce_with_logits(logits, target)
            .sum_dim(1)
            .squeeze_dim(1)
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
    /// 5 rows of 37, and of 100 MNIST-sized rows (three runs of rows, natively on two
    /// threads): the fused losses and the gradient reaching the logits (with a different weight
    /// per row, as a mean or an ELBO gives) are burn's.
    #[test]
    fn fused_bce_gives_burns_losses_and_gradients() {
        for (rows, cols) in [(5, 37), (100, 784)] {
            bce_matches_burn(rows, cols);
        }
    }

    fn bce_matches_burn(rows: usize, cols: usize) {
        let mut rng = SeededRng::new(8);
        let z: Vec<f32> = (0..rows * cols)
            .map(|i| match i % 5 {
                0 => rng.uniform(-100.0, 100.0),
                _ => rng.uniform(-6.0, 6.0),
            })
            .collect();
        let t: Vec<f32> = (0..rows * cols).map(|_| rng.uniform(0.0, 1.0)).collect();
        let weights: Vec<f32> = (0..rows).map(|r| (r % 5 + 1) as f32).collect();
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

    /// Four steps of a small autoencoder, from burn's `Adam` and from `FusedAdam` with the same
    /// hyperparameters, with and without weight decay: the same weights to the last bit (the
    /// saved model files are byte-identical), and the fused step is the one that ran.
    #[test]
    fn fused_adam_takes_burns_steps_value_for_value() {
        use crate::checkpoint;
        use crate::config::ModelConfig;
        use crate::model::AutoencoderNet;
        use burn::module::Module;
        use burn::optim::{GradientsParams, ModuleOptimizer};

        let config = ModelConfig {
            input_shape: [1, 4, 4],
            hidden: vec![12],
            latent: 3,
            ..ModelConfig::default()
        };
        let device = Device::flex().autodiff();
        let mut rng = SeededRng::new(2);
        let x = matrix(
            (0..8 * 16).map(|_| rng.uniform(0.0, 1.0)).collect(),
            8,
            16,
            &device,
        );
        let step = |optimizer: &mut ModuleOptimizer, net: AutoencoderNet| {
            let loss = (net.decode(net.encode(x.clone())) - x.clone())
                .square()
                .sum();
            let grads = GradientsParams::from_grads(loss.backward(), &net);
            optimizer.step(3e-2, net, grads)
        };
        for weight_decay in [None, Some(0.05)] {
            let mut burns = AdamConfig::new().with_epsilon(1e-8);
            if let Some(penalty) = weight_decay {
                burns = burns.with_weight_decay(Some(WeightDecayConfig { penalty }));
            }
            let mut burns = burns.init();
            let fused = FusedAdam::new(0.9, 0.999, 1e-8, weight_decay);
            let mut ours = ModuleOptimizer::from(fused.clone());
            let start = AutoencoderNet::new(&config, 5, &device);
            let (mut by_burn, mut by_us) = (start.clone(), start);
            for _ in 0..4 {
                by_burn = step(&mut burns, by_burn);
                by_us = step(&mut ours, by_us);
            }
            let save = |net: &AutoencoderNet| {
                pollster::block_on(checkpoint::save(&config, net, None)).expect("saved")
            };
            assert_eq!(
                save(&by_us),
                save(&by_burn),
                "weight decay {weight_decay:?}"
            );
            assert_ne!(
                save(&by_us),
                save(&AutoencoderNet::new(&config, 5, &device))
            );

            // The host step runs on a Flex parameter (and is not burn's, silently).
            let weight = by_us.valid().encoder_dense()[0].weight.val();
            let stepped = fused.host_step(1e-3, &weight, &weight.clone().ones_like(), None);
            assert!(stepped.is_some(), "a Flex parameter takes the host step");
        }
    }

    /// A parameter of 90,000 values (three runs, natively on two threads), three steps with
    /// weight decay: burn's `Adam` and the fused step give the same values to the last bit.
    #[test]
    fn fused_adam_steps_a_large_parameter_as_burn_does() {
        let device = Device::flex();
        let (rows, cols) = (300, 300);
        let mut rng = SeededRng::new(4);
        let mut draw = |len: usize| (0..len).map(|_| rng.uniform(-1.0, 1.0)).collect::<Vec<_>>();
        let start = matrix(draw(rows * cols), rows, cols, &device);
        let grads: Vec<_> = (0..3)
            .map(|_| matrix(draw(rows * cols), rows, cols, &device))
            .collect();
        let burns = AdamConfig::new()
            .with_epsilon(1e-8)
            .with_weight_decay(Some(WeightDecayConfig { penalty: 0.05 }))
            .build();
        let fused = FusedAdam::new(0.9, 0.999, 1e-8, Some(0.05));
        let (mut by_burn, mut burn_state) = (start.clone(), None);
        let (mut by_us, mut our_state) = (start, None);
        for grad in grads {
            (by_burn, burn_state) =
                Optimizer::step(&burns, 1e-2, by_burn, grad.clone(), burn_state);
            let (tensor, state) = fused
                .host_step(1e-2, &by_us, &grad, our_state.as_ref())
                .expect("a Flex parameter takes the host step");
            (by_us, our_state) = (tensor, Some(state));
        }
        assert_eq!(values(by_us), values(by_burn));
        let (ours, burns) = (our_state.expect("state"), burn_state.expect("state"));
        assert_eq!(
            values(ours.momentum.moment_2),
            values(burns.momentum.moment_2)
        );
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

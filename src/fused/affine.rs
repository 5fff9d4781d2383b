//! A dense layer's affine map `x W + b` on the CPU backend (Flex) under autodiff, as one
//! operation with its own backward pass, whose three products split their output columns over
//! rayon's threads natively (one band on wasm, which has no threads here).
//!
//! Why: burn's `Linear` is a product, a broadcast and an addition, and burn-flex hands each
//! product to the gemm crate with gemm's own threading. Natively on this 2-core machine that
//! threading gained nothing for a whole training step: the VAE trained as fast on one thread as
//! on two (13,597 / 13,711 against 12,772 / 11,884 samples/s, 2026-11-29, alternating runs),
//! with one worker doing 60% of the product's share and the two together spending 28% more
//! cycles on the kernel than one thread alone (`perf`, per thread). Each product's output was
//! also zeroed and then copied once more to realign it (`FlexTensor::empty`), and the bias added
//! in a pass of its own. Here each product is cut into one band of output columns per thread,
//! each band a single-threaded gemm call into the output in place, and the bias is the
//! output's starting value. In the browser's CPU module (one band) a training step of the DAE
//! took about a fifth less and the VAE's about the same (alternating pages, 2026-11-29).

use std::ops::Range;

use burn::tensor::Tensor;
use burn_autodiff::Autodiff;
use burn_autodiff::checkpoint::base::Checkpointer;
use burn_autodiff::checkpoint::strategy::NoCheckpointing;
use burn_autodiff::grads::Gradients;
use burn_autodiff::ops::{Backward, Ops, OpsKind};
use burn_flex::Flex;

use super::{flex_tensor, in_parallel};
use crate::tensor::FlexValues;

/// `x W + b`: `[rows, k]` by `[k, n]` plus `[n]` -> `[rows, n]`, tracked by burn's autodiff, on
/// Flex under autodiff only (training); `None` elsewhere, and the caller takes burn's `Linear`.
pub fn affine(x: &Tensor<2>, weight: &Tensor<2>, bias: &Tensor<1>) -> Option<Tensor<2>> {
    if !x.device().is_autodiff() {
        return None;
    }
    let [rows, k] = x.dims();
    let [k_weight, n] = weight.dims();
    if k != k_weight || bias.dims() != [n] {
        return None;
    }
    // Taken before anything is computed, so that a conversion that fails costs nothing.
    let nodes = [
        x.clone()
            .try_into_primitive::<Autodiff<Flex>>()
            .ok()?
            .node(),
        weight
            .clone()
            .try_into_primitive::<Autodiff<Flex>>()
            .ok()?
            .node(),
        bias.clone()
            .try_into_primitive::<Autodiff<Flex>>()
            .ok()?
            .node(),
    ];
    let (x, weight, bias) = (
        FlexValues::of(x)?,
        FlexValues::of(weight)?,
        FlexValues::of(bias)?,
    );
    // Every row starts as the bias; the product is added to it.
    let mut output = bias.as_slice().repeat(rows); // [rows, n]
    product_into(
        &mut output,
        Strided::row_major(x.as_slice(), rows, k),
        Strided::row_major(weight.as_slice(), k, n),
        true,
    );
    let output = flex_tensor(output, [rows, n]);
    let output = match AffineBackward
        .prepare::<NoCheckpointing>(nodes)
        .compute_bound()
        .stateful()
    {
        OpsKind::Tracked(prep) => prep.finish(
            AffineInputs {
                x,
                weight,
                rows,
                k,
                n,
            },
            output,
        ),
        OpsKind::UnTracked(prep) => prep.finish(output),
    };
    Some(Tensor::from_primitive::<Autodiff<Flex>>(output))
}

/// The backward pass of `affine`.
#[derive(Debug)]
struct AffineBackward;

/// What the backward pass multiplies with: the forward pass's input and weights, held (not
/// copied) as long as the graph lives.
#[derive(Clone)]
struct AffineInputs {
    x: FlexValues,
    weight: FlexValues,
    rows: usize,
    k: usize,
    n: usize,
}

/// Not the values: a layer's weights have hundreds of thousands.
impl std::fmt::Debug for AffineInputs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let Self { rows, k, n, .. } = self;
        write!(f, "AffineInputs(x [{rows}, {k}], weight [{k}, {n}])")
    }
}

impl Backward<Flex, 3> for AffineBackward {
    type State = AffineInputs;

    fn backward(self, ops: Ops<Self::State, 3>, grads: &mut Gradients, _: &mut Checkpointer) {
        let AffineInputs {
            x,
            weight,
            rows,
            k,
            n,
        } = ops.state;
        let [x_parent, weight_parent, bias_parent] = ops.parents;
        let grad = grads.consume::<Flex>(&ops.node); // [rows, n]
        let grad =
            FlexValues::of(&Tensor::<2>::from_primitive::<Flex>(grad)).expect("a Flex f32 tensor");
        let grad = Strided::row_major(grad.as_slice(), rows, n);
        if let Some(parent) = bias_parent {
            let mut sums = vec![0.0f32; n]; // [n]: the gradient's column sums
            for row in grad.values.chunks_exact(n.max(1)) {
                for (sum, g) in sums.iter_mut().zip(row) {
                    *sum += g;
                }
            }
            grads.register::<Flex>(parent.id, flex_tensor(sums, [n]));
        }
        if let Some(parent) = weight_parent {
            // [k, rows] @ [rows, n] -> [k, n]
            let mut weight_grad = vec![0.0f32; k * n];
            let x = Strided::row_major(x.as_slice(), rows, k).transposed();
            product_into(&mut weight_grad, x, grad, false);
            grads.register::<Flex>(parent.id, flex_tensor(weight_grad, [k, n]));
        }
        if let Some(parent) = x_parent {
            // [rows, n] @ [n, k] -> [rows, k]
            let mut x_grad = vec![0.0f32; rows * k];
            let weight = Strided::row_major(weight.as_slice(), k, n).transposed();
            product_into(&mut x_grad, grad, weight, false);
            grads.register::<Flex>(parent.id, flex_tensor(x_grad, [rows, k]));
        }
    }
}

/// A matrix read in place: entry `(r, c)` is `values[r * row_stride + c * col_stride]`.
#[derive(Clone, Copy)]
struct Strided<'a> {
    values: &'a [f32],
    rows: usize,
    cols: usize,
    row_stride: usize,
    col_stride: usize,
}

impl<'a> Strided<'a> {
    fn row_major(values: &'a [f32], rows: usize, cols: usize) -> Self {
        assert_eq!(values.len(), rows * cols, "a [{rows}, {cols}] matrix");
        Strided {
            values,
            rows,
            cols,
            row_stride: cols,
            col_stride: 1,
        }
    }

    /// The transpose, read from the same values.
    fn transposed(self) -> Self {
        Strided {
            rows: self.cols,
            cols: self.rows,
            row_stride: self.col_stride,
            col_stride: self.row_stride,
            ..self
        }
    }
}

/// Products smaller than this many multiply-adds run on one thread (burn-flex's threshold for
/// gemm's threading): a smaller one took less time than waking a thread.
const PARALLEL_PRODUCT: usize = 192 * 192 * 192;

/// Output columns per band are a multiple of this (gemm's widest register tile).
const BAND_ALIGN: usize = 16;

/// `out = lhs @ rhs`, or `out += lhs @ rhs` with `accumulate`; `out` is `[lhs.rows, rhs.cols]`,
/// row-major. Large products are cut into one band of output columns per thread natively.
fn product_into(out: &mut [f32], lhs: Strided, rhs: Strided, accumulate: bool) {
    let (m, k, n) = (lhs.rows, lhs.cols, rhs.cols);
    assert_eq!(rhs.rows, k, "inner dimensions agree");
    assert_eq!(out.len(), m * n, "an output of [{m}, {n}]");
    for matrix in [&lhs, &rhs] {
        let last = (matrix.rows.max(1) - 1) * matrix.row_stride
            + (matrix.cols.max(1) - 1) * matrix.col_stride;
        assert!(
            matrix.rows == 0 || matrix.cols == 0 || last < matrix.values.len(),
            "strides stay inside the values"
        );
    }
    if m == 0 || n == 0 {
        return;
    }
    let bands = match m * n * k >= PARALLEL_PRODUCT {
        true => threads().min(n.div_ceil(BAND_ALIGN)).max(1),
        false => 1,
    };
    let band_width = n.div_ceil(bands).next_multiple_of(BAND_ALIGN);
    let out = OutputColumns(out.as_mut_ptr());
    let columns = (0..n)
        .step_by(band_width)
        .map(|start| start..(start + band_width).min(n));
    in_parallel(columns, |columns: Range<usize>| {
        // SAFETY: the bands are disjoint ranges of output columns, each written by one call;
        // every index gemm touches is inside `out` (length checked above) or inside the
        // operands' values (bounds checked above), which outlive `in_parallel`.
        unsafe {
            gemm::gemm(
                m,
                columns.len(),
                k,
                out.column(columns.start),
                1,
                n as isize,
                accumulate,
                lhs.values.as_ptr(),
                lhs.col_stride as isize,
                lhs.row_stride as isize,
                rhs.values.as_ptr().add(columns.start * rhs.col_stride),
                rhs.col_stride as isize,
                rhs.row_stride as isize,
                1.0f32,
                1.0f32,
                false,
                false,
                false,
                gemm::Parallelism::None,
            );
        }
    });
}

/// The output's start, handed to the threads that write its bands.
#[derive(Clone, Copy)]
struct OutputColumns(*mut f32);
// SAFETY: each thread writes a band of columns no other thread writes (`product_into`).
unsafe impl Send for OutputColumns {}
unsafe impl Sync for OutputColumns {}

impl OutputColumns {
    /// Where column `column` of the first row is (a method, so that closures capture the
    /// whole `Sync` value rather than its raw pointer).
    fn column(self, column: usize) -> *mut f32 {
        self.0.wrapping_add(column)
    }
}

#[cfg(not(target_arch = "wasm32"))]
fn threads() -> usize {
    rayon::current_num_threads()
}

#[cfg(target_arch = "wasm32")]
fn threads() -> usize {
    1
}

// Native only: the tests compare with burn's `Linear` under autodiff on Flex.
#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use crate::rng::SeededRng;
    use crate::tensor::{matrix, read_f32_on_flex};
    use burn::module::Param;
    use burn::nn::Linear;
    use burn::tensor::{Device, TensorData};

    fn values<const D: usize>(t: Tensor<D>) -> Vec<f32> {
        read_f32_on_flex(t).expect("a Flex tensor")
    }

    fn assert_close(got: &[f32], want: &[f32], what: &str) {
        assert_eq!(got.len(), want.len(), "{what}");
        let scale = want.iter().fold(1.0f32, |m, w| m.max(w.abs()));
        for (i, (g, w)) in got.iter().zip(want).enumerate() {
            assert!((g - w).abs() <= 2e-6 * scale, "{what} {i}: {g} vs {w}");
        }
    }

    /// The output and the gradients reaching `x`, the weights and the bias are burn's `Linear`
    /// ones, for a small layer (one band), the VAE's first layer at batch 128 (one band per
    /// thread), a width that is not a multiple of the bands' alignment, and an input that takes
    /// no gradient (data, as a first layer's is).
    #[test]
    fn affine_gives_burns_outputs_and_gradients() {
        let device = Device::flex().autodiff();
        for (rows, k, n, x_takes_grad) in [
            (5, 7, 3, true),
            (128, 784, 400, true),
            (64, 300, 333, true),
            (128, 784, 400, false),
        ] {
            let mut rng = SeededRng::new(rows as u64 + n as u64);
            let mut draw = |len: usize| (0..len).map(|_| rng.uniform(-1.0, 1.0)).collect();
            let (x, w, b): (Vec<f32>, Vec<f32>, Vec<f32>) = (draw(rows * k), draw(k * n), draw(n));
            // A different weight per output value, so that every gradient entry differs.
            let upstream: Vec<f32> = draw(rows * n);
            let run = |fused: bool| {
                let layer = Linear {
                    weight: Param::from_tensor(matrix(w.clone(), k, n, &device)),
                    bias: Some(Param::from_tensor(Tensor::<1>::from_data(
                        TensorData::new(b.clone(), [n]),
                        &device,
                    ))),
                };
                let mut x = matrix(x.clone(), rows, k, &device);
                if x_takes_grad {
                    x = x.require_grad();
                }
                let bias = layer.bias.as_ref().expect("a bias").val();
                let output = match fused {
                    true => affine(&x, &layer.weight.val(), &bias).expect("Flex autodiff"),
                    false => layer.forward(x.clone()),
                };
                let upstream = matrix(upstream.clone(), rows, n, &device);
                let gradients = (output.clone() * upstream).sum().backward();
                let weight_grad = layer
                    .weight
                    .val()
                    .grad(&gradients)
                    .expect("weights' gradient");
                let bias_grad = bias.grad(&gradients).expect("bias' gradient");
                let x_grad = x.grad(&gradients).map(values);
                (
                    values(output),
                    values(weight_grad),
                    values(bias_grad),
                    x_grad,
                )
            };
            let (output, weight_grad, bias_grad, x_grad) = run(true);
            let (want_output, want_weight_grad, want_bias_grad, want_x_grad) = run(false);
            let shape = format!("[{rows}, {k}] x [{k}, {n}]");
            assert_close(&output, &want_output, &format!("{shape} output"));
            assert_close(
                &weight_grad,
                &want_weight_grad,
                &format!("{shape} weights' gradient"),
            );
            assert_close(
                &bias_grad,
                &want_bias_grad,
                &format!("{shape} bias' gradient"),
            );
            assert_eq!(x_grad.is_some(), x_takes_grad, "{shape}");
            if let (Some(got), Some(want)) = (x_grad, want_x_grad) {
                assert_close(&got, &want, &format!("{shape} input's gradient"));
            }
        }
    }

    /// Off autodiff (inference) and for mismatched shapes the caller is told to take burn's way.
    #[test]
    fn affine_declines_plain_tensors_and_mismatched_shapes() {
        let plain = Device::flex();
        let x = matrix(vec![1.0; 6], 2, 3, &plain);
        let w = matrix(vec![1.0; 12], 3, 4, &plain);
        let b = Tensor::<1>::from_data(TensorData::new(vec![0.0f32; 4], [4]), &plain);
        assert!(affine(&x, &w, &b).is_none(), "no autodiff");
        let tracked = Device::flex().autodiff();
        let x = matrix(vec![1.0; 6], 2, 3, &tracked);
        let w = matrix(vec![1.0; 8], 2, 4, &tracked);
        let b = Tensor::<1>::from_data(TensorData::new(vec![0.0f32; 4], [4]), &tracked);
        assert!(affine(&x, &w, &b).is_none(), "inner dimensions differ");
    }
}

//! Host <-> device I/O at the bottom of the core: host batches become tensors, tensors are read
//! back asynchronously. Training, inference, metrics and checkpoints all come here for it, so none
//! of them reaches into another.
//!
//! Every readback is `into_data_async`, natively too: on WebGPU a synchronous read panics, and one
//! code path for every backend is the one that gets tested. The exception is `FlexValues`, for
//! host work inside synchronous code (the host matrix kernel in a forward pass, `fused`'s loss and
//! optimiser step): it reads only Flex tensors, whose data is already in host memory, and gives
//! `None` on any other device.

use burn::tensor::{DType, Device, Tensor, TensorData};
use burn_autodiff::Autodiff;
use burn_flex::{Flex, FlexTensor};
use burn_std::ExecutionError;

use crate::error::{AeError, Result};
use crate::rng::SeededRng;

/// Read a tensor back to the host as `f32`s (row-major), on any backend.
pub async fn read_f32<const D: usize>(tensor: Tensor<D>) -> Result<Vec<f32>> {
    let device = tensor.device();
    let data = match tensor.into_data_async().await {
        Ok(data) => data,
        Err(error) => return Err(failed_readback(error, &device).await),
    };
    data.try_into_vec::<f32>()
        .map_err(|e| AeError::Backend(format!("readback gave unexpected data: {e:?}")))
}

/// A tensor's values (row-major), read synchronously, if it lives on the Flex CPU backend (with
/// or without autodiff): its data is in memory, so the read completes at once. `None` on any
/// other device (where a synchronous read could panic) or for another dtype than `f32`. The
/// tests' copying convenience; the library reads in place through `FlexValues`.
#[cfg(test)]
pub(crate) fn read_f32_on_flex<const D: usize>(tensor: Tensor<D>) -> Option<Vec<f32>> {
    Some(FlexValues::of(&tensor)?.as_slice().to_vec())
}

/// The `f32` values of a Flex tensor (plain or under autodiff), row-major, borrowed where they
/// lie: a contiguous tensor's buffer is read in place, however many tensors share it. Reading
/// through `TensorData` copied a shared buffer twice (out of the tensor, then from bytes into
/// `f32`s), which made the host Adam step slower than burn's.
#[derive(Clone)]
pub struct FlexValues(FlexTensor);

impl FlexValues {
    /// `None` off the Flex backend or for another dtype than `f32`.
    pub fn of<const D: usize>(tensor: &Tensor<D>) -> Option<Self> {
        let device = tensor.device();
        if device != Device::flex() {
            return None;
        }
        let primitive = if device.is_autodiff() {
            let tracked = tensor.clone().try_into_primitive::<Autodiff<Flex>>().ok()?;
            tracked.into_primitive()
        } else {
            tensor.clone().try_into_primitive::<Flex>().ok()?
        };
        if primitive.dtype() != DType::F32 {
            return None;
        }
        Some(FlexValues(match primitive.as_slice::<f32>() {
            Some(_) => primitive,
            None => primitive.to_contiguous(), // a strided view: copied once
        }))
    }

    pub fn as_slice(&self) -> &[f32] {
        self.0
            .as_slice::<f32>()
            .expect("an f32 tensor made contiguous by `of`")
    }
}

/// The logistic sigmoid of every value, in place: `1 / (1 + e^-x)`, within 3e-7 of the exact
/// value. Written to vectorise (wasm simd128, AVX natively): burn's Flex computes its sigmoid one
/// value at a time through libm's `exp`: a quarter of a CPU `reconstruct` of the pretrained
/// 784-256-20 VAE.
pub fn sigmoid_in_place(values: &mut [f32]) {
    for v in values.iter_mut() {
        *v = sigmoid_given(*v, exp_non_positive(-v.abs()));
    }
}

/// The sigmoid of `x` given `e` = e^-|x| (in (0, 1]), for a caller that has `e` already (the
/// fused BCE loss needs it too): both branches of the stable form, selected without a jump.
#[inline(always)]
pub(crate) fn sigmoid_given(x: f32, e: f32) -> f32 {
    let s = 1.0 / (1.0 + e);
    if x >= 0.0 { s } else { e * s }
}

/// e^x for x <= 0 (NaN stays NaN): 2^n e^r with n = round(x / ln 2), |r| <= ln 2 / 2, and e^r
/// from Cephes' degree-6 polynomial. Below -87.3 the result flushes to 0 instead of a subnormal.
/// No `floor` and no float-to-int conversion: x86-64's baseline (SSE2) has an instruction for
/// neither, and natively a `floor` here was a libm call per value, which kept loops from
/// vectorising; the rounding and 2^n below are additions and shifts, vector code everywhere.
#[inline(always)]
pub(crate) fn exp_non_positive(x: f32) -> f32 {
    const LOG2_E: f32 = std::f32::consts::LOG2_E;
    // ln 2 split in two, so that x - n ln 2 is exact for the n that occur.
    const LN2_HI: f32 = 0.693_359_4;
    const LN2_LO: f32 = -2.121_944_4e-4;
    // 1.5 * 2^23: adding it rounds to an integer (its ulp is 1) and leaves that integer in the
    // low bits of the mantissa.
    const SHIFTER: f32 = 12_582_912.0;
    // Not `max`, which would turn a NaN into -87.3.
    let x = if x < -87.3 { -87.3 } else { x };
    let shifted = x * LOG2_E + SHIFTER; // SHIFTER + n, exactly
    let n = shifted - SHIFTER; // n in -126..=0
    let r = x - n * LN2_HI - n * LN2_LO;
    let p = 1.987_569_1e-4_f32;
    let p = p * r + 1.398_199_9e-3;
    let p = p * r + 8.333_452e-3;
    let p = p * r + 4.166_579_6e-2;
    let p = p * r + 1.666_666_5e-1;
    let p = p * r + 0.5;
    let e_r = p * r * r + r + 1.0;
    // 2^n: n + 127 (1..=127) sits in the low mantissa bits of `shifted + 127`; the shift moves
    // it into the exponent field and drops the rest. A NaN's bits shift to 0, and NaN * 0 is NaN.
    e_r * f32::from_bits((shifted + 127.0).to_bits() << 23)
}

/// A failed readback as the core's error. A device lost while the read was in flight can fail it
/// with a plain mapping error before the device reports itself poisoned (on WebGPU the loss is
/// announced by a callback that may come after the failed map), so a non-poisoned failure is
/// checked with a one-value read of a fresh tensor: if even that cannot be read, the device is
/// gone whatever it says about itself, and it is `DeviceLost`. A failure that the probe survives
/// (e.g. no memory for one large staging buffer) stays `Backend`.
async fn failed_readback(error: ExecutionError, device: &Device) -> AeError {
    let error = execution_error(error);
    let AeError::Backend(said) = &error else {
        return error;
    };
    match Tensor::<1>::zeros([1], device).into_data_async().await {
        Ok(_) => error,
        Err(probe) => match execution_error(probe) {
            lost @ AeError::DeviceLost(_) => lost,
            _ => {
                // The innermost cause is the driver's own words (e.g. a buffer that could not be mapped).
                let cause = said
                    .lines()
                    .map(str::trim)
                    .rfind(|l| !l.is_empty())
                    .unwrap_or(said);
                AeError::DeviceLost(format!("the device no longer answers: {cause}"))
            }
        },
    }
}

/// A readback error as the core's error: a poisoned device (lost, destroyed, reset) is
/// `DeviceLost`, with the driver's reason and without the backtrace that burn appends.
fn execution_error(error: ExecutionError) -> AeError {
    let first_part = |text: String| match text.split_once("\nBacktrace") {
        Some((reason, _)) => reason.trim().to_string(),
        None => text.trim().to_string(),
    };
    match error {
        ExecutionError::DevicePoisoned { reason } => {
            AeError::DeviceLost(first_part(reason).trim_end_matches('.').to_string())
        }
        other => AeError::Backend(format!(
            "readback failed: {}",
            first_part(other.to_string())
        )),
    }
}

/// `values` (row-major, `rows * cols` of them) as a `[rows, cols]` tensor on `device`.
pub fn matrix(values: Vec<f32>, rows: usize, cols: usize, device: &Device) -> Tensor<2> {
    debug_assert_eq!(values.len(), rows * cols);
    Tensor::from_data(TensorData::new(values, [rows, cols]), device)
}

/// `[rows, cols]` standard normal draws from `rng` (drawn on the host, so that a seed means the
/// same numbers on every backend).
pub fn normal_matrix(rows: usize, cols: usize, rng: &mut SeededRng, device: &Device) -> Tensor<2> {
    let mut values = vec![0.0f32; rows * cols];
    rng.fill_normal(&mut values);
    matrix(values, rows, cols, device)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_f32_on_flex_reads_plain_and_autodiff_flex_tensors_at_once() {
        let device = Device::flex();
        let values = vec![0.5, -1.0, 2.0, 3.5, 0.0, 7.0];
        let plain = matrix(values.clone(), 2, 3, &device);
        assert_eq!(read_f32_on_flex(plain.clone()), Some(values.clone()));
        assert_eq!(read_f32_on_flex(plain.autodiff()), Some(values));
    }

    #[test]
    fn sigmoid_in_place_is_within_3e_7_of_the_exact_sigmoid_and_keeps_nan() {
        // Every 1/64 from -100 to 100, and values around the branch and range edges.
        let mut xs: Vec<f32> = (-6400..=6400).map(|i| i as f32 / 64.0).collect();
        xs.extend([
            0.0,
            -0.0,
            1e-8,
            -1e-8,
            -87.2,
            -87.4,
            -88.0,
            -200.0,
            200.0,
            f32::MAX,
            f32::MIN,
        ]);
        let mut got = xs.clone();
        sigmoid_in_place(&mut got);
        for (&x, &g) in xs.iter().zip(&got) {
            let exact = 1.0 / (1.0 + (-(x as f64)).exp());
            assert!(
                (g as f64 - exact).abs() <= 3e-7,
                "sigmoid({x}) = {g}, exact {exact}"
            );
            // Far out on the negative side the value is tiny: relative accuracy until it flushes.
            if exact > 1e-37 {
                assert!(
                    ((g as f64 - exact) / exact).abs() <= 1e-6,
                    "sigmoid({x}) = {g}, exact {exact}"
                );
            }
            assert!((0.0..=1.0).contains(&g));
        }
        let mut nan = [f32::NAN];
        sigmoid_in_place(&mut nan);
        assert!(nan[0].is_nan());
    }
}

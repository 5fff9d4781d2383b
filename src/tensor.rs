//! Host <-> device I/O at the bottom of the core: host batches become tensors, tensors are read
//! back asynchronously. Training, inference, metrics and checkpoints all come here for it, so none
//! of them reaches into another.
//!
//! Every readback is `into_data_async`, natively too: on WebGPU a synchronous read panics, and one
//! code path for every backend is the one that gets tested.

use burn::tensor::{Device, Tensor, TensorData};
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

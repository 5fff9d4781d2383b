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
    let data = tensor.into_data_async().await.map_err(execution_error)?;
    data.try_into_vec::<f32>()
        .map_err(|e| AeError::Backend(format!("readback gave unexpected data: {e:?}")))
}

/// A failed readback as the core's error: a poisoned device (lost, destroyed, reset) is
/// `DeviceLost`, with the driver's reason and without the backtrace that burn appends.
fn execution_error(error: ExecutionError) -> AeError {
    let first_part = |text: String| match text.split_once("\nBacktrace") {
        Some((reason, _)) => reason.trim().to_string(),
        None => text.trim().to_string(),
    };
    match error {
        ExecutionError::DevicePoisoned { reason } => AeError::DeviceLost(first_part(reason)),
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

//! The core's one error type. The binding layer maps each variant to a stable JS error `code`.

use thiserror::Error;

/// Everything that can go wrong in the core, each with a message a person can act on.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum AeError {
    /// A configuration field is out of range or inconsistent; `field` names it.
    #[error("invalid config: `{field}` {reason}")]
    InvalidConfig { field: String, reason: String },
    /// Data whose length or shape does not fit the model.
    #[error("shape mismatch: {0}")]
    ShapeMismatch(String),
    /// Data that cannot be used as it is (empty, NaN, out of range).
    #[error("invalid data: {0}")]
    InvalidData(String),
    /// Training produced a non-finite loss; the weights of the last good step were kept.
    #[error(
        "training diverged at epoch {epoch}, step {step} (loss = {loss}); the last good weights were kept. Lower the learning rate."
    )]
    Diverged {
        epoch: usize,
        step: usize,
        loss: f32,
    },
    /// A method called at the wrong time, e.g. `sample` before any training.
    #[error("invalid state: {0}")]
    InvalidState(String),
    /// A checkpoint that is truncated, altered, or not a checkpoint of this library.
    #[error("corrupt checkpoint: {0}")]
    CorruptCheckpoint(String),
    /// The backend failed (a readback or kernel failed) and said why.
    #[error("backend error: {0}")]
    Backend(String),
    /// The GPU device was lost (destroyed, reset, or its driver failed): every tensor on it is
    /// gone and it cannot be used again in this page or worker.
    #[error("the GPU device was lost: {0}")]
    DeviceLost(String),
}

impl AeError {
    pub fn config(field: &str, reason: impl Into<String>) -> Self {
        AeError::InvalidConfig {
            field: field.to_string(),
            reason: reason.into(),
        }
    }

    /// A stable, machine-readable code for each variant (used as the JS `Error.code`).
    pub fn code(&self) -> &'static str {
        match self {
            AeError::InvalidConfig { .. } => "INVALID_CONFIG",
            AeError::ShapeMismatch(_) => "SHAPE_MISMATCH",
            AeError::InvalidData(_) => "INVALID_DATA",
            AeError::Diverged { .. } => "DIVERGED",
            AeError::InvalidState(_) => "INVALID_STATE",
            AeError::CorruptCheckpoint(_) => "CORRUPT_CHECKPOINT",
            AeError::Backend(_) => "BACKEND",
            AeError::DeviceLost(_) => "DEVICE_LOST",
        }
    }
}

pub type Result<T, E = AeError> = std::result::Result<T, E>;

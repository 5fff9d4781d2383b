//! Model and training configuration: the single source of a model's shape and of how it learns.
//! Plain serde structs (camelCase, so a JS object maps onto them directly), validated before use.

use serde::{Deserialize, Serialize};

use crate::error::{AeError, Result};

/// Largest dimension accepted anywhere (input features, hidden or latent units). Bounds every
/// allocation that a config or checkpoint header can ask for.
pub const MAX_UNITS: usize = 1 << 16;

/// Which member of the autoencoder family to build.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub enum Kind {
    /// A bottleneck narrower than the input; reconstruction loss only.
    #[default]
    Undercomplete,
}

/// How the reconstruction is compared to its target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub enum ReconstructionLoss {
    /// Squared error, summed over pixels.
    Mse,
    /// Binary cross-entropy (Bernoulli likelihood) in nats, summed over pixels; targets in [0, 1].
    #[default]
    Bce,
}

/// The architecture and objective of a model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct ModelConfig {
    pub kind: Kind,
    /// `[channels, height, width]` of one image.
    pub input_shape: [usize; 3],
    /// Widths of the encoder's hidden layers, input side first; the decoder mirrors them.
    pub hidden: Vec<usize>,
    /// Width of the code.
    pub latent: usize,
    pub loss: ReconstructionLoss,
}

impl Default for ModelConfig {
    fn default() -> Self {
        ModelConfig {
            kind: Kind::Undercomplete,
            input_shape: [1, 28, 28],
            hidden: vec![400],
            latent: 32,
            loss: ReconstructionLoss::Bce,
        }
    }
}

impl ModelConfig {
    /// Number of values in one image (`c * h * w`).
    pub fn input_size(&self) -> usize {
        self.input_shape.iter().product()
    }

    pub fn validate(&self) -> Result<()> {
        for (i, &d) in self.input_shape.iter().enumerate() {
            if d == 0 {
                return Err(AeError::config("inputShape", format!("has a zero at position {i}")));
            }
        }
        if self.input_size() > MAX_UNITS * 16 {
            return Err(AeError::config(
                "inputShape",
                format!("{:?} has {} values, more than {}", self.input_shape, self.input_size(), MAX_UNITS * 16),
            ));
        }
        if self.latent == 0 || self.latent > MAX_UNITS {
            return Err(AeError::config("latent", format!("must be in 1..={MAX_UNITS}, got {}", self.latent)));
        }
        if self.hidden.len() > 8 {
            return Err(AeError::config("hidden", format!("at most 8 layers, got {}", self.hidden.len())));
        }
        for (i, &h) in self.hidden.iter().enumerate() {
            if h == 0 || h > MAX_UNITS {
                return Err(AeError::config("hidden", format!("layer {i} must have 1..={MAX_UNITS} units, got {h}")));
            }
        }
        Ok(())
    }
}

/// How to train: Adam, batches, epochs, seed, validation split.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct TrainConfig {
    pub epochs: usize,
    pub batch_size: usize,
    pub learning_rate: f64,
    pub beta1: f32,
    pub beta2: f32,
    pub weight_decay: f32,
    /// Seeds shuffling (and corruption, where a kind uses it).
    pub seed: u64,
    /// Fraction of the data held out for validation loss, in [0, 1).
    pub validation_split: f32,
    /// Stop after this many optimiser steps in total (None: run every epoch fully).
    pub max_steps: Option<usize>,
}

impl Default for TrainConfig {
    fn default() -> Self {
        TrainConfig {
            epochs: 10,
            batch_size: 128,
            learning_rate: 1e-3,
            beta1: 0.9,
            beta2: 0.999,
            weight_decay: 0.0,
            seed: 0,
            validation_split: 0.0,
            max_steps: None,
        }
    }
}

impl TrainConfig {
    pub fn validate(&self) -> Result<()> {
        if self.epochs == 0 || self.epochs > 100_000 {
            return Err(AeError::config("epochs", format!("must be in 1..=100000, got {}", self.epochs)));
        }
        if self.batch_size == 0 || self.batch_size > 65_536 {
            return Err(AeError::config("batchSize", format!("must be in 1..=65536, got {}", self.batch_size)));
        }
        if !(self.learning_rate.is_finite() && self.learning_rate > 0.0 && self.learning_rate < 10.0) {
            return Err(AeError::config("learningRate", format!("must be in (0, 10), got {}", self.learning_rate)));
        }
        for (name, b) in [("beta1", self.beta1), ("beta2", self.beta2)] {
            if !(0.0..1.0).contains(&b) {
                return Err(AeError::config(name, format!("must be in [0, 1), got {b}")));
            }
        }
        if !(self.weight_decay.is_finite() && self.weight_decay >= 0.0) {
            return Err(AeError::config("weightDecay", format!("must be >= 0, got {}", self.weight_decay)));
        }
        if !(0.0..1.0).contains(&self.validation_split) {
            return Err(AeError::config(
                "validationSplit",
                format!("must be in [0, 1), got {}", self.validation_split),
            ));
        }
        if self.max_steps == Some(0) {
            return Err(AeError::config("maxSteps", "must be at least 1 when given"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_bad_fields_are_named() {
        ModelConfig::default().validate().unwrap();
        TrainConfig::default().validate().unwrap();
        let bad = ModelConfig { latent: 0, ..Default::default() };
        let err = bad.validate().unwrap_err();
        assert!(err.to_string().contains("`latent`"), "{err}");
        let bad = TrainConfig { learning_rate: f64::NAN, ..Default::default() };
        assert!(bad.validate().unwrap_err().to_string().contains("learningRate"));
    }

    #[test]
    fn parses_camel_case_json_and_rejects_unknown_fields() {
        let cfg: ModelConfig =
            serde_json::from_str(r#"{"inputShape":[1,8,8],"hidden":[16],"latent":4,"loss":"mse"}"#).unwrap();
        assert_eq!(cfg.input_size(), 64);
        assert_eq!(cfg.loss, ReconstructionLoss::Mse);
        let err = serde_json::from_str::<ModelConfig>(r#"{"latnet":4}"#).unwrap_err();
        assert!(err.to_string().contains("latnet"), "{err}");
    }
}

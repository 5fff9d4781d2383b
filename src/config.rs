//! Model and training configuration: the single source of a model's shape and of how it learns.
//! Plain serde structs (camelCase, so a JS object maps onto them directly), validated before use.

use serde::{Deserialize, Serialize};

use crate::error::{AeError, Result};

/// Largest dimension accepted anywhere (input features, hidden or latent units). Bounds every
/// allocation that a config or checkpoint header can ask for.
pub const MAX_UNITS: usize = 1 << 16;

/// Largest network accepted, in parameters (200 MB of f32): bounds what a config, and so a
/// checkpoint header, can make us allocate.
pub const MAX_PARAMS: usize = 50_000_000;

/// Largest training batch, in values (`batch size * input size`, 512 MB of f32).
pub const MAX_BATCH_VALUES: usize = 1 << 27;

/// Which member of the autoencoder family to build.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub enum Kind {
    /// A bottleneck narrower than the input; reconstruction loss only.
    #[default]
    Undercomplete,
    /// ReLU code with `sparsityWeight * sum |code|` (and hidden activations if `sparseHidden`).
    SparseL1,
    /// Sigmoid code pushed to a mean activation `sparsityTarget` (rho):
    /// `sparsityWeight * sum_j KL(rho || rho_hat_j)`.
    SparseKl,
    /// `contractiveWeight * ||J_f(x)||_F^2`, the squared Frobenius norm of the encoder's Jacobian.
    Contractive,
    /// Trained to rebuild the clean image from a corrupted one (`corruption`).
    Denoising,
    /// Encoder gives a Gaussian q(z|x); KL to N(0, I) weighted by `klWeight` (beta).
    Variational,
    /// Trained on (input, target) pairs where the target is a different image, e.g. a mask.
    Paired,
}

impl Kind {
    pub const ALL: [Kind; 7] = [
        Kind::Undercomplete,
        Kind::SparseL1,
        Kind::SparseKl,
        Kind::Contractive,
        Kind::Denoising,
        Kind::Variational,
        Kind::Paired,
    ];
}

/// Dense (MLP) or convolutional encoder and decoder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub enum Architecture {
    #[default]
    Dense,
    /// Strided 4x4 convolutions (stride 2, padding 1) with `convChannels`, then the dense
    /// `hidden` layers; the decoder mirrors it with transposed convolutions.
    Conv,
}

/// How the reconstruction is compared to its target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub enum ReconstructionLoss {
    /// Squared error, summed over pixels. For a VAE: Gaussian likelihood (see `gaussianScale`).
    Mse,
    /// Absolute error, summed over pixels.
    Mae,
    /// Binary cross-entropy (Bernoulli likelihood) in nats, summed over pixels; targets in [0, 1].
    #[default]
    Bce,
}

/// A corruption of the input, for denoising training and demos. Seeded by the caller.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "type", deny_unknown_fields)]
pub enum Corruption {
    /// Add N(0, sigma^2) noise, clipped to [0, 1].
    Gaussian { sigma: f32 },
    /// Set a `fraction` of pixels to 0 or 1 (half each).
    SaltPepper { fraction: f32 },
    /// Zero a `fraction` of pixels (pixel dropout).
    Masking { fraction: f32 },
    /// Zero `count` random rectangles with sides in `[minSize, maxSize]` pixels.
    #[serde(rename_all = "camelCase")]
    Block {
        count: usize,
        min_size: usize,
        max_size: usize,
    },
}

impl Corruption {
    pub fn validate(&self) -> Result<()> {
        let unit = |name: &str, v: f32| {
            if (0.0..=1.0).contains(&v) {
                Ok(())
            } else {
                Err(AeError::config(name, format!("must be in [0, 1], got {v}")))
            }
        };
        match *self {
            Corruption::Gaussian { sigma } => {
                if sigma.is_finite() && (0.0..=10.0).contains(&sigma) {
                    Ok(())
                } else {
                    Err(AeError::config(
                        "corruption.sigma",
                        format!("must be in [0, 10], got {sigma}"),
                    ))
                }
            }
            Corruption::SaltPepper { fraction } | Corruption::Masking { fraction } => {
                unit("corruption.fraction", fraction)
            }
            Corruption::Block {
                count,
                min_size,
                max_size,
            } => {
                if count > 1000 {
                    return Err(AeError::config(
                        "corruption.count",
                        format!("at most 1000, got {count}"),
                    ));
                }
                if min_size == 0 || min_size > max_size {
                    return Err(AeError::config(
                        "corruption.minSize",
                        format!("need 1 <= minSize <= maxSize, got {min_size} and {max_size}"),
                    ));
                }
                Ok(())
            }
        }
    }
}

/// The architecture and objective of a model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct ModelConfig {
    pub kind: Kind,
    pub architecture: Architecture,
    /// `[channels, height, width]` of one image.
    pub input_shape: [usize; 3],
    /// Output channels of each strided convolution (conv architecture only).
    pub conv_channels: Vec<usize>,
    /// Widths of the encoder's dense hidden layers, input side first; the decoder mirrors them.
    pub hidden: Vec<usize>,
    /// Width of the code.
    pub latent: usize,
    pub loss: ReconstructionLoss,
    /// L1 weight (lambda) for `sparseL1`, KL weight (beta) for `sparseKl`.
    pub sparsity_weight: f32,
    /// Target mean activation rho for `sparseKl`.
    pub sparsity_target: f32,
    /// `sparseL1` also penalises the encoder's hidden activations.
    pub sparse_hidden: bool,
    /// Weight (lambda) of the contractive penalty.
    pub contractive_weight: f32,
    /// Weight (beta) of the VAE's KL term.
    pub kl_weight: f32,
    /// VAE with `mse`: the decoder's Gaussian standard deviation; `None` learns it.
    pub gaussian_scale: Option<f32>,
    /// Input corruption for `denoising` training (default: Gaussian, sigma 0.5).
    pub corruption: Option<Corruption>,
}

impl Default for ModelConfig {
    fn default() -> Self {
        ModelConfig {
            kind: Kind::Undercomplete,
            architecture: Architecture::Dense,
            input_shape: [1, 28, 28],
            conv_channels: vec![32, 64],
            hidden: vec![400],
            latent: 32,
            loss: ReconstructionLoss::Bce,
            sparsity_weight: 1.0,
            sparsity_target: 0.05,
            sparse_hidden: false,
            contractive_weight: 0.1,
            kl_weight: 1.0,
            gaussian_scale: None,
            corruption: None,
        }
    }
}

fn saturating_product(dims: &[usize]) -> usize {
    dims.iter().fold(1usize, |acc, &d| acc.saturating_mul(d))
}

impl ModelConfig {
    /// Number of values in one image (`c * h * w`); saturates instead of overflowing, so that a
    /// huge shape is refused by `validate` rather than wrapping (usize is 32 bits on wasm).
    pub fn input_size(&self) -> usize {
        saturating_product(&self.input_shape)
    }

    /// The corruption applied to training inputs: denoising only.
    pub fn training_corruption(&self) -> Option<Corruption> {
        match self.kind {
            Kind::Denoising => Some(
                self.corruption
                    .unwrap_or(Corruption::Gaussian { sigma: 0.5 }),
            ),
            _ => None,
        }
    }

    /// `[channels, height, width]` after each strided convolution, input first.
    pub fn conv_shapes(&self) -> Vec<[usize; 3]> {
        let mut shapes = vec![self.input_shape];
        if self.architecture == Architecture::Conv {
            for &c in &self.conv_channels {
                let [_, h, w] = *shapes.last().expect("starts non-empty");
                // kernel 4, stride 2, padding 1: out = floor(in / 2).
                shapes.push([c, h / 2, w / 2]);
            }
        }
        shapes
    }

    /// Values entering the dense part of the encoder (after the convolutions, if any).
    pub fn flat_size(&self) -> usize {
        saturating_product(self.conv_shapes().last().expect("non-empty"))
    }

    /// Number of parameters of the network this config describes (weights and biases).
    pub fn param_count(&self) -> usize {
        let shapes = self.conv_shapes();
        // Convolutions (4x4 kernels) in the encoder and their transposes in the decoder.
        let convs: usize = shapes
            .windows(2)
            .map(|w| 2 * (w[0][0] * w[1][0] * 16) + w[1][0] + w[0][0])
            .fold(0, usize::saturating_add);
        let mut widths = vec![self.flat_size()];
        widths.extend(&self.hidden);
        let code = if self.kind == Kind::Variational {
            2 * self.latent
        } else {
            self.latent
        };
        let dense = |a: usize, b: usize| a.saturating_mul(b).saturating_add(b);
        let sum =
            |terms: &mut dyn Iterator<Item = usize>| terms.fold(0usize, usize::saturating_add);
        let encoder = sum(&mut widths.windows(2).map(|w| dense(w[0], w[1])))
            .saturating_add(dense(*widths.last().expect("non-empty"), code));
        let decoder = sum(&mut widths.windows(2).map(|w| dense(w[1], w[0])))
            .saturating_add(dense(self.latent, *widths.last().expect("non-empty")));
        convs.saturating_add(encoder).saturating_add(decoder)
    }

    pub fn validate(&self) -> Result<()> {
        for (i, &d) in self.input_shape.iter().enumerate() {
            if d == 0 {
                return Err(AeError::config(
                    "inputShape",
                    format!("has a zero at position {i}"),
                ));
            }
        }
        if self.input_shape[0] > 4 {
            return Err(AeError::config(
                "inputShape",
                format!("at most 4 channels, got {}", self.input_shape[0]),
            ));
        }
        if self.input_size() > MAX_UNITS * 16 {
            return Err(AeError::config(
                "inputShape",
                format!(
                    "{:?} has {} values, more than {}",
                    self.input_shape,
                    self.input_size(),
                    MAX_UNITS * 16
                ),
            ));
        }
        if self.latent == 0 || self.latent > MAX_UNITS {
            return Err(AeError::config(
                "latent",
                format!("must be in 1..={MAX_UNITS}, got {}", self.latent),
            ));
        }
        if self.hidden.len() > 8 {
            return Err(AeError::config(
                "hidden",
                format!("at most 8 layers, got {}", self.hidden.len()),
            ));
        }
        for (i, &h) in self.hidden.iter().enumerate() {
            if h == 0 || h > MAX_UNITS {
                return Err(AeError::config(
                    "hidden",
                    format!("layer {i} must have 1..={MAX_UNITS} units, got {h}"),
                ));
            }
        }
        if self.architecture == Architecture::Conv {
            if self.conv_channels.is_empty() || self.conv_channels.len() > 5 {
                return Err(AeError::config(
                    "convChannels",
                    format!("needs 1 to 5 layers, got {}", self.conv_channels.len()),
                ));
            }
            if let Some(&c) = self.conv_channels.iter().find(|&&c| c == 0 || c > 512) {
                return Err(AeError::config(
                    "convChannels",
                    format!("each must be in 1..=512, got {c}"),
                ));
            }
            let last = *self.conv_shapes().last().expect("non-empty");
            if last[1] == 0 || last[2] == 0 {
                return Err(AeError::config(
                    "convChannels",
                    format!(
                        "{} stride-2 layers shrink {:?} to nothing",
                        self.conv_channels.len(),
                        self.input_shape
                    ),
                ));
            }
            if self.flat_size() > MAX_UNITS * 4 {
                return Err(AeError::config(
                    "convChannels",
                    format!(
                        "the last feature map has {} values; add a layer",
                        self.flat_size()
                    ),
                ));
            }
        }
        if self.param_count() > MAX_PARAMS {
            return Err(AeError::config(
                "hidden",
                format!(
                    "this network would have {} parameters, more than {MAX_PARAMS}; use narrower layers",
                    self.param_count()
                ),
            ));
        }
        let non_negative = |name: &str, v: f32| {
            if v.is_finite() && v >= 0.0 {
                Ok(())
            } else {
                Err(AeError::config(
                    name,
                    format!("must be a finite number >= 0, got {v}"),
                ))
            }
        };
        non_negative("sparsityWeight", self.sparsity_weight)?;
        non_negative("contractiveWeight", self.contractive_weight)?;
        non_negative("klWeight", self.kl_weight)?;
        if !(self.sparsity_target > 0.0 && self.sparsity_target < 1.0) {
            return Err(AeError::config(
                "sparsityTarget",
                format!("must be in (0, 1), got {}", self.sparsity_target),
            ));
        }
        if let Some(s) = self.gaussian_scale
            && !(s.is_finite() && s > 0.0)
        {
            return Err(AeError::config(
                "gaussianScale",
                format!("must be > 0, got {s}"),
            ));
        }
        if let Some(c) = &self.corruption {
            c.validate()?;
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
    /// Corrupt the inputs of this training (the targets stay clean), overriding the model's own
    /// `corruption`; any kind then trains as a denoiser for this call.
    pub corruption: Option<Corruption>,
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
            corruption: None,
        }
    }
}

impl TrainConfig {
    pub fn validate(&self) -> Result<()> {
        if self.epochs == 0 || self.epochs > 100_000 {
            return Err(AeError::config(
                "epochs",
                format!("must be in 1..=100000, got {}", self.epochs),
            ));
        }
        if self.batch_size == 0 || self.batch_size > 65_536 {
            return Err(AeError::config(
                "batchSize",
                format!("must be in 1..=65536, got {}", self.batch_size),
            ));
        }
        if !(self.learning_rate.is_finite()
            && self.learning_rate > 0.0
            && self.learning_rate < 10.0)
        {
            return Err(AeError::config(
                "learningRate",
                format!("must be in (0, 10), got {}", self.learning_rate),
            ));
        }
        for (name, b) in [("beta1", self.beta1), ("beta2", self.beta2)] {
            if !(0.0..1.0).contains(&b) {
                return Err(AeError::config(name, format!("must be in [0, 1), got {b}")));
            }
        }
        if !(self.weight_decay.is_finite() && self.weight_decay >= 0.0) {
            return Err(AeError::config(
                "weightDecay",
                format!("must be >= 0, got {}", self.weight_decay),
            ));
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
        if let Some(c) = &self.corruption {
            c.validate()?;
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
        let bad = ModelConfig {
            latent: 0,
            ..Default::default()
        };
        let err = bad.validate().unwrap_err();
        assert!(err.to_string().contains("`latent`"), "{err}");
        let bad = TrainConfig {
            learning_rate: f64::NAN,
            ..Default::default()
        };
        assert!(
            bad.validate()
                .unwrap_err()
                .to_string()
                .contains("learningRate")
        );
    }

    #[test]
    fn param_count_matches_the_network_and_huge_networks_are_refused() {
        // 784-400-32 dense: (784*400 + 400) + (400*32 + 32) + (32*400 + 400) + (400*784 + 784).
        let cfg = ModelConfig {
            hidden: vec![400],
            latent: 32,
            ..Default::default()
        };
        assert_eq!(
            cfg.param_count(),
            784 * 400 + 400 + 400 * 32 + 32 + 32 * 400 + 400 + 400 * 784 + 784
        );
        let huge = ModelConfig {
            hidden: vec![65_536, 65_536],
            ..Default::default()
        };
        assert!(
            huge.validate()
                .unwrap_err()
                .to_string()
                .contains("parameters")
        );
    }

    #[test]
    fn shapes_whose_size_overflows_are_refused_not_wrapped() {
        for input_shape in [
            [4, usize::MAX, usize::MAX],
            [1, usize::MAX / 3, usize::MAX / 3],
            [4, 65_536, 65_536],
        ] {
            let cfg = ModelConfig {
                input_shape,
                ..Default::default()
            };
            let err = cfg.validate().unwrap_err();
            assert!(err.to_string().contains("inputShape"), "{err}");
        }
        let wide = ModelConfig {
            input_shape: [4, 512, 512],
            hidden: vec![65_536; 8],
            ..Default::default()
        };
        assert!(wide.validate().is_err());
    }

    #[test]
    fn parses_camel_case_json_and_rejects_unknown_fields() {
        let cfg: ModelConfig =
            serde_json::from_str(r#"{"inputShape":[1,8,8],"hidden":[16],"latent":4,"loss":"mse"}"#)
                .unwrap();
        assert_eq!(cfg.input_size(), 64);
        assert_eq!(cfg.loss, ReconstructionLoss::Mse);
        let err = serde_json::from_str::<ModelConfig>(r#"{"latnet":4}"#).unwrap_err();
        assert!(err.to_string().contains("latnet"), "{err}");
    }
}

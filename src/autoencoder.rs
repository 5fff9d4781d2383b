//! `Autoencoder`: a model with its config, device, training state and code statistics.
//! This is the Rust API; the JS class in `web/` is a thin wrapper around it.

use burn::module::Module;
use burn::tensor::Device;

use crate::config::{ModelConfig, TrainConfig};
use crate::data::Images;
use crate::error::{AeError, Result};
use crate::model::AutoencoderNet;
use crate::rng::SeededRng;
use crate::train::{batch_tensor, read_f32, TrainHistory, TrainObserver, Trainer};

/// Rows per forward pass at inference, to bound memory on large inputs.
const INFER_CHUNK: usize = 1024;

/// A diagonal Gaussian fitted to the codes of the training images; `sample` draws from it.
#[derive(Debug, Clone, PartialEq)]
pub struct CodeDistribution {
    pub mean: Vec<f32>,
    pub std: Vec<f32>,
}

pub struct Autoencoder {
    config: ModelConfig,
    /// The device tensors live on, without autodiff.
    device: Device,
    /// Parameters live on the autodiff view of `device`.
    net: AutoencoderNet,
    trainer: Trainer,
    codes: Option<CodeDistribution>,
}

impl Autoencoder {
    /// A freshly initialised model; `seed` fixes the initial weights.
    pub fn new(config: ModelConfig, seed: u64, device: Device) -> Result<Self> {
        config.validate()?;
        let device = device.inner();
        let net = AutoencoderNet::new(&config, seed, &device.clone().autodiff());
        Ok(Autoencoder { config, device, net, trainer: Trainer::new(), codes: None })
    }

    pub fn config(&self) -> &ModelConfig {
        &self.config
    }

    pub fn device(&self) -> &Device {
        &self.device
    }

    pub fn code_distribution(&self) -> Option<&CodeDistribution> {
        self.codes.as_ref()
    }

    pub fn num_params(&self) -> usize {
        self.net.num_params()
    }

    /// Train on `inputs` (reconstructing them, or `targets` when given). Resumes the optimiser
    /// state of earlier calls. On error the last good weights are kept.
    pub async fn train(
        &mut self,
        inputs: &Images,
        targets: Option<&Images>,
        cfg: &TrainConfig,
        observer: &mut impl TrainObserver,
    ) -> Result<TrainHistory> {
        let ad_device = self.device.clone().autodiff();
        let result = self.trainer.fit(&mut self.net, &self.config, cfg, inputs, targets, &ad_device, observer).await;
        // Refit the code distribution to whatever weights we now hold (also after an error).
        if self.codes.is_some() || result.is_ok() {
            self.codes = Some(self.fit_codes(inputs).await?);
        }
        result
    }

    async fn fit_codes(&self, images: &Images) -> Result<CodeDistribution> {
        let codes = self.encode(images).await?;
        let latent = self.config.latent;
        let n = images.len() as f64;
        let mut mean = vec![0.0f64; latent];
        let mut sq = vec![0.0f64; latent];
        for row in codes.chunks(latent) {
            for (j, &v) in row.iter().enumerate() {
                mean[j] += v as f64;
                sq[j] += (v as f64) * (v as f64);
            }
        }
        let mean: Vec<f64> = mean.iter().map(|m| m / n).collect();
        let std = sq.iter().zip(&mean).map(|(s, m)| ((s / n - m * m).max(0.0)).sqrt() as f32).collect();
        Ok(CodeDistribution { mean: mean.iter().map(|&m| m as f32).collect(), std })
    }

    fn check_images(&self, images: &Images) -> Result<()> {
        if images.image_size() != self.config.input_size() {
            return Err(AeError::ShapeMismatch(format!(
                "images are {:?} ({} values each) but the model takes {:?} ({} values)",
                images.shape(),
                images.image_size(),
                self.config.input_shape,
                self.config.input_size()
            )));
        }
        Ok(())
    }

    /// Codes of `images`, `[n, latent]` flattened.
    pub async fn encode(&self, images: &Images) -> Result<Vec<f32>> {
        self.check_images(images)?;
        let net = self.net.valid();
        let size = self.config.input_size();
        let mut out = Vec::with_capacity(images.len() * self.config.latent);
        for chunk in images.values().chunks(INFER_CHUNK * size) {
            let x = batch_tensor(chunk.to_vec(), chunk.len() / size, size, &self.device); // [n, input]
            out.extend(read_f32(net.encode(x)).await?); // [n, latent]
        }
        Ok(out)
    }

    /// Images decoded from `codes` (`[n, latent]` flattened), `[n, input]` flattened, in (0, 1).
    pub async fn decode(&self, codes: &[f32]) -> Result<Vec<f32>> {
        let latent = self.config.latent;
        if codes.is_empty() || codes.len() % latent != 0 {
            return Err(AeError::ShapeMismatch(format!(
                "{} code values is not a whole number of codes of size {latent}",
                codes.len()
            )));
        }
        if let Some(i) = codes.iter().position(|v| !v.is_finite()) {
            return Err(AeError::InvalidData(format!("code value {i} is {}", codes[i])));
        }
        let net = self.net.valid();
        let mut out = Vec::with_capacity(codes.len() / latent * self.config.input_size());
        for chunk in codes.chunks(INFER_CHUNK * latent) {
            let z = batch_tensor(chunk.to_vec(), chunk.len() / latent, latent, &self.device); // [n, latent]
            out.extend(read_f32(net.decode(z)).await?); // [n, input]
        }
        Ok(out)
    }

    /// Encode then decode.
    pub async fn reconstruct(&self, images: &Images) -> Result<Vec<f32>> {
        let codes = self.encode(images).await?;
        self.decode(&codes).await
    }

    /// `n` new images decoded from codes drawn from the fitted code distribution.
    pub async fn sample(&self, n: usize, seed: u64) -> Result<Vec<f32>> {
        if n == 0 || n > 65_536 {
            return Err(AeError::InvalidData(format!("sample count must be in 1..=65536, got {n}")));
        }
        let dist = self.codes.as_ref().ok_or_else(|| {
            AeError::InvalidState("sample needs a trained model: call train first (its codes define the distribution)".into())
        })?;
        let mut rng = SeededRng::new(seed);
        let codes: Vec<f32> = (0..n)
            .flat_map(|_| dist.mean.iter().zip(&dist.std).map(|(m, s)| m + s * rng.normal()).collect::<Vec<_>>())
            .collect();
        self.decode(&codes).await
    }
}

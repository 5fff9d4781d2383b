//! `Autoencoder`: a model with its config, device, training state and code statistics.
//! This is the Rust API; the JS class in `web/` is a thin wrapper around it.

use std::sync::{Arc, OnceLock};

use burn::module::Module;
use burn::tensor::{Device, Tensor};

use crate::checkpoint;
use crate::config::{Corruption, Kind, ModelConfig, TrainConfig};
use crate::corrupt;
use crate::data::{Images, spread_indices};
use crate::error::{AeError, Result};
use crate::matmul::HOST_MIN_ROWS;
use crate::model::{AutoencoderNet, HostWeights};
use crate::rng::SeededRng;
use crate::tensor::{matrix, read_f32, sigmoid_in_place};
use crate::train::{TrainHistory, TrainObserver, Trainer};

pub use crate::codes::CodeDistribution;

/// Rows per forward pass at inference, to bound memory on large inputs.
const INFER_CHUNK: usize = 1024;

/// Most images encoded to fit the code distribution after training (non-variational kinds).
const FIT_CODES_FROM: usize = 2048;

pub struct Autoencoder {
    config: ModelConfig,
    /// The device tensors live on, without autodiff.
    device: Device,
    /// Parameters live on the autodiff view of `device`.
    net: AutoencoderNet,
    trainer: Trainer,
    codes: Option<CodeDistribution>,
    /// `net`'s dense weights packed for the host kernel (CPU inference in the browser), made by
    /// the first inference after the weights last changed: packing the 784x400 layers each call
    /// was about 5% of a 256-image `reconstruct`. Emptied wherever `net` changes.
    host_weights: OnceLock<Option<Arc<HostWeights>>>,
}

impl Autoencoder {
    /// A freshly initialised model; `seed` fixes the initial weights.
    pub fn new(config: ModelConfig, seed: u64, device: Device) -> Result<Self> {
        config.validate()?;
        let device = device.inner();
        let net = AutoencoderNet::new(&config, seed, &device.clone().autodiff());
        Ok(Autoencoder {
            config,
            device,
            net,
            trainer: Trainer::new(),
            codes: None,
            host_weights: OnceLock::new(),
        })
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

    pub(crate) fn net(&self) -> &AutoencoderNet {
        &self.net
    }

    /// The model as bytes (see `checkpoint` for the format).
    pub async fn save(&self) -> Result<Vec<u8>> {
        checkpoint::save(&self.config, &self.net, self.codes.as_ref()).await
    }

    /// A model from bytes written by `save`; a corrupt or foreign file is an error.
    pub fn load(bytes: &[u8], device: Device) -> Result<Self> {
        let device = device.inner();
        let saved = checkpoint::load(bytes, &device.clone().autodiff())?;
        Ok(Autoencoder {
            config: saved.config,
            device,
            net: saved.net,
            trainer: Trainer::new(),
            codes: saved.codes,
            host_weights: OnceLock::new(),
        })
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
        // The weights change from the first step (and stay changed if a later one fails).
        self.host_weights = OnceLock::new();
        let result = self
            .trainer
            .fit(
                &mut self.net,
                &self.config,
                cfg,
                inputs,
                targets,
                &ad_device,
                observer,
            )
            .await;
        // Refit the code distribution to whatever weights we now hold (also after an error). A
        // VAE samples from its prior, so encoding the whole training set again would be wasted.
        if self.config.kind != Kind::Variational && (self.codes.is_some() || result.is_ok()) {
            self.codes = Some(self.fit_codes(inputs).await?);
        }
        result
    }

    /// Train with burn-train's Learner (natively): on one device or data-parallel on several
    /// of one machine (`run.devices`; this model's device is not used for training). Afterwards
    /// the model is back on its own device with the new weights, and its code statistics are
    /// refitted. Returns the objective on (at most 2,048 of) the training images. A diverged
    /// result (a non-finite objective) is an error and the weights stay as they were; Adam's
    /// moments do not carry over to a later `train`.
    #[cfg(all(feature = "learner", not(target_arch = "wasm32")))]
    pub async fn train_with_learner(
        &mut self,
        inputs: &Images,
        targets: Option<&Images>,
        cfg: &TrainConfig,
        run: crate::learner::LearnerRun<'_>,
    ) -> Result<f32> {
        let trained =
            crate::learner::fit(self.net.clone(), &self.config, cfg, inputs, targets, run)?;
        let ad_device = self.device.clone().autodiff();
        let trained = trained.fork(&ad_device);
        let loss =
            crate::learner::mean_objective(&trained, &self.config, inputs, targets, &ad_device)
                .await?;
        if !loss.is_finite() {
            return Err(AeError::Diverged {
                epoch: cfg.epochs.saturating_sub(1),
                step: 0,
                loss,
            });
        }
        self.net = trained;
        self.host_weights = OnceLock::new();
        self.trainer.reset();
        if self.config.kind != Kind::Variational {
            self.codes = Some(self.fit_codes(inputs).await?);
        }
        Ok(loss)
    }

    /// The Gaussian of the codes of (at most `FIT_CODES_FROM` of, evenly spaced) `images`: a
    /// mean and deviation per code unit are well estimated from a couple of thousand codes, and
    /// encoding the whole training set after every `train` call cost more than short calls did.
    async fn fit_codes(&self, images: &Images) -> Result<CodeDistribution> {
        let codes = if images.len() > FIT_CODES_FROM {
            let picks = spread_indices(images.len(), FIT_CODES_FROM);
            self.encode(&images.subset(&picks)).await?
        } else {
            self.encode(images).await?
        }; // [n, latent]
        Ok(CodeDistribution::fit(&codes, self.config.latent))
    }

    /// The net as inference on `rows` rows runs it: without autodiff, and in the browser on the
    /// CPU, for `HOST_MIN_ROWS` rows or more, with its dense weights packed for the host kernel
    /// (`matmul`; natively burn's kernels are faster): a dense net then runs its whole forward
    /// pass on the host (`encode_on_host`), a convolutional one its dense layers. Smaller calls
    /// (a page's first one-digit reconstruction) neither use nor pack them.
    fn inference_net(&self, rows: usize) -> AutoencoderNet {
        let net = self.net.valid();
        if !(cfg!(target_arch = "wasm32") && self.device == Device::flex() && rows >= HOST_MIN_ROWS)
        {
            return net;
        }
        match self
            .host_weights
            .get_or_init(|| net.host_weights().map(Arc::new))
        {
            Some(host) => net.with_host_weights(host.clone()),
            None => net,
        }
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
        let net = self.inference_net(images.len());
        let size = self.config.input_size();
        let mut out = Vec::new();
        for chunk in images.values().chunks(INFER_CHUNK * size) {
            if let Some(codes) = net.encode_on_host(chunk) {
                append(&mut out, codes);
                continue;
            }
            let x = matrix(chunk.to_vec(), chunk.len() / size, size, &self.device); // [n, input]
            append(&mut out, read_f32(net.encode(x)).await?); // [n, latent]
        }
        Ok(out)
    }

    /// Images decoded from `codes` (`[n, latent]` flattened), `[n, input]` flattened, in (0, 1).
    pub async fn decode(&self, codes: &[f32]) -> Result<Vec<f32>> {
        let latent = self.config.latent;
        if codes.is_empty() || !codes.len().is_multiple_of(latent) {
            return Err(AeError::ShapeMismatch(format!(
                "{} code values is not a whole number of codes of size {latent}",
                codes.len()
            )));
        }
        if let Some(i) = codes.iter().position(|v| !v.is_finite()) {
            return Err(AeError::InvalidData(format!(
                "code value {i} is {}",
                codes[i]
            )));
        }
        let net = self.inference_net(codes.len() / latent);
        let mut out = Vec::new();
        for chunk in codes.chunks(INFER_CHUNK * latent) {
            if let Some(mut images) = net.decode_logits_on_host(chunk) {
                sigmoid_in_place(&mut images);
                append(&mut out, images);
                continue;
            }
            let z = matrix(chunk.to_vec(), chunk.len() / latent, latent, &self.device); // [n, latent]
            append(&mut out, self.read_decoded(&net, z).await?); // [n, input]
        }
        Ok(out)
    }

    /// Encode then decode, on the device with one readback per chunk of rows.
    pub async fn reconstruct(&self, images: &Images) -> Result<Vec<f32>> {
        self.check_images(images)?;
        let net = self.inference_net(images.len());
        let size = self.config.input_size();
        let mut out = Vec::new();
        for chunk in images.values().chunks(INFER_CHUNK * size) {
            if let Some(images) = reconstruct_on_host(&net, chunk) {
                append(&mut out, images);
                continue;
            }
            let x = matrix(chunk.to_vec(), chunk.len() / size, size, &self.device); // [n, input]
            append(&mut out, self.read_decoded(&net, net.encode(x)).await?); // [n, input]
        }
        Ok(out)
    }

    /// The decoder's output for `codes` (`[n, latent]`), read back: `[n, input]` in (0, 1). On
    /// the CPU the output sigmoid runs on the host as the values arrive (`sigmoid_in_place`
    /// vectorises; Flex's does not); on a GPU it runs there.
    async fn read_decoded(&self, net: &AutoencoderNet, codes: Tensor<2>) -> Result<Vec<f32>> {
        if self.device == Device::flex() {
            let mut values = read_f32(net.decode_logits(codes)).await?;
            sigmoid_in_place(&mut values);
            Ok(values)
        } else {
            read_f32(net.decode(codes)).await
        }
    }

    /// `n` codes drawn with `seed`: from the prior N(0, I) for a VAE, otherwise from the Gaussian
    /// fitted to the training codes.
    pub fn sample_codes(&self, n: usize, seed: u64) -> Result<Vec<f32>> {
        if n == 0 || n > 65_536 {
            return Err(AeError::config(
                "n",
                format!("must be in 1..=65536, got {n}"),
            ));
        }
        let mut rng = SeededRng::new(seed);
        if self.config.kind == Kind::Variational {
            return Ok((0..n * self.config.latent).map(|_| rng.normal()).collect());
        }
        let dist = self.codes.as_ref().ok_or_else(|| {
            AeError::InvalidState("sample needs a trained model: call train first (its codes define the distribution)".into())
        })?;
        Ok(dist.sample(n, &mut rng))
    }

    /// `n` new images decoded from `sample_codes(n, seed)`.
    pub async fn sample(&self, n: usize, seed: u64) -> Result<Vec<f32>> {
        let codes = self.sample_codes(n, seed)?;
        self.decode(&codes).await
    }

    /// Reconstruct images corrupted as asked (seeded); returns `(noisy, denoised)`.
    pub async fn corrupt_and_denoise(
        &self,
        images: &Images,
        corruption: &Corruption,
        seed: u64,
    ) -> Result<(Vec<f32>, Vec<f32>)> {
        corruption.validate()?;
        let noisy = corrupt::corrupted(images.values(), images.shape(), corruption, seed);
        let denoised = self
            .reconstruct(&Images::new(noisy.clone(), images.shape())?)
            .await?;
        Ok((noisy, denoised))
    }

    /// Fill the hidden pixels of `images` (`mask` 1 = hidden; one value per pixel position, or
    /// one per value): start from zeros there, then `iterations` times reconstruct and put the
    /// known pixels back. Known pixels are returned unchanged.
    pub async fn inpaint(
        &self,
        images: &Images,
        mask: &[f32],
        iterations: usize,
    ) -> Result<Vec<f32>> {
        self.check_images(images)?;
        if iterations == 0 || iterations > 1000 {
            return Err(AeError::config(
                "iterations",
                format!("must be in 1..=1000, got {iterations}"),
            ));
        }
        let known = images.values();
        // 1.0 where the pixel is hidden, per value of the batch.
        let mut hidden = vec![0.0f32; known.len()];
        corrupt::apply_mask(&mut hidden, images.shape(), mask, 1.0)?;
        let net = self.inference_net(images.len());
        let size = self.config.input_size();
        let mut out = Vec::new();
        // Every iteration stays on the device; one readback per chunk of rows at the end.
        for (known, hidden) in known
            .chunks(INFER_CHUNK * size)
            .zip(hidden.chunks(INFER_CHUNK * size))
        {
            if let Some(filled) = inpaint_on_host(&net, known, hidden, iterations) {
                append(&mut out, filled);
                continue;
            }
            let rows = known.len() / size;
            let hidden = matrix(hidden.to_vec(), rows, size, &self.device); // [n, input], 0 or 1
            let kept = matrix(known.to_vec(), rows, size, &self.device)
                * hidden.clone().neg().add_scalar(1.0); // known pixels, 0 where hidden
            let mut current = kept.clone();
            for _ in 0..iterations {
                let filled = net.decode(net.encode(current)); // [n, input]
                // Exact: a known pixel is x * 1 + filled * 0.
                current = kept.clone() + filled * hidden.clone();
            }
            append(&mut out, read_f32(current).await?);
        }
        Ok(out)
    }

    /// `steps` images decoded along the path between the codes of images `a` and `b` (one image
    /// each), ends included: linear, or spherical (`slerp`) as suits a VAE's Gaussian prior.
    pub async fn interpolate(
        &self,
        a: &Images,
        b: &Images,
        steps: usize,
        spherical: bool,
    ) -> Result<Vec<f32>> {
        if a.len() != 1 || b.len() != 1 {
            return Err(AeError::ShapeMismatch(format!(
                "interpolate takes one image at each end, got {} and {}",
                a.len(),
                b.len()
            )));
        }
        if !(2..=256).contains(&steps) {
            return Err(AeError::config(
                "steps",
                format!("must be in 2..=256, got {steps}"),
            ));
        }
        self.check_images(a)?;
        self.check_images(b)?;
        // Both ends in one pass: [2, latent].
        let ends = Images::new([a.values(), b.values()].concat(), a.shape())?;
        let codes = self.encode(&ends).await?;
        let (za, zb) = codes.split_at(self.config.latent);
        let codes: Vec<f32> = (0..steps)
            .flat_map(|i| interpolate_codes(za, zb, i as f32 / (steps - 1) as f32, spherical))
            .collect();
        self.decode(&codes).await
    }
}

/// `chunk`'s values after `out`'s: moved, not copied, when it is the first, so a call of one
/// chunk (up to `INFER_CHUNK` rows, the usual case) returns its output as it was computed.
fn append(out: &mut Vec<f32>, chunk: Vec<f32>) {
    if out.is_empty() {
        *out = chunk;
    } else {
        out.extend(chunk);
    }
}

/// `reconstruct` of `x` (`[rows, input]` flattened) wholly on the host, where `net` has a host
/// pass (`AutoencoderNet::encode_on_host`); `None` where it has not.
fn reconstruct_on_host(net: &AutoencoderNet, x: &[f32]) -> Option<Vec<f32>> {
    let codes = net.encode_on_host(x)?; // [rows, latent]
    let mut images = net.decode_logits_on_host(&codes)?; // [rows, input]
    sigmoid_in_place(&mut images);
    Some(images)
}

/// `inpaint`'s iterations on the host, with the device path's arithmetic; `None` where `net` has
/// no host pass. `hidden` is 1 where a pixel is hidden, 0 where it is known.
fn inpaint_on_host(
    net: &AutoencoderNet,
    known: &[f32],
    hidden: &[f32],
    iterations: usize,
) -> Option<Vec<f32>> {
    if !net.has_host_pass() {
        return None;
    }
    let kept: Vec<f32> = known
        .iter()
        .zip(hidden)
        .map(|(x, h)| x * (1.0 - h))
        .collect();
    let mut current = kept.clone();
    for _ in 0..iterations {
        let filled = reconstruct_on_host(net, &current)?;
        // Exact: a known pixel is x * 1 + filled * 0.
        current = kept
            .iter()
            .zip(&filled)
            .zip(hidden)
            .map(|((k, f), h)| k + f * h)
            .collect();
    }
    Some(current)
}

impl Drop for Autoencoder {
    /// burn's autodiff frees the graph entries of dropped tensors only while it runs a backward
    /// pass: a model that never trained would otherwise leave its parameters' entries behind
    /// (about 7 KB each, measured over 2,000 created and disposed models in a page). A backward
    /// pass through one scalar sweeps them.
    fn drop(&mut self) {
        let device = self.device.clone().autodiff();
        let scalar = burn::tensor::Tensor::<1>::zeros([1], &device).require_grad();
        let _ = scalar.sum().backward();
    }
}

/// The point at `t` in [0, 1] between codes `a` and `b`.
pub fn interpolate_codes(a: &[f32], b: &[f32], t: f32, spherical: bool) -> Vec<f32> {
    let lerp = || a.iter().zip(b).map(|(x, y)| x + t * (y - x)).collect();
    if !spherical {
        return lerp();
    }
    let norm = |v: &[f32]| v.iter().map(|x| x * x).sum::<f32>().sqrt();
    let (na, nb) = (norm(a), norm(b));
    if na < 1e-8 || nb < 1e-8 {
        return lerp();
    }
    let cos = (a.iter().zip(b).map(|(x, y)| x * y).sum::<f32>() / (na * nb)).clamp(-1.0, 1.0);
    let omega = cos.acos();
    if omega.sin().abs() < 1e-6 {
        return lerp();
    }
    let (wa, wb) = (
        ((1.0 - t) * omega).sin() / omega.sin(),
        (t * omega).sin() / omega.sin(),
    );
    a.iter().zip(b).map(|(x, y)| wa * x + wb * y).collect()
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use pollster::block_on;

    /// The browser's host pass for `reconstruct` and `inpaint` (taken only in wasm on the CPU)
    /// gives what the tensor path gives natively, on a batch ending in a partial tile, with a
    /// per-pixel mask: hidden pixels filled, known ones returned bit for bit.
    #[test]
    fn host_reconstruct_and_inpaint_match_the_tensor_path() {
        let config = ModelConfig {
            kind: Kind::Denoising,
            hidden: vec![64],
            latent: 8,
            ..ModelConfig::default()
        };
        let ae = Autoencoder::new(config, 2, Device::flex()).unwrap();
        let net = ae.net.valid();
        let hosted = net.hosted();
        let mut rng = SeededRng::new(4);
        let rows = 67; // the last tile partial
        let values: Vec<f32> = (0..rows * 784).map(|_| rng.uniform(0.0, 1.0)).collect();
        let images = Images::new(values.clone(), [1, 28, 28]).unwrap();
        let close = |got: &[f32], want: &[f32], what: &str| {
            assert_eq!(got.len(), want.len(), "{what}");
            let worst = got
                .iter()
                .zip(want)
                .map(|(g, w)| (g - w).abs())
                .fold(0.0, f32::max);
            assert!(worst < 1e-5, "{what}: off by {worst}");
        };
        let by_host = reconstruct_on_host(&hosted, &values).expect("a host pass");
        close(
            &by_host,
            &block_on(ae.reconstruct(&images)).unwrap(),
            "reconstruct",
        );
        assert_eq!(reconstruct_on_host(&net, &values), None, "no host weights");

        // The top half of every image hidden.
        let mask: Vec<f32> = (0..784).map(|p| if p < 392 { 1.0 } else { 0.0 }).collect();
        let mut hidden = vec![0.0; values.len()];
        corrupt::apply_mask(&mut hidden, [1, 28, 28], &mask, 1.0).unwrap();
        let by_host = inpaint_on_host(&hosted, &values, &hidden, 3).expect("a host pass");
        close(
            &by_host,
            &block_on(ae.inpaint(&images, &mask, 3)).unwrap(),
            "inpaint",
        );
        for (i, (got, known)) in by_host.iter().zip(&values).enumerate() {
            if i % 784 >= 392 {
                assert_eq!(got.to_bits(), known.to_bits(), "known pixel {i}");
            } else {
                assert_ne!(got, known, "hidden pixel {i} kept its value");
            }
        }
    }

    #[test]
    fn interpolation_hits_both_ends_and_slerp_keeps_the_norm_of_equal_norm_codes() {
        let (a, b) = ([1.0, 0.0], [0.0, 1.0]);
        assert_eq!(interpolate_codes(&a, &b, 0.0, false), vec![1.0, 0.0]);
        assert_eq!(interpolate_codes(&a, &b, 1.0, false), vec![0.0, 1.0]);
        let mid = interpolate_codes(&a, &b, 0.5, true);
        assert!(
            ((mid[0] * mid[0] + mid[1] * mid[1]).sqrt() - 1.0).abs() < 1e-6,
            "{mid:?}"
        );
        let lin = interpolate_codes(&a, &b, 0.5, false);
        assert!((lin[0] - 0.5).abs() < 1e-6);
    }
}

//! The autoencoder network: a dense encoder and a mirrored dense decoder.
//!
//! Weights are initialised from our own seeded generator (PyTorch's default for `nn.Linear`:
//! U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weights and biases), so that a seed gives the same
//! network on every backend.

use burn::module::{Module, Param};
use burn::nn::Linear;
use burn::tensor::activation::{relu, sigmoid};
use burn::tensor::{Device, Tensor, TensorData};

use crate::config::ModelConfig;
use crate::rng::SeededRng;

/// A dense autoencoder: `input -> hidden... -> latent -> ...hidden -> input`.
#[derive(Module, Debug)]
pub struct AutoencoderNet {
    encoder: Vec<Linear>,
    decoder: Vec<Linear>,
}

/// What a forward pass yields; the objective picks what it needs.
pub struct ForwardOutput {
    /// `[batch, latent]`
    pub code: Tensor<2>,
    /// Pre-sigmoid reconstruction, `[batch, input]`.
    pub logits: Tensor<2>,
}

fn dense(fan_in: usize, fan_out: usize, rng: &mut SeededRng, device: &Device) -> Linear {
    let bound = 1.0 / (fan_in as f32).sqrt();
    let weight: Vec<f32> = (0..fan_in * fan_out).map(|_| rng.uniform(-bound, bound)).collect();
    let bias: Vec<f32> = (0..fan_out).map(|_| rng.uniform(-bound, bound)).collect();
    Linear {
        // burn's row layout: weight is [fan_in, fan_out], forward is x @ W + b.
        weight: Param::from_data(TensorData::new(weight, [fan_in, fan_out]), device),
        bias: Some(Param::from_data(TensorData::new(bias, [fan_out]), device)),
    }
}

impl AutoencoderNet {
    /// Build the network for a validated config.
    pub fn new(config: &ModelConfig, seed: u64, device: &Device) -> Self {
        let mut rng = SeededRng::new(seed);
        let mut widths = vec![config.input_size()];
        widths.extend(&config.hidden);
        widths.push(config.latent);
        let encoder = widths.windows(2).map(|w| dense(w[0], w[1], &mut rng, device)).collect();
        let decoder = widths.iter().rev().collect::<Vec<_>>().windows(2).map(|w| dense(*w[0], *w[1], &mut rng, device)).collect();
        AutoencoderNet { encoder, decoder }
    }

    /// `[batch, input] -> [batch, latent]`. Hidden layers use ReLU; the code is linear.
    pub fn encode(&self, x: Tensor<2>) -> Tensor<2> {
        let last = self.encoder.len() - 1;
        self.encoder.iter().enumerate().fold(x, |h, (i, layer)| {
            let h = layer.forward(h);
            if i < last { relu(h) } else { h }
        })
    }

    /// `[batch, latent] -> [batch, input]`, before the output sigmoid.
    pub fn decode_logits(&self, code: Tensor<2>) -> Tensor<2> {
        let last = self.decoder.len() - 1;
        self.decoder.iter().enumerate().fold(code, |h, (i, layer)| {
            let h = layer.forward(h);
            if i < last { relu(h) } else { h }
        })
    }

    /// `[batch, latent] -> [batch, input]`, pixel values in (0, 1).
    pub fn decode(&self, code: Tensor<2>) -> Tensor<2> {
        sigmoid(self.decode_logits(code))
    }

    pub fn forward(&self, x: Tensor<2>) -> ForwardOutput {
        let code = self.encode(x); // [batch, latent]
        let logits = self.decode_logits(code.clone()); // [batch, input]
        ForwardOutput { code, logits }
    }
}

//! The autoencoder network, dense or convolutional, for every kind in the family.
//!
//! Encoder: [strided 4x4 convolutions, ReLU] -> flatten -> dense hidden layers (ReLU) -> code.
//! Decoder: the mirror image, ending in logits (the output sigmoid lives in `decode`).
//! Weights are initialised from our own seeded generator with PyTorch's defaults
//! (U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weights and biases), so a seed gives the same network
//! on every backend, and so that reference numbers from PyTorch are comparable.

use burn::module::{Module, Param};
use burn::nn::Linear;
use burn::tensor::activation::{relu, sigmoid};
use burn::tensor::module::{conv_transpose2d, conv2d};
use burn::tensor::ops::{ConvOptions, ConvTransposeOptions};
use burn::tensor::{Device, Tensor, TensorData};

use crate::config::{Kind, ModelConfig};
use crate::rng::SeededRng;

const KERNEL: usize = 4;

/// What the code layer applies after its linear map.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeActivation {
    Linear,
    Relu,
    Sigmoid,
}

impl CodeActivation {
    pub fn for_kind(kind: Kind) -> Self {
        match kind {
            Kind::SparseL1 => CodeActivation::Relu,
            // KL sparsity is defined on activations in (0, 1).
            Kind::SparseKl => CodeActivation::Sigmoid,
            _ => CodeActivation::Linear,
        }
    }

    fn apply<const D: usize>(self, x: Tensor<D>) -> Tensor<D> {
        match self {
            CodeActivation::Linear => x,
            CodeActivation::Relu => relu(x),
            CodeActivation::Sigmoid => sigmoid(x),
        }
    }
}

/// A convolution or transposed convolution's parameters.
#[derive(Module, Debug)]
pub struct ConvLayer {
    /// conv: `[out, in, k, k]`; transposed: `[in, out, k, k]`.
    weight: Param<Tensor<4>>,
    bias: Param<Tensor<1>>,
}

/// Shapes and switches derived from the config; not parameters.
#[derive(Debug, Clone)]
pub struct Plan {
    /// `[c, h, w]` before each convolution and after the last one.
    conv_shapes: Vec<[usize; 3]>,
    code: CodeActivation,
    variational: bool,
    latent: usize,
    /// Affine map applied to the code as the decoder reads it: `(code - shift) * scale`.
    code_input: (f32, f32),
}

#[derive(Module, Debug)]
pub struct AutoencoderNet {
    enc_convs: Vec<ConvLayer>,
    enc_dense: Vec<Linear>,
    dec_dense: Vec<Linear>,
    dec_convs: Vec<ConvLayer>,
    /// VAE with a learned Gaussian decoder: log sigma, `[1]`.
    log_scale: Option<Param<Tensor<1>>>,
    #[module(skip)]
    plan: Plan,
}

/// The encoder's view of a batch.
pub struct Encoded {
    /// Pre-activations of each dense encoder layer (the last one is the code's), `[batch, width]`.
    pub pre_activations: Vec<Tensor<2>>,
    /// Post-ReLU activations of the dense hidden layers, `[batch, width]`.
    pub hidden: Vec<Tensor<2>>,
    /// The code (for a VAE: the mean), `[batch, latent]`.
    pub code: Tensor<2>,
    /// VAE only: log-variance of q(z|x), `[batch, latent]`.
    pub log_var: Option<Tensor<2>>,
}

/// `n` initial weights: uniform in [-bound, bound) from `rng`, or zeros without one (for a
/// network whose weights are about to be replaced by a checkpoint's).
fn uniform(n: usize, bound: f32, rng: &mut Option<SeededRng>) -> Vec<f32> {
    match rng {
        Some(rng) => (0..n).map(|_| rng.uniform(-bound, bound)).collect(),
        None => vec![0.0; n],
    }
}

fn dense(fan_in: usize, fan_out: usize, rng: &mut Option<SeededRng>, device: &Device) -> Linear {
    let bound = 1.0 / (fan_in as f32).sqrt();
    Linear {
        // burn's row layout: weight is [fan_in, fan_out], forward is x @ W + b.
        weight: Param::from_data(
            TensorData::new(uniform(fan_in * fan_out, bound, rng), [fan_in, fan_out]),
            device,
        ),
        bias: Some(Param::from_data(
            TensorData::new(uniform(fan_out, bound, rng), [fan_out]),
            device,
        )),
    }
}

fn conv(
    shape: [usize; 4],
    fan_in: usize,
    bias: usize,
    rng: &mut Option<SeededRng>,
    device: &Device,
) -> ConvLayer {
    let bound = 1.0 / (fan_in as f32).sqrt();
    ConvLayer {
        weight: Param::from_data(
            TensorData::new(uniform(shape.iter().product(), bound, rng), shape),
            device,
        ),
        bias: Param::from_data(TensorData::new(uniform(bias, bound, rng), [bias]), device),
    }
}

impl AutoencoderNet {
    /// Build the network for a validated config, its weights drawn with `seed`.
    pub fn new(config: &ModelConfig, seed: u64, device: &Device) -> Self {
        Self::build(config, Some(SeededRng::new(seed)), device)
    }

    /// The network for a validated config with zero weights, to be replaced by a checkpoint's
    /// (drawing random ones first was about a third of the time `load` took).
    pub(crate) fn zeroed(config: &ModelConfig, device: &Device) -> Self {
        Self::build(config, None, device)
    }

    fn build(config: &ModelConfig, mut rng: Option<SeededRng>, device: &Device) -> Self {
        let conv_shapes = config.conv_shapes();
        let variational = config.kind == Kind::Variational;

        let enc_convs = conv_shapes
            .windows(2)
            .map(|w| {
                let (cin, cout) = (w[0][0], w[1][0]);
                conv(
                    [cout, cin, KERNEL, KERNEL],
                    cin * KERNEL * KERNEL,
                    cout,
                    &mut rng,
                    device,
                )
            })
            .collect();

        let mut widths = vec![config.flat_size()];
        widths.extend(&config.hidden);
        let code_width = if variational {
            2 * config.latent
        } else {
            config.latent
        };
        let mut enc_dense: Vec<Linear> = widths
            .iter()
            .copied()
            .chain([code_width])
            .collect::<Vec<_>>()
            .windows(2)
            .map(|w| dense(w[0], w[1], &mut rng, device))
            .collect();
        if config.kind == Kind::SparseKl {
            // Start every sigmoid code unit at the target activation rho (bias = logit(rho)), so
            // training begins sparse instead of first having to silence units firing at 0.5.
            let rho = config.sparsity_target;
            let code = enc_dense.last_mut().expect("at least the code layer");
            code.bias = Some(Param::from_data(
                TensorData::new(vec![(rho / (1.0 - rho)).ln(); code_width], [code_width]),
                device,
            ));
        }

        let dec_widths: Vec<usize> = std::iter::once(config.latent)
            .chain(widths.iter().rev().copied())
            .collect();
        let dec_dense = dec_widths
            .windows(2)
            .map(|w| dense(w[0], w[1], &mut rng, device))
            .collect();

        // Transposed convolutions, deepest first: [in, out, k, k], PyTorch's fan_in is out * k * k.
        let dec_convs = conv_shapes
            .windows(2)
            .rev()
            .map(|w| {
                let (cout, cin) = (w[0][0], w[1][0]);
                conv(
                    [cin, cout, KERNEL, KERNEL],
                    cout * KERNEL * KERNEL,
                    cout,
                    &mut rng,
                    device,
                )
            })
            .collect();

        let log_scale = (variational
            && config.gaussian_scale.is_none()
            && config.loss == crate::config::ReconstructionLoss::Mse)
            .then(|| Param::from_data(TensorData::new(vec![0.0f32], [1]), device));

        // A sparse sigmoid code sits near rho with spread sqrt(rho (1 - rho)); the decoder reads it
        // standardised, which conditions its first layer like a unit-scale input.
        let code_input = if config.kind == Kind::SparseKl {
            let rho = config.sparsity_target;
            (rho, 1.0 / (rho * (1.0 - rho)).sqrt())
        } else {
            (0.0, 1.0)
        };
        let plan = Plan {
            conv_shapes,
            code: CodeActivation::for_kind(config.kind),
            variational,
            latent: config.latent,
            code_input,
        };
        AutoencoderNet {
            enc_convs,
            enc_dense,
            dec_dense,
            dec_convs,
            log_scale,
            plan,
        }
    }

    pub fn is_conv(&self) -> bool {
        !self.enc_convs.is_empty()
    }

    pub fn code_activation(&self) -> CodeActivation {
        self.plan.code
    }

    /// The dense encoder layers, input side first (for the exact contractive penalty).
    pub fn encoder_dense(&self) -> &[Linear] {
        &self.enc_dense
    }

    /// Learned log sigma of a Gaussian VAE decoder, `[1]`.
    pub fn log_scale(&self) -> Option<Tensor<1>> {
        self.log_scale.as_ref().map(|p| p.val())
    }

    /// `[batch, input] -> Encoded`.
    pub fn encode_full(&self, x: Tensor<2>) -> Encoded {
        let batch = x.dims()[0];
        let mut h = x;
        if self.is_conv() {
            let [c, hh, ww] = self.plan.conv_shapes[0];
            let mut fm: Tensor<4> = h.reshape([batch, c, hh, ww]); // [batch, c, h, w]
            for layer in &self.enc_convs {
                let options = ConvOptions::new([2, 2], [1, 1], [1, 1], 1);
                fm = relu(conv2d(
                    fm,
                    layer.weight.val(),
                    Some(layer.bias.val()),
                    options,
                )); // [batch, c', h/2, w/2]
            }
            h = fm.flatten(1, 3); // [batch, flat]
        }
        let last = self.enc_dense.len() - 1;
        let mut pre_activations = Vec::with_capacity(self.enc_dense.len());
        let mut hidden = Vec::with_capacity(last);
        for (i, layer) in self.enc_dense.iter().enumerate() {
            let a = layer.forward(h);
            pre_activations.push(a.clone());
            if i < last {
                h = relu(a);
                hidden.push(h.clone());
            } else {
                h = a;
            }
        }
        if self.plan.variational {
            let latent = self.plan.latent;
            let mu = h.clone().narrow(1, 0, latent); // [batch, latent]
            let log_var = h.narrow(1, latent, latent); // [batch, latent]
            Encoded {
                pre_activations,
                hidden,
                code: mu,
                log_var: Some(log_var),
            }
        } else {
            Encoded {
                pre_activations,
                hidden,
                code: self.plan.code.apply(h),
                log_var: None,
            }
        }
    }

    /// `[batch, input] -> [batch, latent]` (a VAE's mean code).
    pub fn encode(&self, x: Tensor<2>) -> Tensor<2> {
        self.encode_full(x).code
    }

    /// `[batch, latent] -> [batch, input]`, before the output sigmoid.
    pub fn decode_logits(&self, code: Tensor<2>) -> Tensor<2> {
        let batch = code.dims()[0];
        let conv = self.is_conv();
        let last = self.dec_dense.len() - 1;
        let (shift, scale) = self.plan.code_input;
        let mut h = if scale == 1.0 && shift == 0.0 {
            code
        } else {
            code.sub_scalar(shift).mul_scalar(scale)
        };
        for (i, layer) in self.dec_dense.iter().enumerate() {
            h = layer.forward(h);
            // The last dense layer is linear for a dense net; it feeds ReLU convs otherwise.
            if i < last || conv {
                h = relu(h);
            }
        }
        if !conv {
            return h;
        }
        let shapes = &self.plan.conv_shapes;
        let [c, hh, ww] = *shapes.last().expect("non-empty");
        let mut fm: Tensor<4> = h.reshape([batch, c, hh, ww]); // [batch, c, h, w]
        let n = self.dec_convs.len();
        for (i, layer) in self.dec_convs.iter().enumerate() {
            // Undo layer `n - 1 - i`: out = 2 * in, plus one where the encoder floored an odd size.
            let [_, in_h, in_w] = shapes[n - i];
            let [_, out_h, out_w] = shapes[n - 1 - i];
            let options = ConvTransposeOptions::new(
                [2, 2],
                [1, 1],
                [out_h - 2 * in_h, out_w - 2 * in_w],
                [1, 1],
                1,
            );
            fm = conv_transpose2d(fm, layer.weight.val(), Some(layer.bias.val()), options);
            if i + 1 < n {
                fm = relu(fm);
            }
        }
        fm.flatten(1, 3) // [batch, input]
    }

    /// `[batch, latent] -> [batch, input]`, pixel values in (0, 1).
    pub fn decode(&self, code: Tensor<2>) -> Tensor<2> {
        sigmoid(self.decode_logits(code))
    }
}

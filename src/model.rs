//! The autoencoder network, dense or convolutional, for every kind in the family.
//!
//! Encoder: [strided 4x4 convolutions, ReLU] -> flatten -> dense hidden layers (ReLU) -> code.
//! Decoder: the mirror image, ending in logits (the output sigmoid lives in `decode`).
//! Weights are initialised from our own seeded generator with PyTorch's defaults
//! (U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weights and biases), so a seed gives the same network
//! on every backend, and so that reference numbers from PyTorch are comparable.

use std::sync::Arc;

use burn::module::{Module, Param, ParamId};
use burn::nn::Linear;
use burn::tensor::activation::{relu, sigmoid};
use burn::tensor::module::{conv_transpose2d, conv2d};
use burn::tensor::ops::{ConvOptions, ConvTransposeOptions};
use burn::tensor::{Device, Shape, Tensor, TensorData};

use crate::config::{Kind, ModelConfig};
use crate::matmul::{HOST_MIN_ROWS, PackedAffine};
use crate::rng::SeededRng;
use crate::tensor::{FlexValues, matrix, sigmoid_in_place};

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
    /// Packed weights for the host kernel: set only on a copy made for inference
    /// (`with_host_weights`), never on the net that trains.
    #[module(skip)]
    host: Option<Arc<HostWeights>>,
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

/// A parameter of `shape` with initial weights uniform in [-bound, bound) from `rng`. Without
/// one (a network whose weights a checkpoint is about to replace) it is lazily zero: nothing is
/// allocated unless it is read before it is replaced. Allocating and copying zeros first was
/// about 9 ms of loading the pretrained 784-256-20 VAE in Chromium, the first page's wait.
fn initial<const D: usize>(
    shape: [usize; D],
    bound: f32,
    rng: &mut Option<SeededRng>,
    device: &Device,
) -> Param<Tensor<D>> {
    match rng {
        Some(rng) => {
            let n = shape.iter().product();
            let values: Vec<f32> = (0..n).map(|_| rng.uniform(-bound, bound)).collect();
            Param::from_data(TensorData::new(values, shape), device)
        }
        None => Param::uninitialized(
            ParamId::new(),
            move |device, require_grad| Tensor::zeros(shape, device).set_require_grad(require_grad),
            device.clone(),
            true,
            Shape::new(shape),
        ),
    }
}

fn dense(fan_in: usize, fan_out: usize, rng: &mut Option<SeededRng>, device: &Device) -> Linear {
    let bound = 1.0 / (fan_in as f32).sqrt();
    Linear {
        // burn's row layout: weight is [fan_in, fan_out], forward is x @ W + b.
        weight: initial([fan_in, fan_out], bound, rng, device),
        bias: Some(initial([fan_out], bound, rng, device)),
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
        weight: initial(shape, bound, rng, device),
        bias: initial([bias], bound, rng, device),
    }
}

/// The dense layers' weights packed for the host kernel (`matmul`), encoder then decoder,
/// input side first: what CPU inference in the browser multiplies with. Built from one state of
/// the weights; whoever holds it must drop it when they change (`Autoencoder` does).
#[derive(Debug)]
pub struct HostWeights {
    encoder: Vec<PackedAffine>,
    decoder: Vec<PackedAffine>,
}

/// `layer`'s affine map `x @ W + b`, `[batch, in] -> [batch, out]`: by the host kernel when the
/// net carries packed weights (`packed`), the batch has `HOST_MIN_ROWS` rows or more, records no
/// gradient (not autodiff) and can be read at once (Flex); on WebGPU by this crate's kernels
/// (`device_matmul`); under autodiff on Flex (training) by `fused::affine`; else by burn.
fn affine(layer: &Linear, packed: Option<&PackedAffine>, x: Tensor<2>) -> Tensor<2> {
    let [rows, _] = x.dims();
    let device = x.device();
    if let Some(packed) = packed
        && rows >= HOST_MIN_ROWS
        && !device.is_autodiff()
        && let Some(values) = FlexValues::of(&x)
    {
        let [_, n] = layer.weight.dims();
        return matrix(packed.affine(values.as_slice()), rows, n, &device); // [rows, n]
    }
    // On WebGPU, the product by this crate's kernels (burn's ran at a tenth of their speed on a
    // software adapter: src/device_matmul.rs).
    #[cfg(all(target_arch = "wasm32", feature = "webgpu"))]
    if let Some(product) = crate::device_matmul::product(&x, &layer.weight.val()) {
        return match &layer.bias {
            Some(bias) => product + bias.val().unsqueeze_dim(0), // [rows, n]
            None => product,
        };
    }
    // Training on the CPU (after WebGPU, whose steps need not try it): one operation whose
    // products split over the threads natively (src/fused/affine.rs).
    if device.is_autodiff()
        && let Some(bias) = &layer.bias
        && let Some(output) = crate::fused::affine(&x, &layer.weight.val(), &bias.val())
    {
        return output; // [rows, n]
    }
    layer.forward(x)
}

/// Dense layers applied in turn on the host, `[rows, in] -> [rows, out]` flattened, each output
/// feeding the next as it is; ReLU after every layer but the last, and after the last too with
/// `relu_last`. `layers` is not empty.
fn host_chain(layers: &[PackedAffine], x: &[f32], relu_last: bool) -> Vec<f32> {
    let last = layers.len() - 1;
    let layer = |i: usize, input: &[f32]| {
        if i < last || relu_last {
            layers[i].affine_relu(input)
        } else {
            layers[i].affine(input)
        }
    };
    let first = layer(0, x);
    (1..layers.len()).fold(first, |h, i| layer(i, &h))
}

/// `layer` packed for the host kernel, its weights read in place.
fn pack(layer: &Linear) -> Option<PackedAffine> {
    let [k, n] = layer.weight.dims();
    let bias = match &layer.bias {
        Some(bias) => Some(FlexValues::of(&bias.val())?),
        None => None,
    };
    let weight = FlexValues::of(&layer.weight.val())?;
    Some(PackedAffine::new(
        weight.as_slice(),
        k,
        n,
        bias.as_ref().map(FlexValues::as_slice),
    ))
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
            host: None,
        }
    }

    /// This net's dense weights packed for the host kernel, if they are Flex tensors (natively
    /// only tests use it: burn's own kernels are faster there).
    pub fn host_weights(&self) -> Option<HostWeights> {
        let pack_all = |layers: &[Linear]| layers.iter().map(pack).collect::<Option<Vec<_>>>();
        Some(HostWeights {
            encoder: pack_all(&self.enc_dense)?,
            decoder: pack_all(&self.dec_dense)?,
        })
    }

    /// This net, multiplying by `host`'s packed weights on the host for large enough batches.
    /// `host` must come from this net's current weights.
    pub fn with_host_weights(mut self, host: Arc<HostWeights>) -> Self {
        self.host = Some(host);
        self
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
            let a = affine(layer, self.host.as_ref().map(|w| &w.encoder[i]), h);
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
            h = affine(layer, self.host.as_ref().map(|w| &w.decoder[i]), h);
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

    /// This (Flex) net carrying its own weights packed for the host (tests).
    #[cfg(test)]
    pub(crate) fn hosted(&self) -> Self {
        let host = self
            .host_weights()
            .expect("a Flex net's weights read at once");
        self.clone().with_host_weights(Arc::new(host))
    }

    /// The host weights of a dense net; a convolutional one runs its convolutions in burn.
    fn dense_host_weights(&self) -> Option<&HostWeights> {
        self.host.as_deref().filter(|_| !self.is_conv())
    }

    /// Whether `encode_on_host` and `decode_logits_on_host` run (a dense net with host weights).
    pub fn has_host_pass(&self) -> bool {
        self.dense_host_weights().is_some()
    }

    /// `encode` run wholly on the host, for a dense net carrying host weights (`None` for any
    /// other): `[rows, input]` flattened `-> [rows, latent]` flattened. The same arithmetic as
    /// `encode` with the host kernel on every layer, without a tensor between layers (their
    /// reads and copies were about 5% of a CPU `reconstruct`) and with the ReLUs applied to the
    /// kernel's tiles.
    pub fn encode_on_host(&self, x: &[f32]) -> Option<Vec<f32>> {
        let host = self.dense_host_weights()?;
        let variational = self.plan.variational;
        let code = self.plan.code;
        let mut h = host_chain(
            &host.encoder,
            x,
            !variational && code == CodeActivation::Relu,
        );
        if variational {
            // [rows, 2 * latent], means first -> [rows, latent]
            let latent = self.plan.latent;
            return Some(
                h.chunks_exact(2 * latent)
                    .flat_map(|row| &row[..latent])
                    .copied()
                    .collect(),
            );
        }
        if code == CodeActivation::Sigmoid {
            sigmoid_in_place(&mut h);
        }
        Some(h)
    }

    /// `decode_logits` run wholly on the host, as `encode_on_host`: `[rows, latent]` flattened
    /// `-> [rows, input]` flattened, before the output sigmoid.
    pub fn decode_logits_on_host(&self, codes: &[f32]) -> Option<Vec<f32>> {
        let host = self.dense_host_weights()?;
        let (shift, scale) = self.plan.code_input;
        if scale == 1.0 && shift == 0.0 {
            return Some(host_chain(&host.decoder, codes, false));
        }
        let scaled: Vec<f32> = codes.iter().map(|c| (c - shift) * scale).collect();
        Some(host_chain(&host.decoder, &scaled, false))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Architecture, Kind, ModelConfig};
    use crate::tensor::read_f32_on_flex;

    fn values<const D: usize>(t: Tensor<D>) -> Vec<f32> {
        read_f32_on_flex(t).expect("a Flex f32 tensor")
    }

    /// A VAE 784-400-(2x20) with its packed weights encodes and decodes as without them, on
    /// batches on each side of the host threshold and one that ends in a partial tile; and only
    /// plain (not autodiff) tensors take the host path.
    #[test]
    fn host_weights_give_burns_outputs_and_skip_autodiff_tensors() {
        let config = ModelConfig {
            kind: Kind::Variational,
            hidden: vec![400],
            latent: 20,
            ..ModelConfig::default()
        };
        let device = Device::flex();
        let net = AutoencoderNet::new(&config, 3, &device);
        let host = Arc::new(net.host_weights().expect("flex weights read"));
        let hosted = net.clone().with_host_weights(host.clone());
        let mut rng = SeededRng::new(11);
        let close = |got: Vec<f32>, want: Vec<f32>, what: &str| assert_close(&got, &want, what);
        for rows in [HOST_MIN_ROWS - 1, HOST_MIN_ROWS, 67] {
            let x: Vec<f32> = (0..rows * 784).map(|_| rng.uniform(0.0, 1.0)).collect();
            let x = matrix(x, rows, 784, &device); // [rows, 784]
            let codes = hosted.encode(x.clone());
            close(
                values(codes.clone()),
                values(net.encode(x.clone())),
                "codes",
            );
            close(
                values(hosted.decode(codes.clone())),
                values(net.decode(codes)),
                "images",
            );
        }
        // The host path on one layer, directly: a product, not burn's, and not for autodiff.
        let layer = &net.enc_dense[0];
        let x = matrix(vec![0.5; HOST_MIN_ROWS * 784], HOST_MIN_ROWS, 784, &device);
        let by_host = values(affine(layer, Some(&host.encoder[0]), x.clone()));
        close(by_host, values(layer.forward(x.clone())), "layer");
        // Taken by the host, the product would be a new leaf, and no gradient would reach x.
        let x = x.autodiff().require_grad();
        let gradients = affine(layer, Some(&host.encoder[0]), x.clone())
            .sum()
            .backward();
        assert!(
            x.grad(&gradients).is_some(),
            "an autodiff batch stays on burn's path"
        );
    }

    /// The whole dense forward pass on the host gives burn's codes and logits for every code
    /// layer the family has (linear, ReLU, sigmoid with its shifted decoder input, a VAE's
    /// means), through two hidden layers and on a batch ending in a partial tile; a
    /// convolutional net runs its convolutions in burn and has no host pass.
    #[test]
    fn the_host_forward_pass_gives_burns_codes_and_logits_for_every_dense_kind() {
        let device = Device::flex();
        let mut rng = SeededRng::new(5);
        let rows = 67;
        let x: Vec<f32> = (0..rows * 784).map(|_| rng.uniform(0.0, 1.0)).collect();
        for kind in [
            Kind::Undercomplete,
            Kind::SparseL1,
            Kind::SparseKl,
            Kind::Variational,
        ] {
            let config = ModelConfig {
                kind,
                hidden: vec![200, 60],
                latent: 12,
                ..ModelConfig::default()
            };
            let net = AutoencoderNet::new(&config, 9, &device);
            let hosted = net.hosted();
            let codes = hosted
                .encode_on_host(&x)
                .expect("a dense net with host weights");
            let want = values(net.encode(matrix(x.clone(), rows, 784, &device)));
            assert_close(&codes, &want, &format!("{kind:?} codes"));
            if kind == Kind::SparseL1 {
                assert!(codes.iter().all(|&c| c >= 0.0) && codes.contains(&0.0));
            }
            let logits = hosted.decode_logits_on_host(&codes).expect("host pass");
            let want = values(net.decode_logits(matrix(codes.clone(), rows, 12, &device)));
            assert_close(&logits, &want, &format!("{kind:?} logits"));
            assert_eq!(
                net.encode_on_host(&x),
                None,
                "no host weights, no host pass"
            );
            assert!(hosted.has_host_pass() && !net.has_host_pass());
        }
        let conv = ModelConfig {
            architecture: Architecture::Conv,
            conv_channels: vec![4],
            hidden: vec![16],
            latent: 4,
            ..ModelConfig::default()
        };
        let net = AutoencoderNet::new(&conv, 1, &device);
        let hosted = net.hosted();
        assert!(!hosted.has_host_pass());
        assert_eq!(hosted.encode_on_host(&x[..784]), None);
        assert_eq!(hosted.decode_logits_on_host(&[0.0; 4]), None);
    }

    fn assert_close(got: &[f32], want: &[f32], what: &str) {
        assert_eq!(got.len(), want.len(), "{what}");
        let worst = got
            .iter()
            .zip(want)
            .map(|(g, w)| (g - w).abs())
            .fold(0.0f32, f32::max);
        assert!(worst < 1e-5, "{what}: off by {worst}");
    }

    /// A net built to receive a checkpoint's weights allocates none of its own: its parameters
    /// stay uninitialised until read, and read as zeros.
    #[test]
    fn a_zeroed_net_allocates_no_weights_until_they_are_read() {
        let config = ModelConfig {
            hidden: vec![16],
            latent: 4,
            ..ModelConfig::default()
        };
        let net = AutoencoderNet::zeroed(&config, &Device::flex());
        let layer = &net.enc_dense[0];
        assert!(!layer.weight.is_initialized());
        assert!(!layer.bias.as_ref().expect("a bias").is_initialized());
        assert!(values(layer.weight.val()).iter().all(|&v| v == 0.0));
        assert!(layer.weight.is_initialized());
        assert!(
            !net.dec_dense[0].weight.is_initialized(),
            "only what was read"
        );
    }
}

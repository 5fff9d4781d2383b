//! A versioned byte format for a trained model: magic, format version, config (JSON), weights,
//! the fitted code distribution, and a CRC-32 over everything before it.
//!
//! Layout (little-endian):
//! ```text
//! b"AEMODEL\0" | u32 version | u32 config_len | config JSON
//! | u32 tensor_count | per tensor: u32 rank, rank x u32 dims, f32 values
//! | u8 has_codes | [latent x f32 mean, latent x f32 std] | u32 crc32
//! ```
//! Loading never trusts a size from the file. The config is parsed (it is at most
//! `MAX_CONFIG_BYTES`) and validated, the tensor shapes the network it describes must have are
//! computed from it, and the whole file is then checked against them (every header, every length
//! against the bytes that remain, every value finite) before anything is built or allocated. So a
//! file can only make the loader allocate what its own bytes hold: a length field claiming 4 GB in
//! a 2 kB file is an error, not a 4 GB allocation. Every failure is `AeError::CorruptCheckpoint`
//! with a message that says what is wrong; nothing in here panics on any input
//! (`tests/checkpoint_fuzz.rs` holds it to that).

use std::collections::VecDeque;

use burn::module::{Module, ModuleMapper, ModuleVisitor, Param};
use burn::tensor::{Device, Tensor, TensorData};

use crate::codes::CodeDistribution;
use crate::config::{Architecture, Kind, MAX_UNITS, ModelConfig, ReconstructionLoss};
use crate::error::{AeError, Result};
use crate::model::AutoencoderNet;
use crate::tensor::read_f32;

pub const MAGIC: &[u8; 8] = b"AEMODEL\0";
pub const FORMAT_VERSION: u32 = 1;
const MAX_CONFIG_BYTES: usize = 64 * 1024;
/// The smallest well-formed file: magic, version, config length, tensor count, code flag, CRC.
const MIN_LEN: usize = MAGIC.len() + 4 + 4 + 4 + 1 + 4;
/// Convolution kernels are the highest-rank weights (4). A file's rank beyond this is not read.
const MAX_RANK: usize = 4;
/// Kernel side of every convolution (see `model`).
const KERNEL: usize = 4;

/// The parts of a saved model.
pub struct Checkpoint {
    pub config: ModelConfig,
    pub net: AutoencoderNet,
    pub codes: Option<CodeDistribution>,
}

/// Collects every float parameter, flattened, with its shape, in module order.
struct Collect(Vec<(Vec<usize>, Tensor<1>)>);

impl ModuleVisitor for Collect {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        let value = param.val();
        let shape = value.dims().to_vec();
        let n = shape.iter().product::<usize>();
        self.0.push((shape, value.reshape([n])));
    }
}

/// Parameter paths (`enc_dense.0.weight`) and shapes of a network, in module order. Reads no
/// tensor data.
#[derive(Default)]
struct Shapes {
    path: Vec<String>,
    found: Vec<(String, Vec<usize>)>,
}

impl ModuleVisitor for Shapes {
    fn enter_module(&mut self, name: &str, _container_type: &str) {
        self.path.push(name.to_string());
    }

    fn exit_module(&mut self, _name: &str, _container_type: &str) {
        self.path.pop();
    }

    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        self.found
            .push((self.path.join("."), param.lazy_shape().dims::<D>().to_vec()));
    }
}

/// Replaces every float parameter, in module order, with the loaded values. The shapes were
/// checked against the network beforehand; were one missing, the parameter is left as it is and
/// `short` is set (never a panic).
struct Load {
    tensors: VecDeque<(Vec<usize>, Vec<f32>)>,
    short: bool,
}

impl ModuleMapper for Load {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        match self.tensors.pop_front() {
            Some((shape, values)) if shape.len() == D => {
                let device = param.lazy_device();
                Param::from_data(TensorData::new(values, shape), &device)
            }
            _ => {
                self.short = true;
                param
            }
        }
    }
}

/// The name (module path) and shape of every weight tensor of the network `config` describes,
/// in the order `save` writes them, computed from the config alone: `load` checks a file against
/// these before it builds anything. Mirrors `AutoencoderNet::new`; `load` also compares them to
/// the network it builds, and a unit test does for every kind. `None` when a size overflows.
fn expected_tensors(config: &ModelConfig) -> Option<Vec<(String, Vec<usize>)>> {
    let mut out = Vec::new();
    let shapes = config.conv_shapes();
    for (i, w) in shapes.windows(2).enumerate() {
        let (cin, cout) = (w[0][0], w[1][0]);
        out.push((
            format!("enc_convs.{i}.weight"),
            vec![cout, cin, KERNEL, KERNEL],
        ));
        out.push((format!("enc_convs.{i}.bias"), vec![cout]));
    }
    let flat = shapes
        .last()?
        .iter()
        .try_fold(1usize, |a, &d| a.checked_mul(d))?;
    let mut widths = vec![flat];
    widths.extend(&config.hidden);
    let code = if config.kind == Kind::Variational {
        config.latent.checked_mul(2)?
    } else {
        config.latent
    };
    let encoder: Vec<usize> = widths.iter().copied().chain([code]).collect();
    for (i, w) in encoder.windows(2).enumerate() {
        out.push((format!("enc_dense.{i}.weight"), vec![w[0], w[1]]));
        out.push((format!("enc_dense.{i}.bias"), vec![w[1]]));
    }
    let decoder: Vec<usize> = std::iter::once(config.latent)
        .chain(widths.iter().rev().copied())
        .collect();
    for (i, w) in decoder.windows(2).enumerate() {
        out.push((format!("dec_dense.{i}.weight"), vec![w[0], w[1]]));
        out.push((format!("dec_dense.{i}.bias"), vec![w[1]]));
    }
    for (i, w) in shapes.windows(2).rev().enumerate() {
        let (cout, cin) = (w[0][0], w[1][0]);
        out.push((
            format!("dec_convs.{i}.weight"),
            vec![cin, cout, KERNEL, KERNEL],
        ));
        out.push((format!("dec_convs.{i}.bias"), vec![cout]));
    }
    if config.kind == Kind::Variational
        && config.gaussian_scale.is_none()
        && config.loss == ReconstructionLoss::Mse
    {
        out.push(("log_scale".to_string(), vec![1]));
    }
    // Every size must be computable without overflow (on wasm32 too).
    out.iter()
        .try_fold(0usize, |total, (_, s)| {
            total.checked_add(s.iter().try_fold(1usize, |a, &d| a.checked_mul(d))?)
        })
        .map(|_| out)
}

/// Serialise a model (reads the weights back from the device, hence async).
pub async fn save(
    config: &ModelConfig,
    net: &AutoencoderNet,
    codes: Option<&CodeDistribution>,
) -> Result<Vec<u8>> {
    let mut params = Collect(Vec::new());
    net.visit(&mut params);
    let config_json = serde_json::to_vec(config)
        .map_err(|e| AeError::Backend(format!("config does not serialise: {e}")))?;
    let mut out = Vec::new();
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    out.extend_from_slice(&(config_json.len() as u32).to_le_bytes());
    out.extend_from_slice(&config_json);
    out.extend_from_slice(&(params.0.len() as u32).to_le_bytes());
    for (shape, tensor) in params.0 {
        out.extend_from_slice(&(shape.len() as u32).to_le_bytes());
        for d in &shape {
            out.extend_from_slice(&(*d as u32).to_le_bytes());
        }
        for v in read_f32(tensor).await? {
            out.extend_from_slice(&v.to_le_bytes());
        }
    }
    match codes {
        None => out.push(0),
        Some(c) => {
            out.push(1);
            for v in c.mean.iter().chain(&c.std) {
                out.extend_from_slice(&v.to_le_bytes());
            }
        }
    }
    let crc = crc32(&out);
    out.extend_from_slice(&crc.to_le_bytes());
    Ok(out)
}

fn corrupt(message: impl Into<String>) -> AeError {
    AeError::CorruptCheckpoint(message.into())
}

/// A cursor over the file's bytes that turns every short read into a clear error. Every length
/// is checked against the bytes that remain before anything is sliced.
struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn remaining(&self) -> usize {
        self.bytes.len().saturating_sub(self.at)
    }

    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8]> {
        let slice = self
            .at
            .checked_add(n)
            .and_then(|end| self.bytes.get(self.at..end))
            .ok_or_else(|| {
                corrupt(format!(
                    "the file ends too early: {what} needs {n} bytes at offset {}, but only {} \
                     remain",
                    self.at,
                    self.remaining()
                ))
            })?;
        self.at += n;
        Ok(slice)
    }

    fn u32(&mut self, what: &str) -> Result<u32> {
        let b = self.take(4, what)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// `n` f32s as raw bytes (no allocation), with the byte count checked for overflow.
    fn f32_bytes(&mut self, n: usize, what: &str) -> Result<&'a [u8]> {
        let len = n.checked_mul(4).ok_or_else(|| {
            corrupt(format!(
                "{what} claims {n} values, more than any file can hold"
            ))
        })?;
        self.take(len, what)
    }
}

fn f32s(bytes: &[u8]) -> impl Iterator<Item = f32> + '_ {
    bytes
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

/// Words for a file that does not start with `MAGIC`: what it starts with, and what it looks like.
fn not_a_model_file(bytes: &[u8]) -> AeError {
    if bytes.is_empty() {
        return corrupt("the file is empty (0 bytes), so it is not an autoencoders model file");
    }
    if MAGIC.starts_with(bytes) {
        return corrupt(format!(
            "the file is cut short: its {} bytes are only the start of an autoencoders model file",
            bytes.len()
        ));
    }
    let head = &bytes[..bytes.len().min(MAGIC.len())];
    let looks_like = [
        (&b"\x89PNG"[..], "a PNG image"),
        (b"\xff\xd8\xff", "a JPEG image"),
        (b"GIF8", "a GIF image"),
        (b"PK\x03\x04", "a zip archive"),
        (b"\x1f\x8b", "a gzip archive"),
        (b"\0asm", "a WebAssembly module"),
        (b"%PDF", "a PDF document"),
    ]
    .iter()
    .find(|(prefix, _)| bytes.starts_with(prefix))
    .map(|(_, what)| *what)
    .or_else(|| {
        // RIFF....WEBP
        (bytes.len() >= 12 && bytes.starts_with(b"RIFF") && &bytes[8..12] == b"WEBP")
            .then_some("a WebP image")
    })
    .or_else(|| {
        let start = &bytes[..bytes.len().min(256)];
        let text = match std::str::from_utf8(start) {
            Ok(s) => s,
            // A multi-byte character cut at the end of the window is still text.
            Err(e) if e.error_len().is_none() => {
                std::str::from_utf8(&start[..e.valid_up_to()]).unwrap_or("\0")
            }
            Err(_) => "\0",
        };
        if text.is_empty() || text.chars().any(|c| c.is_control() && !c.is_whitespace()) {
            None
        } else if text.trim_start().starts_with(['{', '[']) {
            Some("JSON or other text")
        } else {
            Some("text")
        }
    });
    let looks = looks_like.map_or(String::new(), |what| format!(", so it looks like {what}"));
    corrupt(format!(
        "this is not an autoencoders model file (it starts with \"{}\"{looks}); a model file \
         written by save() starts with \"{}\"",
        head.escape_ascii(),
        MAGIC.escape_ascii()
    ))
}

/// The config in a few words, for messages: `variational conv, convChannels [8, 16], hidden
/// [64], latent 8`.
fn describe(config: &ModelConfig) -> String {
    let kind = serde_json::to_value(config.kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_else(|| format!("{:?}", config.kind));
    let [c, h, w] = config.input_shape;
    let conv = match config.architecture {
        Architecture::Dense => "dense".to_string(),
        Architecture::Conv => format!("conv, convChannels {:?}", config.conv_channels),
    };
    format!(
        "{kind} {conv}, input {c}x{h}x{w}, hidden {:?}, latent {}",
        config.hidden, config.latent
    )
}

/// Read tensor `i`'s header and check it against the shape `want` the config gives it. The outer
/// `Err` is a file that ends too early; the inner one says how the shape differs. `Ok(Ok(()))`
/// leaves the reader at the tensor's values.
fn check_header(
    r: &mut Reader,
    i: usize,
    name: &str,
    want: &[usize],
) -> Result<Result<(), String>> {
    let what = format!("tensor {i} (`{name}`)");
    let rank = r.u32(&format!("the rank of {what}"))? as usize;
    if rank != want.len() && rank > MAX_RANK {
        return Ok(Err(format!(
            "{what}: the config expects shape {want:?}, but the file gives it rank {rank}"
        )));
    }
    let mut shape = Vec::with_capacity(rank);
    for _ in 0..rank {
        shape.push(r.u32(&format!("the shape of {what}"))? as usize);
    }
    if shape != want {
        return Ok(Err(format!(
            "{what}: the config expects shape {want:?}, but the file has {shape:?}"
        )));
    }
    Ok(Ok(()))
}

/// Parse and validate a checkpoint, building the network on `device` (an autodiff device to
/// train it further).
pub fn load(bytes: &[u8], device: &Device) -> Result<Checkpoint> {
    if !bytes.starts_with(MAGIC) {
        return Err(not_a_model_file(bytes));
    }
    let cut_short = || {
        corrupt(format!(
            "the file is cut short: {} bytes, fewer than the {MIN_LEN} of the smallest model file",
            bytes.len()
        ))
    };
    let version_bytes = bytes
        .get(MAGIC.len()..MAGIC.len() + 4)
        .ok_or_else(cut_short)?;
    let version = u32::from_le_bytes([
        version_bytes[0],
        version_bytes[1],
        version_bytes[2],
        version_bytes[3],
    ]);
    if version != FORMAT_VERSION {
        let why = if version > FORMAT_VERSION {
            " (a newer autoencoders wrote it, or the file is damaged)"
        } else {
            " (the file is damaged)"
        };
        return Err(corrupt(format!(
            "this file is format version {version}; this version of autoencoders reads version \
             {FORMAT_VERSION}{why}"
        )));
    }
    if bytes.len() < MIN_LEN {
        return Err(cut_short());
    }
    let (body, stored) = bytes.split_at(bytes.len() - 4);
    let stored = u32::from_le_bytes([stored[0], stored[1], stored[2], stored[3]]);
    let computed = crc32(body);
    if computed != stored {
        return Err(corrupt(format!(
            "checksum mismatch: the file ({} bytes) was cut short or altered after it was saved \
             (stored CRC-32 {stored:08x}, contents give {computed:08x})",
            bytes.len()
        )));
    }
    let mut r = Reader {
        bytes: body,
        at: MAGIC.len() + 4,
    };

    // The config: bounded in size, then parsed and validated.
    let config_len = r.u32("the config length")? as usize;
    if config_len > MAX_CONFIG_BYTES {
        return Err(corrupt(format!(
            "the config claims {config_len} bytes, more than the {MAX_CONFIG_BYTES} a config may \
             have"
        )));
    }
    let config: ModelConfig = serde_json::from_slice(r.take(config_len, "the config")?)
        .map_err(|e| corrupt(format!("the config in the file cannot be read: {e}")))?;
    let invalid = |e: AeError| match e {
        AeError::InvalidConfig { field, reason } => corrupt(format!(
            "the config in the file is not valid: `{field}` {reason}"
        )),
        other => corrupt(format!("the config in the file is not valid: {other}")),
    };
    // `validate` multiplies the input shape out; bound it first so that cannot overflow.
    let input_size = config
        .input_shape
        .iter()
        .try_fold(1usize, |a, &d| a.checked_mul(d));
    if input_size.is_none_or(|n| n > MAX_UNITS * 16) {
        return Err(invalid(AeError::config(
            "inputShape",
            format!("{:?} is far larger than any model", config.input_shape),
        )));
    }
    config.validate().map_err(invalid)?;
    let expected = expected_tensors(&config).ok_or_else(|| {
        invalid(AeError::config(
            "hidden",
            "describes a network too large to address",
        ))
    })?;

    // The weights: every header must be the shape the config gives that tensor, and every value
    // must be in the file and finite. Nothing is allocated yet.
    let count = r.u32("the tensor count")? as usize;
    let weights_at = r.at;
    let mismatch = |detail: String| {
        corrupt(format!(
            "the weights do not fit the model's own config ({}): {detail}",
            describe(&config)
        ))
    };
    if count != expected.len() {
        // Say what differs: the first tensor whose shape does not match, else the count.
        for (i, (name, want)) in expected.iter().enumerate().take(count) {
            if let Err(differs) = check_header(&mut r, i, name, want)? {
                return Err(mismatch(format!(
                    "the config describes {} weight tensors and the file holds {count}; the \
                     first that differs is {differs}",
                    expected.len()
                )));
            }
            let n = want.iter().product::<usize>();
            r.f32_bytes(n, &format!("the values of tensor {i} (`{name}`)"))?;
        }
        let rest = match expected.get(count) {
            Some((name, want)) => {
                format!("from tensor {count} (`{name}`, shape {want:?}) on, the file has none")
            }
            None => "the first ones match, the rest are extra".into(),
        };
        return Err(mismatch(format!(
            "the config describes {} weight tensors, but the file says it holds {count}; {rest}",
            expected.len()
        )));
    }
    for (i, (name, want)) in expected.iter().enumerate() {
        check_header(&mut r, i, name, want)?.map_err(mismatch)?;
        let n = want.iter().product::<usize>();
        let values = r.f32_bytes(n, &format!("the values of tensor {i} (`{name}`)"))?;
        if let Some(j) = f32s(values).position(|v| !v.is_finite()) {
            return Err(corrupt(format!(
                "tensor {i} (`{name}`) holds a NaN or infinite weight (value {j} of {n})"
            )));
        }
    }
    let codes_at = r.at;
    let codes = match r.take(1, "the code-statistics flag")?[0] {
        0 => false,
        1 => {
            let what = format!(
                "the code statistics (mean and standard deviation of {} code units)",
                config.latent
            );
            let both = config.latent.saturating_mul(2);
            let values = r.f32_bytes(both, &what)?;
            if f32s(values)
                .enumerate()
                .any(|(j, v)| !v.is_finite() || (j >= config.latent && v < 0.0))
            {
                return Err(corrupt(format!(
                    "{what} hold a NaN, infinite or negative-deviation value"
                )));
            }
            true
        }
        other => {
            return Err(corrupt(format!(
                "the code-statistics flag at offset {codes_at} is {other}, where it must be 0 or 1"
            )));
        }
    };
    if r.remaining() != 0 {
        return Err(corrupt(format!(
            "{} unexpected bytes after the end of the model, at offset {}",
            r.remaining(),
            r.at
        )));
    }

    // The file is sound and holds every weight, so what follows allocates no more than it does.
    let net = AutoencoderNet::zeroed(&config, device);
    let mut built = Shapes::default();
    net.visit(&mut built);
    let same = built.found.len() == expected.len()
        && built
            .found
            .iter()
            .zip(&expected)
            .all(|((_, a), (_, b))| a == b);
    if !same {
        return Err(AeError::Backend(format!(
            "internal error, please report: the network built for this config has tensors {:?}, \
             the checkpoint reader expected {:?}",
            built.found, expected
        )));
    }
    r.at = weights_at;
    let mut tensors = VecDeque::with_capacity(expected.len());
    for (i, (name, want)) in expected.iter().enumerate() {
        check_header(&mut r, i, name, want)?.map_err(mismatch)?;
        let n = want.iter().product::<usize>();
        let values = r.f32_bytes(n, name)?;
        tensors.push_back((want.clone(), f32s(values).collect()));
    }
    let codes = if codes {
        r.at = codes_at + 1;
        let what = "the code statistics";
        let mean = f32s(r.f32_bytes(config.latent, what)?).collect();
        let std = f32s(r.f32_bytes(config.latent, what)?).collect();
        Some(CodeDistribution { mean, std })
    } else {
        None
    };
    let mut load = Load {
        tensors,
        short: false,
    };
    let net = net.map(&mut load);
    if load.short || !load.tensors.is_empty() {
        return Err(AeError::Backend(
            "internal error, please report: the network took a different number of tensors than \
             it has"
                .into(),
        ));
    }
    Ok(Checkpoint { config, net, codes })
}

/// CRC-32 (IEEE 802.3, as in zip and PNG), eight bytes at a time ("slicing by 8"): a page
/// checks a whole model file before its first reconstruction, and bit by bit that took 10 ms for
/// a 1.7 MB model in wasm.
pub fn crc32(bytes: &[u8]) -> u32 {
    let t = &CRC_TABLES;
    let mut crc = 0xFFFF_FFFFu32;
    let mut chunks = bytes.chunks_exact(8);
    for c in &mut chunks {
        let lo = crc ^ u32::from_le_bytes([c[0], c[1], c[2], c[3]]);
        crc = t[7][(lo & 0xFF) as usize]
            ^ t[6][((lo >> 8) & 0xFF) as usize]
            ^ t[5][((lo >> 16) & 0xFF) as usize]
            ^ t[4][(lo >> 24) as usize]
            ^ t[3][c[4] as usize]
            ^ t[2][c[5] as usize]
            ^ t[1][c[6] as usize]
            ^ t[0][c[7] as usize];
    }
    for &b in chunks.remainder() {
        crc = (crc >> 8) ^ t[0][((crc ^ b as u32) & 0xFF) as usize];
    }
    !crc
}

/// `CRC_TABLES[0][b]`: the CRC of byte `b`; `[k][b]`: of `b` followed by `k` zero bytes.
static CRC_TABLES: [[u32; 256]; 8] = crc_tables();

const fn crc_tables() -> [[u32; 256]; 8] {
    let mut t = [[0u32; 256]; 8];
    let mut b = 0;
    while b < 256 {
        let mut crc = b as u32;
        let mut bit = 0;
        while bit < 8 {
            crc = (crc >> 1) ^ (0xEDB8_8320 & (crc & 1).wrapping_neg());
            bit += 1;
        }
        t[0][b] = crc;
        b += 1;
    }
    let mut k = 1;
    while k < 8 {
        let mut b = 0;
        while b < 256 {
            let prev = t[k - 1][b];
            t[k][b] = (prev >> 8) ^ t[0][(prev & 0xFF) as usize];
            b += 1;
        }
        k += 1;
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32_matches_the_standard_check_value() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(crc32(b""), 0);
    }

    #[test]
    fn crc32_eight_bytes_at_a_time_matches_the_bit_by_bit_definition() {
        let bitwise = |bytes: &[u8]| {
            let mut crc = 0xFFFF_FFFFu32;
            for &b in bytes {
                crc ^= b as u32;
                for _ in 0..8 {
                    crc = (crc >> 1) ^ (0xEDB8_8320 & (crc & 1).wrapping_neg());
                }
            }
            !crc
        };
        let mut rng = crate::rng::SeededRng::new(5);
        let bytes: Vec<u8> = (0..10_000).map(|_| rng.below(256) as u8).collect();
        // Every length around the 8-byte steps, and every start offset (unaligned slices).
        for len in (0..40).chain([1000, 9_993, 10_000]) {
            for start in 0..8 {
                let slice = &bytes[start..(start + len).min(bytes.len())];
                assert_eq!(crc32(slice), bitwise(slice), "len {len}, start {start}");
            }
        }
    }

    fn message(bytes: &[u8]) -> String {
        match load(bytes, &Device::flex().autodiff()) {
            Err(AeError::CorruptCheckpoint(m)) => m,
            Err(e) => panic!("expected CorruptCheckpoint, got {e:?}"),
            Ok(_) => panic!("accepted"),
        }
    }

    fn config(kind: Kind, architecture: Architecture) -> ModelConfig {
        ModelConfig {
            kind,
            architecture,
            input_shape: [1, 16, 16],
            conv_channels: vec![4, 8],
            hidden: vec![24],
            latent: 3,
            ..Default::default()
        }
    }

    #[cfg(not(target_arch = "wasm32"))]
    fn saved(config: &ModelConfig) -> Vec<u8> {
        let net = AutoencoderNet::new(config, 1, &Device::flex().autodiff());
        pollster::block_on(save(config, &net, None)).unwrap()
    }

    /// `(config JSON, the rest up to the code flag)` of a saved file.
    #[cfg(not(target_arch = "wasm32"))]
    fn parts(bytes: &[u8]) -> (&[u8], &[u8]) {
        let len = u32::from_le_bytes(bytes[12..16].try_into().unwrap()) as usize;
        (&bytes[16..16 + len], &bytes[16 + len..bytes.len() - 5])
    }

    /// A well-formed file (valid checksum, no code statistics) from its parts.
    #[cfg(not(target_arch = "wasm32"))]
    fn assemble(version: u32, config: &[u8], weights: &[u8]) -> Vec<u8> {
        let mut out = MAGIC.to_vec();
        out.extend_from_slice(&version.to_le_bytes());
        out.extend_from_slice(&(config.len() as u32).to_le_bytes());
        out.extend_from_slice(config);
        out.extend_from_slice(weights);
        out.push(0);
        let crc = crc32(&out);
        out.extend_from_slice(&crc.to_le_bytes());
        out
    }

    #[test]
    fn expected_tensors_name_and_shape_the_network_that_is_built() {
        let mut configs = Vec::new();
        for architecture in [Architecture::Dense, Architecture::Conv] {
            for kind in Kind::ALL {
                configs.push(config(kind, architecture));
            }
            for gaussian_scale in [None, Some(0.5)] {
                configs.push(ModelConfig {
                    loss: ReconstructionLoss::Mse,
                    gaussian_scale,
                    hidden: vec![],
                    input_shape: [3, 8, 12],
                    conv_channels: vec![5],
                    ..config(Kind::Variational, architecture)
                });
            }
        }
        for config in configs {
            config.validate().unwrap();
            let net = AutoencoderNet::new(&config, 0, &Device::flex());
            let mut built = Shapes::default();
            net.visit(&mut built);
            let expected = expected_tensors(&config).unwrap();
            assert_eq!(built.found, expected, "{}", describe(&config));
            let total: usize = expected
                .iter()
                .map(|(_, s)| s.iter().product::<usize>())
                .sum();
            assert_eq!(total, net.num_params(), "{}", describe(&config));
        }
    }

    #[test]
    fn a_file_of_another_kind_says_what_it_starts_with() {
        let png = message(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x1c");
        assert_eq!(
            png,
            "this is not an autoencoders model file (it starts with \"\\x89PNG\\r\\n\\x1a\\n\", \
             so it looks like a PNG image); a model file written by save() starts with \
             \"AEMODEL\\x00\""
        );
        let text = message("Hello, this is my homework: a list of digits.\n".as_bytes());
        assert!(
            text.starts_with(
                "this is not an autoencoders model file (it starts with \"Hello, t\", so it looks \
                 like text)"
            ),
            "{text}"
        );
        let json = message(br#"{"kind": "variational", "latent": 2}"#);
        assert!(json.contains("looks like JSON or other text"), "{json}");
        assert!(message(b"\xff\xd8\xff\xe0\0\x10JFIF").contains("a JPEG image"));
        assert!(message(b"PK\x03\x04\x14\0\0\0").contains("a zip archive"));
        let binary = message(&[0xde, 0xad, 0xbe, 0xef, 0, 1, 2, 3, 4]);
        assert!(
            binary.ends_with(
                "(it starts with \"\\xde\\xad\\xbe\\xef\\x00\\x01\\x02\\x03\"); a model file \
                 written by save() starts with \"AEMODEL\\x00\""
            ),
            "{binary}"
        );
        assert_eq!(
            message(b""),
            "the file is empty (0 bytes), so it is not an autoencoders model file"
        );
        assert_eq!(
            message(b"AEMOD"),
            "the file is cut short: its 5 bytes are only the start of an autoencoders model file"
        );
        assert_eq!(
            message(b"AEMODEL\0\x01\0\0\0\x02\0"),
            "the file is cut short: 14 bytes, fewer than the 25 of the smallest model file"
        );
    }

    #[cfg(not(target_arch = "wasm32"))]
    #[test]
    fn another_format_version_says_which_it_is_and_which_this_library_reads() {
        let bytes = saved(&config(Kind::Undercomplete, Architecture::Dense));
        let (config, weights) = parts(&bytes);
        assert_eq!(
            message(&assemble(2, config, weights)),
            "this file is format version 2; this version of autoencoders reads version 1 \
             (a newer autoencoders wrote it, or the file is damaged)"
        );
        assert_eq!(
            message(&assemble(0, config, weights)),
            "this file is format version 0; this version of autoencoders reads version 1 \
             (the file is damaged)"
        );
        // Only the header is needed to tell.
        assert!(
            message(&assemble(7, b"", b"")[..12]).starts_with("this file is format version 7;")
        );
        assert!(load(&assemble(1, config, weights), &Device::flex().autodiff()).is_ok());
    }

    #[cfg(not(target_arch = "wasm32"))]
    #[test]
    fn weights_of_another_architecture_are_refused_naming_the_tensor_and_both_shapes() {
        let dense = saved(&config(Kind::Undercomplete, Architecture::Dense));
        let conv = saved(&config(Kind::Variational, Architecture::Conv));
        let wider = saved(&ModelConfig {
            hidden: vec![40],
            ..config(Kind::Undercomplete, Architecture::Dense)
        });
        // The conv VAE's config, the dense model's weights: 12 tensors expected, 8 found.
        assert_eq!(
            message(&assemble(1, parts(&conv).0, parts(&dense).1)),
            "the weights do not fit the model's own config (variational conv, convChannels [4, 8], \
             input 1x16x16, hidden [24], latent 3): the config describes 16 weight tensors and the \
             file holds 8; the first that differs is tensor 0 (`enc_convs.0.weight`): the config \
             expects shape [4, 1, 4, 4], but the file has [256, 24]"
        );
        // Same tensor count, another width.
        assert_eq!(
            message(&assemble(1, parts(&dense).0, parts(&wider).1)),
            "the weights do not fit the model's own config (undercomplete dense, input 1x16x16, \
             hidden [24], latent 3): tensor 0 (`enc_dense.0.weight`): the config expects shape \
             [256, 24], but the file has [256, 40]"
        );
        // Missing tensors at the end.
        let (config, weights) = parts(&dense);
        let last_bias = 4 + 4 + 256 * 4; // rank, one dim, 256 values
        let mut fewer = weights.to_vec();
        fewer.truncate(weights.len() - last_bias);
        fewer[..4].copy_from_slice(&7u32.to_le_bytes());
        assert_eq!(
            message(&assemble(1, config, &fewer)),
            "the weights do not fit the model's own config (undercomplete dense, input 1x16x16, \
             hidden [24], latent 3): the config describes 8 weight tensors, but the file says it \
             holds 7; from tensor 7 (`dec_dense.1.bias`, shape [256]) on, the file has none"
        );
    }

    #[cfg(not(target_arch = "wasm32"))]
    #[test]
    fn inflated_lengths_are_errors_that_say_which_field() {
        let bytes = saved(&config(Kind::Undercomplete, Architecture::Dense));
        let (config, weights) = parts(&bytes);
        let mut huge_config = assemble(1, config, weights);
        huge_config[12..16].copy_from_slice(&u32::MAX.to_le_bytes());
        let n = huge_config.len();
        let crc = crc32(&huge_config[..n - 4]);
        huge_config[n - 4..].copy_from_slice(&crc.to_le_bytes());
        assert_eq!(
            message(&huge_config),
            "the config claims 4294967295 bytes, more than the 65536 a config may have"
        );
        let mut huge_count = weights.to_vec();
        huge_count[..4].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(message(&assemble(1, config, &huge_count)).ends_with(
            "the file says it holds 4294967295; the first ones match, the rest are extra"
        ),);
        // The first tensor's first dimension claims 4 G rows.
        let mut huge_dim = weights.to_vec();
        huge_dim[8..12].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(message(&assemble(1, config, &huge_dim)).ends_with(
            "tensor 0 (`enc_dense.0.weight`): the config expects shape [256, 24], but the \
                 file has [4294967295, 24]"
        ));
        let cut = assemble(1, config, &weights[..weights.len() - 10]);
        assert!(
            message(&cut).starts_with("the file ends too early: the values of tensor 7"),
            "{}",
            message(&cut)
        );
        let mut nan = weights.to_vec();
        nan[16..20].copy_from_slice(&f32::NAN.to_le_bytes());
        assert_eq!(
            message(&assemble(1, config, &nan)),
            "tensor 0 (`enc_dense.0.weight`) holds a NaN or infinite weight (value 0 of 6144)"
        );
        let mut altered = assemble(1, config, weights);
        altered[100] ^= 1;
        assert!(message(&altered).starts_with("checksum mismatch: the file ("));
        let bad_config = assemble(1, br#"{"latent":0}"#, weights);
        assert_eq!(
            message(&bad_config),
            "the config in the file is not valid: `latent` must be in 1..=65536, got 0"
        );
        let overflow = assemble(1, br#"{"inputShape":[4,4294967296,4294967296]}"#, weights);
        assert_eq!(
            message(&overflow),
            "the config in the file is not valid: `inputShape` [4, 4294967296, 4294967296] is far \
             larger than any model"
        );
    }
}

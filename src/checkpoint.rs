//! A versioned byte format for a trained model: magic, format version, config (JSON), weights,
//! the fitted code distribution, and a CRC-32 over everything before it.
//!
//! Layout (little-endian):
//! ```text
//! b"AEMODEL\0" | u32 version | u32 config_len | config JSON
//! | u32 tensor_count | per tensor: u32 rank, rank x u32 dims, f32 values
//! | u8 has_codes | [latent x f32 mean, latent x f32 std] | u32 crc32
//! ```
//! Loading never trusts a size from the file: the config is validated first, the network it
//! describes is built, and every tensor header must equal the shape that network expects before
//! anything is read or allocated.

use std::collections::VecDeque;

use burn::module::{Module, ModuleMapper, ModuleVisitor, Param};
use burn::tensor::{Device, Tensor, TensorData};

use crate::codes::CodeDistribution;
use crate::config::ModelConfig;
use crate::error::{AeError, Result};
use crate::model::AutoencoderNet;
use crate::tensor::read_f32;

pub const MAGIC: &[u8; 8] = b"AEMODEL\0";
pub const FORMAT_VERSION: u32 = 1;
const MAX_CONFIG_BYTES: usize = 64 * 1024;

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

/// Parameter shapes of a network, in module order.
struct Shapes(Vec<Vec<usize>>);

impl ModuleVisitor for Shapes {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        self.0.push(param.lazy_shape().dims::<D>().to_vec());
    }
}

/// Replaces every float parameter, in module order, with the loaded values.
struct Load(VecDeque<(Vec<usize>, Vec<f32>)>);

impl ModuleMapper for Load {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        let (shape, values) = self
            .0
            .pop_front()
            .expect("counts were checked against the network");
        let device = param.lazy_device();
        Param::from_data(TensorData::new(values, shape), &device)
    }
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

/// A cursor that turns every short read into a clear error.
struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8]> {
        let end = self
            .at
            .checked_add(n)
            .filter(|&e| e <= self.bytes.len())
            .ok_or_else(|| {
                AeError::CorruptCheckpoint(format!(
                    "truncated: {what} needs {n} bytes at offset {}",
                    self.at
                ))
            })?;
        let slice = &self.bytes[self.at..end];
        self.at = end;
        Ok(slice)
    }

    fn u32(&mut self, what: &str) -> Result<u32> {
        let b = self.take(4, what)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn f32s(&mut self, n: usize, what: &str) -> Result<Vec<f32>> {
        let bytes = self.take(
            n.checked_mul(4)
                .ok_or_else(|| AeError::CorruptCheckpoint("size overflow".into()))?,
            what,
        )?;
        Ok(bytes
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect())
    }
}

/// Parse and validate a checkpoint, building the network on `device` (an autodiff device to
/// train it further).
pub fn load(bytes: &[u8], device: &Device) -> Result<Checkpoint> {
    let corrupt = |m: String| AeError::CorruptCheckpoint(m);
    if bytes.len() < MAGIC.len() || &bytes[..MAGIC.len()] != MAGIC {
        return Err(corrupt(
            "not an autoencoders model file (wrong magic bytes)".into(),
        ));
    }
    if bytes.len() < MAGIC.len() + 8 + 4 {
        return Err(corrupt(format!("truncated: only {} bytes", bytes.len())));
    }
    let (body, stored_crc) = bytes.split_at(bytes.len() - 4);
    let mut r = Reader {
        bytes: body,
        at: MAGIC.len(),
    };
    let version = r.u32("format version")?;
    if version != FORMAT_VERSION {
        return Err(corrupt(format!(
            "format version {version} is not supported (this library reads {FORMAT_VERSION})"
        )));
    }
    let crc = u32::from_le_bytes([stored_crc[0], stored_crc[1], stored_crc[2], stored_crc[3]]);
    if crc32(body) != crc {
        return Err(corrupt(
            "checksum mismatch: the file is truncated or was altered".into(),
        ));
    }
    let config_len = r.u32("config length")? as usize;
    if config_len > MAX_CONFIG_BYTES {
        return Err(corrupt(format!(
            "config of {config_len} bytes is larger than {MAX_CONFIG_BYTES}"
        )));
    }
    let config: ModelConfig = serde_json::from_slice(r.take(config_len, "config")?)
        .map_err(|e| corrupt(format!("config is not valid: {e}")))?;
    config
        .validate()
        .map_err(|e| corrupt(format!("config is not valid: {e}")))?;

    let net = AutoencoderNet::new(&config, 0, device);
    let mut expected = Shapes(Vec::new());
    net.visit(&mut expected);
    let count = r.u32("tensor count")? as usize;
    if count != expected.0.len() {
        return Err(corrupt(format!(
            "{count} tensors, but this config has {}",
            expected.0.len()
        )));
    }
    let mut tensors = VecDeque::with_capacity(count);
    for (i, want) in expected.0.iter().enumerate() {
        let rank = r.u32("tensor rank")? as usize;
        if rank != want.len() {
            return Err(corrupt(format!(
                "tensor {i} has rank {rank}, expected {}",
                want.len()
            )));
        }
        let mut shape = Vec::with_capacity(rank);
        for _ in 0..rank {
            shape.push(r.u32("tensor shape")? as usize);
        }
        if &shape != want {
            return Err(corrupt(format!(
                "tensor {i} has shape {shape:?}, expected {want:?}"
            )));
        }
        let values = r.f32s(shape.iter().product(), "tensor values")?;
        if values.iter().any(|v| !v.is_finite()) {
            return Err(corrupt(format!("tensor {i} holds NaN or infinite weights")));
        }
        tensors.push_back((shape, values));
    }
    let codes = match r.take(1, "code flag")?[0] {
        0 => None,
        1 => {
            let mean = r.f32s(config.latent, "code mean")?;
            let std = r.f32s(config.latent, "code std")?;
            Some(CodeDistribution { mean, std })
        }
        other => return Err(corrupt(format!("code flag is {other}, expected 0 or 1"))),
    };
    if r.at != body.len() {
        return Err(corrupt(format!(
            "{} unexpected trailing bytes",
            body.len() - r.at
        )));
    }
    let net = net.map(&mut Load(tensors));
    Ok(Checkpoint { config, net, codes })
}

/// CRC-32 (IEEE 802.3, as in zip and PNG).
pub fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in bytes {
        crc ^= b as u32;
        for _ in 0..8 {
            crc = (crc >> 1) ^ (0xEDB8_8320 & (crc & 1).wrapping_neg());
        }
    }
    !crc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32_matches_the_standard_check_value() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
    }
}

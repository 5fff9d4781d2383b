//! Corruptions of images for denoising and inpainting: Gaussian noise, salt-and-pepper, pixel
//! masking, block occlusion, and a user-given mask. All seeded and host-side, so the same seed
//! corrupts the same pixels on every backend.

use crate::config::Corruption;
use crate::error::{AeError, Result};
use crate::rng::SeededRng;

/// Corrupt `values` (`n` images of `shape`, flattened) in place.
pub fn corrupt_in_place(
    values: &mut [f32],
    shape: [usize; 3],
    corruption: &Corruption,
    rng: &mut SeededRng,
) {
    let [channels, height, width] = shape;
    let size = channels * height * width;
    match *corruption {
        Corruption::Gaussian { sigma } => {
            let mut noise = vec![0.0f32; values.len()];
            rng.fill_normal(&mut noise);
            for (v, n) in values.iter_mut().zip(noise) {
                *v = (*v + sigma * n).clamp(0.0, 1.0);
            }
        }
        Corruption::SaltPepper { fraction } => {
            // Per pixel position (all channels together), so salt looks white in RGB too.
            for image in values.chunks_mut(size) {
                for p in 0..height * width {
                    if rng.next_f64() < fraction as f64 {
                        let value = if rng.next_f64() < 0.5 { 0.0 } else { 1.0 };
                        for c in 0..channels {
                            image[c * height * width + p] = value;
                        }
                    }
                }
            }
        }
        Corruption::Masking { fraction } => {
            for image in values.chunks_mut(size) {
                for p in 0..height * width {
                    if rng.next_f64() < fraction as f64 {
                        for c in 0..channels {
                            image[c * height * width + p] = 0.0;
                        }
                    }
                }
            }
        }
        Corruption::Block {
            count,
            min_size,
            max_size,
        } => {
            for image in values.chunks_mut(size) {
                for (top, left, h, w) in
                    random_blocks(height, width, count, min_size, max_size, rng)
                {
                    for c in 0..channels {
                        for y in top..top + h {
                            let row = c * height * width + y * width;
                            image[row + left..row + left + w].fill(0.0);
                        }
                    }
                }
            }
        }
    }
}

/// `count` rectangles `(top, left, height, width)` inside a `height x width` image.
pub fn random_blocks(
    height: usize,
    width: usize,
    count: usize,
    min_size: usize,
    max_size: usize,
    rng: &mut SeededRng,
) -> Vec<(usize, usize, usize, usize)> {
    (0..count)
        .map(|_| {
            let h = (min_size + rng.below(max_size - min_size + 1)).min(height);
            let w = (min_size + rng.below(max_size - min_size + 1)).min(width);
            let top = rng.below(height - h + 1);
            let left = rng.below(width - w + 1);
            (top, left, h, w)
        })
        .collect()
}

/// A corrupted copy of `values`.
pub fn corrupted(
    values: &[f32],
    shape: [usize; 3],
    corruption: &Corruption,
    seed: u64,
) -> Vec<f32> {
    let mut out = values.to_vec();
    corrupt_in_place(&mut out, shape, corruption, &mut SeededRng::new(seed));
    out
}

/// Apply a user mask: where `mask` is 1 (hidden), the pixel is set to `fill`.
/// `mask` is one value per pixel position (`height * width`), shared by every channel and image,
/// or one per value of the batch.
pub fn apply_mask(values: &mut [f32], shape: [usize; 3], mask: &[f32], fill: f32) -> Result<()> {
    if let Some(i) = mask.iter().position(|m| !(0.0..=1.0).contains(m)) {
        return Err(AeError::InvalidData(format!(
            "mask value {i} is {}; a mask holds 1 where a pixel is hidden and 0 where it is known",
            mask[i]
        )));
    }
    let [channels, height, width] = shape;
    let plane = height * width;
    if mask.len() == values.len() {
        for (v, &m) in values.iter_mut().zip(mask) {
            if m >= 0.5 {
                *v = fill;
            }
        }
        return Ok(());
    }
    if mask.len() != plane {
        return Err(AeError::ShapeMismatch(format!(
            "the mask has {} values; expected {plane} (one per pixel) or {} (one per value)",
            mask.len(),
            values.len()
        )));
    }
    for image in values.chunks_mut(channels * plane) {
        for c in 0..channels {
            for (p, &m) in mask.iter().enumerate() {
                if m >= 0.5 {
                    image[c * plane + p] = fill;
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHAPE: [usize; 3] = [1, 10, 10];

    #[test]
    fn gaussian_noise_is_seeded_clipped_and_has_the_asked_spread() {
        let clean = vec![0.5f32; 10_000];
        let noisy = corrupted(
            &clean,
            [1, 100, 100],
            &Corruption::Gaussian { sigma: 0.1 },
            3,
        );
        assert_eq!(
            noisy,
            corrupted(
                &clean,
                [1, 100, 100],
                &Corruption::Gaussian { sigma: 0.1 },
                3
            )
        );
        assert!(noisy.iter().all(|v| (0.0..=1.0).contains(v)));
        let var = noisy.iter().map(|v| (v - 0.5).powi(2)).sum::<f32>() / noisy.len() as f32;
        assert!((var.sqrt() - 0.1).abs() < 0.01, "std {}", var.sqrt());
    }

    #[test]
    fn masking_and_salt_pepper_touch_about_the_asked_fraction() {
        let clean = vec![0.5f32; 100 * 100];
        let masked = corrupted(&clean, SHAPE, &Corruption::Masking { fraction: 0.3 }, 1);
        let zeroed = masked.iter().filter(|&&v| v == 0.0).count() as f32 / masked.len() as f32;
        assert!((zeroed - 0.3).abs() < 0.02, "{zeroed}");
        let sp = corrupted(&clean, SHAPE, &Corruption::SaltPepper { fraction: 0.2 }, 1);
        let salt = sp.iter().filter(|&&v| v == 1.0).count() as f32 / sp.len() as f32;
        let pepper = sp.iter().filter(|&&v| v == 0.0).count() as f32 / sp.len() as f32;
        assert!(
            (salt - 0.1).abs() < 0.02 && (pepper - 0.1).abs() < 0.02,
            "{salt} {pepper}"
        );
    }

    #[test]
    fn blocks_zero_whole_rectangles_inside_the_image() {
        let clean = vec![1.0f32; 100];
        let out = corrupted(
            &clean,
            SHAPE,
            &Corruption::Block {
                count: 1,
                min_size: 3,
                max_size: 3,
            },
            5,
        );
        assert_eq!(out.iter().filter(|&&v| v == 0.0).count(), 9);
    }

    #[test]
    fn masks_apply_per_pixel_and_wrong_sizes_are_errors() {
        let mut values = vec![1.0f32; 2 * 4];
        apply_mask(&mut values, [1, 2, 2], &[1.0, 0.0, 0.0, 1.0], 0.0).unwrap();
        assert_eq!(values, vec![0.0, 1.0, 1.0, 0.0, 0.0, 1.0, 1.0, 0.0]);
        assert!(apply_mask(&mut values, [1, 2, 2], &[1.0; 3], 0.0).is_err());
    }
}

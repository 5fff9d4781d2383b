//! `CodeDistribution`: a diagonal Gaussian fitted to the codes of the training images, from which
//! a non-variational model samples (a VAE samples from its prior instead). Saved in checkpoints.

use crate::rng::SeededRng;

#[derive(Debug, Clone, PartialEq)]
pub struct CodeDistribution {
    pub mean: Vec<f32>,
    pub std: Vec<f32>,
}

impl CodeDistribution {
    /// The per-dimension mean and standard deviation of `codes` (`[n, latent]` flattened).
    pub fn fit(codes: &[f32], latent: usize) -> CodeDistribution {
        let n = (codes.len() / latent).max(1) as f64;
        let mut mean = vec![0.0f64; latent];
        let mut sq = vec![0.0f64; latent];
        for row in codes.chunks(latent) {
            for (j, &v) in row.iter().enumerate() {
                mean[j] += v as f64;
                sq[j] += (v as f64) * (v as f64);
            }
        }
        let mean: Vec<f64> = mean.iter().map(|m| m / n).collect();
        let std = sq
            .iter()
            .zip(&mean)
            .map(|(s, m)| ((s / n - m * m).max(0.0)).sqrt() as f32)
            .collect();
        CodeDistribution {
            mean: mean.iter().map(|&m| m as f32).collect(),
            std,
        }
    }

    /// `n` codes drawn from the distribution, `[n, latent]` flattened.
    pub fn sample(&self, n: usize, rng: &mut SeededRng) -> Vec<f32> {
        let mut out = Vec::with_capacity(n * self.mean.len());
        for _ in 0..n {
            out.extend(
                self.mean
                    .iter()
                    .zip(&self.std)
                    .map(|(m, s)| m + s * rng.normal()),
            );
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fit_recovers_mean_and_std_and_sampling_follows_them() {
        // Two dimensions: constant 3, and +-1 alternating (std 1).
        let codes: Vec<f32> = (0..1000)
            .flat_map(|i| [3.0, if i % 2 == 0 { 1.0 } else { -1.0 }])
            .collect();
        let dist = CodeDistribution::fit(&codes, 2);
        assert_eq!(dist.mean, vec![3.0, 0.0]);
        assert!((dist.std[0]).abs() < 1e-6 && (dist.std[1] - 1.0).abs() < 1e-6);
        let drawn = dist.sample(4000, &mut SeededRng::new(7));
        let second: Vec<f32> = drawn.chunks(2).map(|c| c[1]).collect();
        let mean = second.iter().sum::<f32>() / 4000.0;
        let var = second.iter().map(|v| (v - mean).powi(2)).sum::<f32>() / 4000.0;
        assert!(drawn.chunks(2).all(|c| c[0] == 3.0));
        assert!(mean.abs() < 0.1 && (var - 1.0).abs() < 0.1, "{mean} {var}");
    }
}

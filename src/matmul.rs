//! The affine map of a dense layer, `x @ W + b`, computed on the host: what CPU inference runs
//! in the browser for batches of at least `HOST_MIN_ROWS` rows.
//!
//! Why not burn's: Flex multiplies through the gemm crate, whose wasm kernel works on 12x4
//! tiles: twelve accumulators plus their operands are more registers than V8 allocates without
//! spilling, and it ran at about 25 GFLOP/s in Chromium 156 on this project's 2-core EPYC. These
//! 4x8 tiles (eight accumulators) ran at about 32, and at about 42 with the fused multiply-add
//! of wasm's relaxed SIMD (feature `relaxed-simd`, a separate build of the CPU module that the
//! JS entry loads where the engine validates it). The matrix products are over four fifths of a
//! CPU `reconstruct`. Natively gemm's AVX kernels on every core stay faster, so natively this
//! runs only in tests, through the same tiling on plain arrays.
//!
//! Layout: `W` is packed into panels of `TILE_N` (8) columns, `[ceil(n / 8)][k][8]`, zero-padded,
//! so that a tile's inner loop reads both its operands contiguously. Packing costs `k * n`
//! copies; `Autoencoder` packs once per state of the weights, and only for large enough calls.

/// Rows below which inference keeps burn's path: one full tile. With the weights packed once per
/// state of the weights, a page's calls in Chromium (VAE and DAE, medians of 200 calls) took
/// half the time of burn's at 4 rows (0.2-0.4 ms against 0.5-0.8) and at 16 (0.8-1.3 against
/// 1.8-2.4); at one row both took 0.2-0.4 ms, and the first call, which packs, took no less (a
/// page's first one-digit reconstruction stays on burn's path).
pub const HOST_MIN_ROWS: usize = TILE_M;

/// Rows of a tile.
const TILE_M: usize = 4;
/// Columns of a tile: two 4-lane vectors.
const TILE_N: usize = 8;

/// A dense layer's weights `[k, n]` and bias `[n]`, packed for `affine`.
pub struct PackedAffine {
    k: usize,
    n: usize,
    /// `[ceil(n / 8)][k][8]`: panel `p`, row `kk`, holds `W[kk, 8p..8p + 8]`.
    panels: Vec<f32>,
    /// `[ceil(n / 8) * 8]`, zero-padded.
    bias: Vec<f32>,
}

/// The shape, not the values (a layer has hundreds of thousands).
impl std::fmt::Debug for PackedAffine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PackedAffine({}x{})", self.k, self.n)
    }
}

impl PackedAffine {
    /// `weight`: `[k, n]` row-major; `bias`: `[n]`, or none.
    pub fn new(weight: &[f32], k: usize, n: usize, bias: Option<&[f32]>) -> Self {
        assert_eq!(weight.len(), k * n, "weight is not [k, n]");
        let panel_count = n.div_ceil(TILE_N);
        let mut panels = vec![0.0f32; panel_count * k * TILE_N];
        for (kk, row) in weight.chunks_exact(n).enumerate() {
            for (p, cols) in row.chunks(TILE_N).enumerate() {
                let start = (p * k + kk) * TILE_N;
                panels[start..start + cols.len()].copy_from_slice(cols);
            }
        }
        let mut padded_bias = vec![0.0f32; panel_count * TILE_N];
        if let Some(bias) = bias {
            assert_eq!(bias.len(), n, "bias is not [n]");
            padded_bias[..n].copy_from_slice(bias);
        }
        PackedAffine {
            k,
            n,
            panels,
            bias: padded_bias,
        }
    }

    /// `x @ W + b` for `x`: `[m, k]` row-major; returns `[m, n]` row-major.
    pub fn affine(&self, x: &[f32]) -> Vec<f32> {
        self.apply(x, false)
    }

    /// `relu(x @ W + b)`: the ReLU applied to each tile while it is still in registers, which
    /// spares a pass over the output. NaN stays NaN, as in burn's `relu`.
    pub fn affine_relu(&self, x: &[f32]) -> Vec<f32> {
        self.apply(x, true)
    }

    fn apply(&self, x: &[f32], relu: bool) -> Vec<f32> {
        let (k, n) = (self.k, self.n);
        assert!(k > 0 && x.len().is_multiple_of(k), "x is not [m, k]");
        let m = x.len() / k;
        let mut out = vec![0.0f32; m * n];
        // A tile that fits in the output is written there; an edge tile goes through `edge`.
        let mut edge = [0.0f32; TILE_M * TILE_N];
        for (block, out_rows) in x.chunks(TILE_M * k).zip(out.chunks_mut(TILE_M * n)) {
            let rows = block.len() / k;
            // A short last block repeats its last row; the repeats are computed and dropped.
            let a: [&[f32]; TILE_M] = std::array::from_fn(|r| &block[r.min(rows - 1) * k..][..k]);
            for p in 0..n.div_ceil(TILE_N) {
                let panel = &self.panels[p * k * TILE_N..][..k * TILE_N];
                let bias = &self.bias[p * TILE_N..][..TILE_N];
                let first = p * TILE_N;
                let cols = TILE_N.min(n - first);
                if rows == TILE_M && cols == TILE_N {
                    lanes::tile(a, panel, bias, relu, &mut out_rows[first..], n);
                } else {
                    lanes::tile(a, panel, bias, relu, &mut edge, TILE_N);
                    for r in 0..rows {
                        out_rows[r * n + first..][..cols]
                            .copy_from_slice(&edge[r * TILE_N..][..cols]);
                    }
                }
            }
        }
        out
    }
}

/// One 4x8 tile: row `r` of it, `bias + sum over kk of a[r][kk] * panel[kk]` (with `relu`, its
/// ReLU), is written to `out[r * stride..][..8]`. In wasm simd128.
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
mod lanes {
    use core::arch::wasm32::*;

    use super::{TILE_M, TILE_N};

    pub fn tile(
        a: [&[f32]; TILE_M],
        panel: &[f32],
        bias: &[f32],
        relu: bool,
        out: &mut [f32],
        stride: usize,
    ) {
        let k = a[0].len();
        assert!(
            a.iter().all(|row| row.len() == k) && panel.len() == k * TILE_N && bias.len() == TILE_N
        );
        assert!(stride >= TILE_N && out.len() >= (TILE_M - 1) * stride + TILE_N);
        // SAFETY: every access below is in bounds by the lengths just checked: `a[r]` has `k`
        // values, `panel` 8k, `bias` 8, and `out` 8 from each of four rows `stride` apart;
        // unaligned v128 loads and stores are allowed in wasm.
        unsafe {
            tile_unchecked(
                a.map(<[f32]>::as_ptr),
                panel.as_ptr(),
                bias.as_ptr(),
                k,
                relu,
                out.as_mut_ptr(),
                stride,
            )
        }
    }

    /// Eight accumulators (four rows, two vectors of columns) and four operands: what V8 keeps
    /// in registers; the gemm crate's twelve spilled. In the relaxed-SIMD build the multiply-add
    /// is `f32x4.relaxed_madd`, fused where the hardware has it (V8: FMA3).
    #[cfg_attr(feature = "relaxed-simd", target_feature(enable = "relaxed-simd"))]
    unsafe fn tile_unchecked(
        a: [*const f32; TILE_M],
        panel: *const f32,
        bias: *const f32,
        k: usize,
        relu: bool,
        out: *mut f32,
        stride: usize,
    ) {
        #[cfg(feature = "relaxed-simd")]
        let madd = |acc: v128, x: v128, w: v128| f32x4_relaxed_madd(x, w, acc);
        #[cfg(not(feature = "relaxed-simd"))]
        let madd = |acc: v128, x: v128, w: v128| f32x4_add(acc, f32x4_mul(x, w));
        unsafe {
            let bias0 = v128_load(bias as *const v128);
            let bias1 = v128_load(bias.add(4) as *const v128);
            let (mut c00, mut c01, mut c10, mut c11) = (bias0, bias1, bias0, bias1);
            let (mut c20, mut c21, mut c30, mut c31) = (bias0, bias1, bias0, bias1);
            let mut w = panel;
            // The four rows written out, each with its own named accumulators: what LLVM and
            // V8 keep in registers most reliably.
            for kk in 0..k {
                let w0 = v128_load(w as *const v128);
                let w1 = v128_load(w.add(4) as *const v128);
                w = w.add(TILE_N);
                let x = v128_load32_splat(a[0].add(kk) as *const u32);
                c00 = madd(c00, x, w0);
                c01 = madd(c01, x, w1);
                let x = v128_load32_splat(a[1].add(kk) as *const u32);
                c10 = madd(c10, x, w0);
                c11 = madd(c11, x, w1);
                let x = v128_load32_splat(a[2].add(kk) as *const u32);
                c20 = madd(c20, x, w0);
                c21 = madd(c21, x, w1);
                let x = v128_load32_splat(a[3].add(kk) as *const u32);
                c30 = madd(c30, x, w0);
                c31 = madd(c31, x, w1);
            }
            for (r, (mut lo, mut hi)) in [(c00, c01), (c10, c11), (c20, c21), (c30, c31)]
                .into_iter()
                .enumerate()
            {
                if relu {
                    // `f32x4.max` keeps NaN (`pmax` would not).
                    let zero = f32x4_splat(0.0);
                    lo = f32x4_max(lo, zero);
                    hi = f32x4_max(hi, zero);
                }
                let row = out.add(r * stride);
                v128_store(row as *mut v128, lo);
                v128_store(row.add(4) as *mut v128, hi);
            }
        }
    }
}

/// The same tile on plain arrays: natively (tests), and in a wasm build without simd128.
#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
mod lanes {
    use super::{TILE_M, TILE_N};

    pub fn tile(
        a: [&[f32]; TILE_M],
        panel: &[f32],
        bias: &[f32],
        relu: bool,
        out: &mut [f32],
        stride: usize,
    ) {
        for (r, a_row) in a.iter().enumerate() {
            let row = &mut out[r * stride..][..TILE_N];
            row.copy_from_slice(bias);
            for (x, w) in a_row.iter().zip(panel.chunks_exact(TILE_N)) {
                for (acc, w) in row.iter_mut().zip(w) {
                    *acc += x * w;
                }
            }
            if relu {
                for v in row.iter_mut() {
                    // burn's rule (and `f32x4.max`'s): NaN stays, -0 becomes 0.
                    if !(v.is_nan() || *v > 0.0) {
                        *v = 0.0;
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::SeededRng;

    /// `x @ W + b` in f64, one dot product at a time.
    fn reference(x: &[f32], weight: &[f32], bias: &[f32], k: usize, n: usize) -> Vec<f64> {
        let m = x.len() / k;
        let mut out = vec![0.0f64; m * n];
        for i in 0..m {
            for j in 0..n {
                out[i * n + j] = bias[j] as f64
                    + (0..k)
                        .map(|kk| x[i * k + kk] as f64 * weight[kk * n + j] as f64)
                        .sum::<f64>();
            }
        }
        out
    }

    fn uniform(len: usize, rng: &mut SeededRng) -> Vec<f32> {
        (0..len).map(|_| rng.uniform(-1.0, 1.0)).collect()
    }

    #[test]
    fn affine_matches_an_f64_reference_on_every_tile_edge() {
        let mut rng = SeededRng::new(7);
        // Rows and columns on, one short of and one past a tile's edge; k from 1 up.
        for (m, k, n) in [
            (1, 1, 1),
            (3, 5, 7),
            (4, 8, 8),
            (5, 9, 9),
            (7, 1, 17),
            (64, 33, 15),
            (9, 784, 20),
        ] {
            let x = uniform(m * k, &mut rng);
            let weight = uniform(k * n, &mut rng);
            let bias = uniform(n, &mut rng);
            let got = PackedAffine::new(&weight, k, n, Some(&bias)).affine(&x);
            let want = reference(&x, &weight, &bias, k, n);
            assert_eq!(got.len(), m * n, "{m}x{k}x{n}");
            for (i, (g, w)) in got.iter().zip(&want).enumerate() {
                // f32 sums of k terms of size <= 1: a few ulps of sqrt(k) at most.
                assert!(
                    (*g as f64 - w).abs() < 1e-5 * (k as f64).sqrt(),
                    "{m}x{k}x{n} at {i}: {g} vs {w}"
                );
            }
        }
    }

    #[test]
    fn affine_relu_is_the_affine_map_with_burns_relu() {
        let mut rng = SeededRng::new(3);
        let (m, k, n) = (6, 13, 11);
        let mut x = uniform(m * k, &mut rng);
        x[0] = f32::NAN; // row 0 of the output is NaN throughout, and stays so
        let packed =
            PackedAffine::new(&uniform(k * n, &mut rng), k, n, Some(&uniform(n, &mut rng)));
        let plain = packed.affine(&x);
        let rectified = packed.affine_relu(&x);
        assert!(rectified[..n].iter().all(|v| v.is_nan()), "{rectified:?}");
        assert!(
            plain[n..].iter().any(|&v| v < 0.0),
            "the test needs negative outputs"
        );
        for (r, p) in rectified[n..].iter().zip(&plain[n..]) {
            assert_eq!(r.to_bits(), if *p > 0.0 { p.to_bits() } else { 0 });
        }
    }

    #[test]
    fn without_a_bias_the_affine_map_is_the_product() {
        let weight = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]; // [2, 3]
        let x = [1.0, -1.0, 0.5, 2.0]; // [2, 2]
        let got = PackedAffine::new(&weight, 2, 3, None).affine(&x);
        assert_eq!(got, vec![-3.0, -3.0, -3.0, 8.5, 11.0, 13.5]);
    }

    #[test]
    fn nan_and_infinity_propagate_like_a_product() {
        let weight = [1.0, 0.0, 2.0, 1.0]; // [2, 2]
        let x = [f32::NAN, 1.0, f32::INFINITY, 0.5]; // [2, 2]
        let got = PackedAffine::new(&weight, 2, 2, Some(&[0.0, 0.0])).affine(&x);
        assert!(got[0].is_nan() && got[1].is_nan(), "{got:?}");
        assert_eq!(got[2], f32::INFINITY);
        // inf * 0 is NaN, as in any product.
        assert!(got[3].is_nan(), "{got:?}");
    }
}

#![cfg(not(target_arch = "wasm32"))]
//! Hostile checkpoints: a bounded, seeded fuzz harness for `Autoencoder::load`.
//!
//! Real models of several kinds are saved, then mutated (bit flips, interesting bytes, truncation,
//! inflated length fields, splices of two models, inserted, deleted and repeated ranges, edited
//! config numbers) and loaded. Most mutants get their checksum repaired, as a hostile file would,
//! so that they reach the parser behind it. Every load must return (no panic), every refusal must
//! be `AeError::CorruptCheckpoint` with a message, and the memory a load allocates at its peak must
//! stay below a small multiple of the file's size: a length field claiming 4 GB must not allocate
//! 4 GB. A counting global allocator in this test binary measures it (one test, so nothing else
//! allocates meanwhile).
//!
//! Environment:
//! - `AE_FUZZ_SECONDS` (default 20): time budget of the random phase.
//! - `AE_FUZZ_SEED` (default 0x5eed): the seed; iteration `i` draws from `(seed, i)` alone.
//! - `AE_FUZZ_ITER`: run that one iteration only (to reproduce a failure).
//!
//! See the inputs tried: `cargo test --test checkpoint_fuzz -- --nocapture`.

use std::alloc::{GlobalAlloc, Layout, System};
use std::collections::BTreeMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use autoencoders::checkpoint::crc32;
use autoencoders::rng::SeededRng;
use autoencoders::train::Silent;
use autoencoders::{
    AeError, Architecture, Autoencoder, Images, Kind, Mnist, ModelConfig, ReconstructionLoss,
    TrainConfig,
};
use burn::tensor::Device;
use pollster::block_on;

// ---- A global allocator that tracks the bytes in use and their peak. ----

struct Counting;

static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

fn grew(n: usize) {
    let now = CURRENT.fetch_add(n, Ordering::Relaxed) + n;
    PEAK.fetch_max(now, Ordering::Relaxed);
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        CURRENT.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            // Counted as a fresh block while the old one lives: an upper bound of the peak.
            grew(new_size);
            CURRENT.fetch_sub(layout.size(), Ordering::Relaxed);
        }
        p
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// `f()` and the most bytes it had allocated at once beyond what was in use before.
fn peak_during<T>(f: impl FnOnce() -> T) -> (T, usize) {
    let base = CURRENT.load(Ordering::Relaxed);
    PEAK.store(base, Ordering::Relaxed);
    let out = f();
    (out, PEAK.load(Ordering::Relaxed).saturating_sub(base))
}

/// What a load may allocate at its peak: the weights are held about three times over (the
/// network as built, the values read from the file, the parameters they become), plus a fixed
/// allowance for the parsed config, names and burn's bookkeeping.
fn allocation_bound(file_len: usize) -> usize {
    4 * file_len + (2 << 20)
}

// ---- The corpus: real saved models of different kinds. ----

struct Seed {
    name: &'static str,
    bytes: Vec<u8>,
    /// Offsets of every u32 that is a length or a count: config length, tensor count, ranks,
    /// dimensions.
    length_fields: Vec<usize>,
    /// `[start, end)` of the config JSON and of the weights (from the tensor count to the code
    /// flag), and of the code section (flag to checksum).
    config: (usize, usize),
    weights: (usize, usize),
}

fn u32_at(bytes: &[u8], at: usize) -> usize {
    u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap()) as usize
}

fn seed(name: &'static str, bytes: Vec<u8>) -> Seed {
    let mut length_fields = vec![12];
    let config_len = u32_at(&bytes, 12);
    let config = (16, 16 + config_len);
    let mut at = config.1;
    length_fields.push(at);
    let count = u32_at(&bytes, at);
    at += 4;
    for _ in 0..count {
        length_fields.push(at);
        let rank = u32_at(&bytes, at);
        at += 4;
        let mut n = 1;
        for _ in 0..rank {
            length_fields.push(at);
            n *= u32_at(&bytes, at);
            at += 4;
        }
        at += 4 * n;
    }
    let weights = (config.1, at);
    Seed {
        name,
        bytes,
        length_fields,
        config,
        weights,
    }
}

fn images(shape: [usize; 3], n: usize) -> Images {
    if shape == [1, 28, 28] {
        let (train, _, _, _) = Mnist::load_bundled().expect("MNIST asset").split();
        return train.subset(&(0..n).collect::<Vec<_>>());
    }
    let mut rng = SeededRng::new(11);
    let values = (0..n * shape.iter().product::<usize>())
        .map(|_| rng.uniform(0.0, 1.0))
        .collect();
    Images::new(values, shape).unwrap()
}

fn saved_model(config: ModelConfig, train_steps: usize) -> Vec<u8> {
    let shape = config.input_shape;
    let mut model = Autoencoder::new(config, 3, Device::flex()).unwrap();
    if train_steps > 0 {
        let cfg = TrainConfig {
            epochs: 1,
            batch_size: 32,
            max_steps: Some(train_steps),
            ..Default::default()
        };
        block_on(model.train(&images(shape, 64), None, &cfg, &mut Silent)).unwrap();
    }
    block_on(model.save()).unwrap()
}

fn corpus() -> Vec<Seed> {
    let mnist = |kind, architecture| ModelConfig {
        kind,
        architecture,
        conv_channels: vec![4, 8],
        hidden: vec![32],
        latent: 4,
        ..Default::default()
    };
    let seeds = vec![
        seed(
            "dense undercomplete, trained (code statistics)",
            saved_model(mnist(Kind::Undercomplete, Architecture::Dense), 2),
        ),
        seed(
            "conv denoising, trained (code statistics)",
            saved_model(mnist(Kind::Denoising, Architecture::Conv), 2),
        ),
        seed(
            "dense variational, MSE with a learned scale",
            saved_model(
                ModelConfig {
                    loss: ReconstructionLoss::Mse,
                    ..mnist(Kind::Variational, Architecture::Dense)
                },
                2,
            ),
        ),
        seed(
            "conv variational, RGB 16x16",
            saved_model(
                ModelConfig {
                    input_shape: [3, 16, 16],
                    conv_channels: vec![4],
                    hidden: vec![],
                    latent: 3,
                    ..mnist(Kind::Variational, Architecture::Conv)
                },
                1,
            ),
        ),
        seed(
            "dense sparse-KL, RGB 8x8, two hidden layers, trained (code statistics)",
            saved_model(
                ModelConfig {
                    input_shape: [3, 8, 8],
                    hidden: vec![16, 12],
                    latent: 5,
                    ..mnist(Kind::SparseKl, Architecture::Dense)
                },
                2,
            ),
        ),
        seed(
            "dense contractive, 1x6x6, no hidden layer, untrained",
            saved_model(
                ModelConfig {
                    input_shape: [1, 6, 6],
                    hidden: vec![],
                    latent: 2,
                    ..mnist(Kind::Contractive, Architecture::Dense)
                },
                0,
            ),
        ),
    ];
    for s in &seeds {
        assert_eq!(
            s.weights.1 + 5 + 4 * code_values(s),
            s.bytes.len(),
            "{}",
            s.name
        );
    }
    seeds
}

/// Number of code-statistics values (mean and std) a seed holds.
fn code_values(s: &Seed) -> usize {
    match s.bytes[s.weights.1] {
        0 => 0,
        _ => (s.bytes.len() - s.weights.1 - 5) / 4,
    }
}

// ---- Mutations. ----

/// SplitMix64: small, seedable, and the same everywhere.
struct Rng(u64);

impl Rng {
    fn new(seed: u64, iteration: u64) -> Rng {
        let mut r = Rng(seed ^ iteration.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        r.next();
        r
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n > 0`).
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn chance(&mut self, numerator: u64, denominator: u64) -> bool {
        self.next() % denominator < numerator
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

const INTERESTING_U32: [u32; 12] = [
    0,
    1,
    2,
    4,
    0x7F,
    0xFFFF,
    0x1_0000,
    0x10_0000,
    0x4000_0000,
    0x7FFF_FFFF,
    0x8000_0000,
    u32::MAX,
];

const INTERESTING_NUMBERS: [&str; 14] = [
    "0",
    "-1",
    "1",
    "3",
    "65536",
    "65537",
    "4294967295",
    "4294967296",
    "18446744073709551615",
    "99999999999999999999999",
    "1e9",
    "0.5",
    "NaN",
    "1e400",
];

fn with_crc(mut body: Vec<u8>) -> Vec<u8> {
    let crc = crc32(&body);
    body.extend_from_slice(&crc.to_le_bytes());
    body
}

fn fix_crc(bytes: &mut Vec<u8>) {
    if bytes.len() >= 4 {
        bytes.truncate(bytes.len() - 4);
        let fixed = with_crc(std::mem::take(bytes));
        *bytes = fixed;
    }
}

/// The seed with one number of its config JSON replaced, and the config length and checksum
/// made consistent.
fn edit_config_number(s: &Seed, rng: &mut Rng) -> Vec<u8> {
    let json = &s.bytes[s.config.0..s.config.1];
    let numbers: Vec<(usize, usize)> = {
        let mut spans = Vec::new();
        let mut i = 0;
        while i < json.len() {
            if json[i].is_ascii_digit() || json[i] == b'-' {
                let start = i;
                while i < json.len() && (json[i].is_ascii_digit() || b"-.eE+".contains(&json[i])) {
                    i += 1;
                }
                spans.push((start, i));
            } else {
                i += 1;
            }
        }
        spans
    };
    let mut new_json = json.to_vec();
    if let Some(&(a, b)) = (!numbers.is_empty()).then(|| rng.pick(&numbers)) {
        new_json.splice(a..b, rng.pick(&INTERESTING_NUMBERS).bytes());
    }
    let mut out = s.bytes[..12].to_vec();
    out.extend_from_slice(&(new_json.len() as u32).to_le_bytes());
    out.extend_from_slice(&new_json);
    out.extend_from_slice(&s.bytes[s.config.1..s.bytes.len() - 4]);
    with_crc(out)
}

/// One mutation of `bytes`; `seeds` supply splice partners, `s` the field offsets.
fn mutate(bytes: &mut Vec<u8>, s: &Seed, seeds: &[Seed], rng: &mut Rng) -> &'static str {
    let len = bytes.len();
    match rng.below(11) {
        0 if len > 0 => {
            let i = rng.below(len);
            bytes[i] ^= 1 << rng.below(8);
            "bit flip"
        }
        1 if len > 0 => {
            let i = rng.below(len);
            bytes[i] = *rng.pick(&[0, 1, 0x7F, 0x80, 0xFF]);
            "interesting byte"
        }
        2 => {
            // Often near the end, where the codes and checksum live.
            let cut = if rng.chance(1, 2) {
                rng.below(len + 1)
            } else {
                len.saturating_sub(rng.below(64))
            };
            bytes.truncate(cut);
            "truncation"
        }
        3 => {
            let at = *rng.pick(&s.length_fields);
            if at + 4 <= len {
                let old = u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap());
                let new = match rng.below(4) {
                    0 => old.wrapping_add(1),
                    1 => old.wrapping_sub(1),
                    2 => old.wrapping_mul(2),
                    _ => *rng.pick(&INTERESTING_U32),
                };
                bytes[at..at + 4].copy_from_slice(&new.to_le_bytes());
            }
            "length field"
        }
        4 => {
            let other = rng.pick(seeds);
            let (a, b) = (rng.below(len + 1), rng.below(other.bytes.len() + 1));
            bytes.truncate(a);
            bytes.extend_from_slice(&other.bytes[b..]);
            "splice"
        }
        5 => {
            // One model's config with another's weights (and codes).
            let other = rng.pick(seeds);
            let mut out = s.bytes[..s.config.1].to_vec();
            out.extend_from_slice(&other.bytes[other.weights.0..]);
            *bytes = out;
            "config of one model, weights of another"
        }
        6 => {
            let at = rng.below(len + 1);
            let n = 1 + rng.below(16);
            let junk: Vec<u8> = (0..n).map(|_| rng.next() as u8).collect();
            bytes.splice(at..at, junk);
            "insertion"
        }
        7 if len > 0 => {
            let a = rng.below(len);
            let b = (a + 1 + rng.below(64)).min(len);
            bytes.drain(a..b);
            "deletion"
        }
        8 if len > 0 => {
            let a = rng.below(len);
            let b = (a + 1 + rng.below(64)).min(len);
            let copy = bytes[a..b].to_vec();
            let at = rng.below(len + 1);
            bytes.splice(at..at, copy);
            "repetition"
        }
        9 if len >= 4 => {
            let at = rng.below(len - 3);
            bytes[at..at + 4].copy_from_slice(&rng.pick(&INTERESTING_U32).to_le_bytes());
            "interesting u32"
        }
        10 => {
            *bytes = edit_config_number(s, rng);
            "config number"
        }
        _ => "none",
    }
}

// ---- Checking one input. ----

#[derive(Default)]
struct Tally {
    tried: usize,
    accepted: usize,
    refused: BTreeMap<String, usize>,
    /// The largest peak allocation seen, and the size of the file that caused it.
    largest: (usize, usize),
}

/// The start of a message, without its particulars, to count refusals by reason.
fn reason(message: &str) -> String {
    let end = message.find([':', '(', ';', '`']).unwrap_or(message.len());
    message[..end]
        .split_whitespace()
        .filter(|w| !w.chars().any(|c| c.is_ascii_digit()))
        .take(8)
        .collect::<Vec<_>>()
        .join(" ")
}

/// Load `bytes`; `Err` says what went wrong.
fn check(bytes: &[u8], tally: &mut Tally) -> Result<(), String> {
    let (outcome, peak) = peak_during(|| {
        catch_unwind(AssertUnwindSafe(|| {
            Autoencoder::load(bytes, Device::flex()).map(|m| m.num_params())
        }))
    });
    tally.tried += 1;
    let bound = allocation_bound(bytes.len());
    if peak > bound {
        return Err(format!(
            "a load of a {}-byte file allocated {peak} bytes at its peak, more than the bound of \
             {bound}",
            bytes.len()
        ));
    }
    if peak > tally.largest.0 {
        tally.largest = (peak, bytes.len());
    }
    match outcome {
        Err(panic) => {
            let what = panic
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| panic.downcast_ref::<&str>().copied())
                .unwrap_or("(no message)");
            Err(format!("the loader panicked: {what}"))
        }
        Ok(Ok(_)) => {
            tally.accepted += 1;
            Ok(())
        }
        Ok(Err(AeError::CorruptCheckpoint(message))) => {
            if message.len() < 20 {
                return Err(format!(
                    "a message too short to say what is wrong: {message:?}"
                ));
            }
            *tally.refused.entry(reason(&message)).or_default() += 1;
            Ok(())
        }
        Ok(Err(other)) => Err(format!(
            "refused with {} instead of CORRUPT_CHECKPOINT: {other}",
            other.code()
        )),
    }
}

fn fail(what: &str, bytes: &[u8], problem: &str) -> ! {
    let path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("checkpoint-fuzz-failure.ae");
    let _ = std::fs::write(&path, bytes);
    panic!(
        "{what}: {problem}\n  input: {} bytes, written to {}\n  first bytes: {:?}",
        bytes.len(),
        path.display(),
        bytes[..bytes.len().min(48)].escape_ascii().to_string()
    );
}

fn env<T: std::str::FromStr>(name: &str) -> Option<T> {
    let value = std::env::var(name).ok()?;
    Some(
        value
            .parse()
            .unwrap_or_else(|_| panic!("{name}={value:?} is not a valid value")),
    )
}

#[test]
fn hostile_checkpoints_are_refused_clearly_without_panics_or_large_allocations() {
    let seeds = corpus();
    let fuzz_seed: u64 = env("AE_FUZZ_SEED").unwrap_or(0x5eed);
    let only: Option<u64> = env("AE_FUZZ_ITER");
    let budget = Duration::from_secs_f64(env("AE_FUZZ_SECONDS").unwrap_or(20.0));
    let mut tally = Tally::default();

    // Every seed loads, and a load allocates within the bound (this also warms burn up, so that
    // its one-time set-up is not counted against a later load).
    for s in &seeds {
        let (loaded, peak) = peak_during(|| Autoencoder::load(&s.bytes, Device::flex()));
        let loaded = loaded.unwrap_or_else(|e| panic!("{}: {e}", s.name));
        println!(
            "seed {}: {} bytes, {} parameters; loading it allocates {peak} bytes at the peak",
            s.name,
            s.bytes.len(),
            loaded.num_params()
        );
    }

    if only.is_none() {
        // Systematic: every length field of every seed set to each interesting value (checksum
        // repaired), and every truncation of the smallest seed (with and without repair).
        for s in &seeds {
            for &at in &s.length_fields {
                for value in INTERESTING_U32 {
                    let mut bytes = s.bytes.clone();
                    bytes[at..at + 4].copy_from_slice(&value.to_le_bytes());
                    fix_crc(&mut bytes);
                    if let Err(problem) = check(&bytes, &mut tally) {
                        fail(
                            &format!("{}: the u32 at offset {at} set to {value}", s.name),
                            &bytes,
                            &problem,
                        );
                    }
                }
            }
        }
        let smallest = seeds.iter().min_by_key(|s| s.bytes.len()).unwrap();
        for cut in 0..smallest.bytes.len() {
            for repair in [false, true] {
                let mut bytes = smallest.bytes[..cut].to_vec();
                if repair {
                    fix_crc(&mut bytes);
                }
                if let Err(problem) = check(&bytes, &mut tally) {
                    fail(
                        &format!("{}: cut to {cut} bytes (repair {repair})", smallest.name),
                        &bytes,
                        &problem,
                    );
                }
            }
        }
    }
    let systematic = tally.tried;

    // Random: stacked mutations of a random seed, most with the checksum repaired.
    let start = Instant::now();
    let mut iteration: u64 = only.unwrap_or(0);
    loop {
        if only.is_none() && start.elapsed() >= budget {
            break;
        }
        let mut rng = Rng::new(fuzz_seed, iteration);
        let s = rng.pick(&seeds);
        let mut bytes = s.bytes.clone();
        let mut applied = Vec::new();
        for _ in 0..1 + rng.below(3) {
            applied.push(mutate(&mut bytes, s, &seeds, &mut rng));
        }
        if rng.chance(7, 8) {
            fix_crc(&mut bytes);
        }
        if let Err(problem) = check(&bytes, &mut tally) {
            fail(
                &format!(
                    "AE_FUZZ_SEED={fuzz_seed} AE_FUZZ_ITER={iteration} (seed model: {}, \
                     mutations: {applied:?})",
                    s.name
                ),
                &bytes,
                &problem,
            );
        }
        iteration += 1;
        if only.is_some() {
            break;
        }
    }

    let random = tally.tried - systematic;
    println!(
        "checkpoint fuzz: {} inputs ({systematic} systematic, {random} random in {:.1} s, \
         AE_FUZZ_SEED={fuzz_seed}): {} loaded, {} refused with CORRUPT_CHECKPOINT; the largest \
         peak allocation of a load was {} bytes, for a {}-byte file",
        tally.tried,
        start.elapsed().as_secs_f64(),
        tally.accepted,
        tally.tried - tally.accepted,
        tally.largest.0,
        tally.largest.1
    );
    for (reason, n) in &tally.refused {
        println!("  {n:>7}  {reason}");
    }
}

//! Train and run autoencoders with burn, natively or in the browser on WebGPU.
//!
//! The core (everything but `web`) knows nothing of JavaScript and is tested natively on burn's
//! Flex CPU backend; `web` is the thin wasm-bindgen layer.

pub mod autoencoder;
pub mod checkpoint;
pub mod codes;
pub mod config;
pub mod corrupt;
pub mod data;
#[cfg(all(target_arch = "wasm32", feature = "webgpu"))]
pub mod device_matmul;
pub mod error;
pub mod fused;
#[cfg(all(feature = "learner", not(target_arch = "wasm32")))]
pub mod learner;
pub mod matmul;
pub mod metrics;
pub mod model;
pub mod objective;
pub mod rng;
pub mod tensor;
pub mod train;

#[cfg(target_arch = "wasm32")]
pub mod web;

pub use autoencoder::Autoencoder;
pub use config::{Architecture, Corruption, Kind, ModelConfig, ReconstructionLoss, TrainConfig};
pub use data::{Emoji, Images, Mnist};
pub use error::{AeError, Result};
pub use train::{Control, TrainHistory, TrainObserver};

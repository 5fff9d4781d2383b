//! The command-line trainer: the same core, model configs (the JSON of the JS `ModelConfig`) and
//! checkpoint format as the npm package, for when a browser tab is too small. Trains on the CPU
//! (burn's Flex) always, on a GPU with `--features gpu` (wgpu: Vulkan, Metal, DX12) or
//! `--features cuda`, and writes a file that `Autoencoder.load` opens in a page.
//!
//!     cargo run --release --features cli --bin autoencoders -- train \
//!         --config '{"kind":"variational","hidden":[400],"latent":20}' --data mnist --epochs 10 --out vae.ae
//!     cargo run --release --features cli --bin autoencoders -- train --config model.json --data ./my-photos --out mine.ae
//!     cargo run --release --features cli --bin autoencoders -- encode --model mine.ae --data ./my-photos --count 4

#[cfg(target_arch = "wasm32")]
fn main() {}

#[cfg(not(target_arch = "wasm32"))]
fn main() -> std::process::ExitCode {
    cli::main()
}

#[cfg(not(target_arch = "wasm32"))]
mod cli {
    use std::path::{Path, PathBuf};
    use std::process::ExitCode;
    use std::time::Instant;

    use autoencoders::data::rgba_to_image;
    use autoencoders::learner::{LearnerProgress, LearnerRun};
    use autoencoders::metrics::{self, psnr};
    use autoencoders::train::{EpochSummary, StepProgress};
    use autoencoders::{
        Autoencoder, Control, Emoji, Images, Kind, Mnist, ModelConfig, TrainConfig,
    };
    use burn::tensor::Device;
    use clap::{Parser, Subcommand, ValueEnum};
    use indicatif::{ProgressBar, ProgressStyle};
    use pollster::block_on;

    /// Train autoencoders natively into the checkpoint format the npm package loads.
    #[derive(Parser)]
    #[command(name = "autoencoders", version)]
    struct Cli {
        #[command(subcommand)]
        command: Command,
    }

    #[derive(Subcommand)]
    enum Command {
        /// Train a model and write its checkpoint (open it in the demo's Models panel, or with
        /// `Autoencoder.load` in a page).
        Train(TrainArgs),
        /// Print the codes of images under a saved model, as JSON.
        Encode(EncodeArgs),
    }

    #[derive(clap::Args)]
    struct TrainArgs {
        /// The model config: JSON text, or a path to a .json file (the JS `ModelConfig`).
        #[arg(long, required_unless_present = "resume")]
        config: Option<String>,
        /// `mnist` (the bundled digits, [1, 28, 28]), `emoji` (the bundled colour emoji,
        /// [3, 32, 32], with their fixed split) or a folder of PNG / JPEG images (resized to the
        /// model's input as the browser does; every tenth is held out for the quality line).
        #[arg(long, default_value = "mnist")]
        data: String,
        #[arg(long, default_value_t = 10)]
        epochs: usize,
        #[arg(long, default_value_t = 128)]
        batch_size: usize,
        #[arg(long, default_value_t = 1e-3)]
        learning_rate: f64,
        /// Seeds the initial weights, shuffling and noise.
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// Stop after this many optimiser steps in all.
        #[arg(long)]
        max_steps: Option<usize>,
        /// Train data-parallel on this many devices of the backend, through burn-train's Learner
        /// (its MultiDevice strategy: each device runs the step on its share of the batches, the
        /// gradients are summed on the first). 1: the project's own loop. On `cpu` every device
        /// is the one Flex device (to try it out); on `gpu` the first N wgpu adapters found; on
        /// `cuda` CUDA devices 0..N.
        #[arg(long, default_value_t = 1)]
        devices: usize,
        /// Start from this checkpoint instead of fresh weights (fine-tuning); its config wins.
        #[arg(long)]
        resume: Option<PathBuf>,
        #[arg(long, value_enum, default_value_t = Backend::Cpu)]
        backend: Backend,
        /// Where to write the checkpoint.
        #[arg(long, short)]
        out: PathBuf,
    }

    #[derive(clap::Args)]
    struct EncodeArgs {
        /// A checkpoint written by `train` or by `save()` in a page.
        #[arg(long)]
        model: PathBuf,
        /// `mnist` (its held-out digits), `emoji` (its held-out emoji) or a folder of images, in
        /// file-name order.
        #[arg(long, default_value = "mnist")]
        data: String,
        /// How many images to encode, from the first.
        #[arg(long, default_value_t = 8)]
        count: usize,
        #[arg(long, value_enum, default_value_t = Backend::Cpu)]
        backend: Backend,
    }

    #[derive(Clone, Copy, ValueEnum)]
    enum Backend {
        /// burn's Flex CPU backend (always built).
        Cpu,
        /// wgpu on Vulkan, Metal or DX12 (build with `--features gpu`).
        Gpu,
        /// CUDA (build with `--features cuda`).
        Cuda,
    }

    type CliResult<T> = Result<T, String>;

    pub fn main() -> ExitCode {
        let outcome = match Cli::parse().command {
            Command::Train(args) => train(args),
            Command::Encode(args) => encode(args),
        };
        match outcome {
            Ok(()) => ExitCode::SUCCESS,
            Err(message) => {
                eprintln!("error: {message}");
                ExitCode::FAILURE
            }
        }
    }

    fn device(backend: Backend) -> CliResult<Device> {
        match backend {
            Backend::Cpu => Ok(Device::flex()),
            #[cfg(feature = "gpu")]
            Backend::Gpu => Ok(Device::wgpu(burn::tensor::DeviceKind::DefaultDevice)),
            #[cfg(feature = "cuda")]
            Backend::Cuda => Ok(Device::cuda(0)),
            #[allow(unreachable_patterns)]
            _ => Err(
                "this build has no such backend: rebuild with `--features gpu` (wgpu) or \
                 `--features cuda`"
                    .into(),
            ),
        }
    }

    /// `count` devices of `backend` for data-parallel training.
    fn devices(backend: Backend, count: usize) -> CliResult<Vec<Device>> {
        let devices: Vec<Device> = match backend {
            Backend::Cpu => vec![Device::flex(); count],
            #[cfg(feature = "gpu")]
            Backend::Gpu => burn::tensor::Device::enumerate(burn::tensor::DeviceType::Wgpu)
                .into_vec()
                .into_iter()
                .take(count)
                .collect(),
            #[cfg(feature = "cuda")]
            Backend::Cuda => (0..count).map(Device::cuda).collect(),
            #[allow(unreachable_patterns)]
            _ => return Ok(vec![device(backend)?]),
        };
        if devices.len() < count {
            return Err(format!(
                "--devices {count}: only {} device(s) of this backend were found",
                devices.len()
            ));
        }
        Ok(devices)
    }

    fn parse_config(text_or_path: &str) -> CliResult<ModelConfig> {
        let text = if text_or_path.trim_start().starts_with('{') {
            text_or_path.to_string()
        } else {
            std::fs::read_to_string(text_or_path)
                .map_err(|e| format!("cannot read the config file {text_or_path}: {e}"))?
        };
        let config: ModelConfig = serde_json::from_str(&text)
            .map_err(|e| format!("the config is not a valid ModelConfig: {e}"))?;
        config.validate().map_err(|e| e.to_string())?;
        Ok(config)
    }

    /// Training and held-out images for `shape` from `mnist`, `emoji` or a folder.
    fn load_data(source: &str, shape: [usize; 3]) -> CliResult<(Images, Images)> {
        if source == "emoji" {
            if shape != [3, 32, 32] {
                return Err(format!(
                    "the bundled emoji are [3, 32, 32] (RGB); the model's inputShape is {shape:?}"
                ));
            }
            let (train, _, test, _) = Emoji::load_bundled().map_err(|e| e.to_string())?.split();
            return Ok((train, test));
        }
        if source == "mnist" {
            if shape != [1, 28, 28] {
                return Err(format!(
                    "the bundled MNIST digits are [1, 28, 28]; the model's inputShape is {shape:?}"
                ));
            }
            let (train, _, test, _) = Mnist::load_bundled().map_err(|e| e.to_string())?.split();
            return Ok((train, test));
        }
        let images = load_folder(Path::new(source), shape)?;
        let all: Vec<usize> = (0..images.len()).collect();
        // Every tenth image is held out, when there are enough to spare.
        let (held, kept): (Vec<usize>, Vec<usize>) = if images.len() >= 10 {
            all.iter().partition(|&&i| i % 10 == 9)
        } else {
            (all.clone(), all)
        };
        Ok((images.subset(&kept), images.subset(&held)))
    }

    /// Every PNG / JPEG in `dir` (file-name order), resized to `shape` the way the browser
    /// resizes `ImageData` (`rgba_to_image`), in colour for 3 channels, else gray.
    fn load_folder(dir: &Path, shape: [usize; 3]) -> CliResult<Images> {
        let entries = std::fs::read_dir(dir).map_err(|e| {
            format!(
                "--data must be `mnist`, `emoji` or a folder of images; cannot read {}: {e}",
                dir.display()
            )
        })?;
        let mut paths: Vec<PathBuf> = entries
            .filter_map(|entry| entry.ok().map(|e| e.path()))
            .filter(|p| {
                p.extension().and_then(|e| e.to_str()).is_some_and(|e| {
                    matches!(e.to_ascii_lowercase().as_str(), "png" | "jpg" | "jpeg")
                })
            })
            .collect();
        paths.sort();
        if paths.is_empty() {
            return Err(format!("no PNG or JPEG images in {}", dir.display()));
        }
        let mut values = Vec::with_capacity(paths.len() * shape.iter().product::<usize>());
        for path in &paths {
            let rgba = image::open(path)
                .map_err(|e| format!("cannot decode {}: {e}", path.display()))?
                .to_rgba8();
            let (width, height) = (rgba.width() as usize, rgba.height() as usize);
            let pixels = rgba_to_image(rgba.as_raw(), width, height, shape)
                .map_err(|e| format!("{}: {e}", path.display()))?;
            values.extend(pixels);
        }
        Images::new(values, shape).map_err(|e| e.to_string())
    }

    /// A progress bar with samples/s and the time left (hidden when stderr is not a terminal).
    struct Bar {
        bar: ProgressBar,
        started: Instant,
    }

    impl autoencoders::TrainObserver for Bar {
        fn on_step(&mut self, p: &StepProgress) -> Control {
            if self.bar.length().is_none() {
                self.bar.set_length((p.epochs * p.steps_per_epoch) as u64);
            }
            let rate = p.samples_seen as f64 / self.started.elapsed().as_secs_f64().max(1e-9);
            self.bar.set_position(p.global_step as u64 + 1);
            self.bar.set_message(format!(
                "epoch {}/{}  loss {:.4}  {rate:.0} samples/s",
                p.epoch + 1,
                p.epochs,
                p.loss
            ));
            Control::Continue
        }

        fn on_epoch(&mut self, summary: &EpochSummary) -> Control {
            self.bar.println(format!(
                "epoch {:>3}: train loss {:.4}",
                summary.epoch + 1,
                summary.train_loss
            ));
            Control::Continue
        }
    }

    fn train(args: TrainArgs) -> CliResult<()> {
        if args.devices == 0 {
            return Err("--devices must be at least 1".into());
        }
        // Said before training, not after it (when the trained weights could not be kept).
        if let Some(folder) = args.out.parent().filter(|f| !f.as_os_str().is_empty())
            && !folder.is_dir()
        {
            return Err(format!(
                "cannot write {}: the folder {} does not exist",
                args.out.display(),
                folder.display()
            ));
        }
        let device = device(args.backend)?;
        let mut model = match &args.resume {
            Some(path) => {
                let bytes = std::fs::read(path)
                    .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
                Autoencoder::load(&bytes, device).map_err(|e| e.to_string())?
            }
            None => {
                let config = parse_config(args.config.as_deref().unwrap_or("{}"))?;
                Autoencoder::new(config, args.seed, device).map_err(|e| e.to_string())?
            }
        };
        let config = model.config().clone();
        let (train_set, held_out) = load_data(&args.data, config.input_shape)?;
        let cfg = TrainConfig {
            epochs: args.epochs,
            batch_size: args.batch_size,
            learning_rate: args.learning_rate,
            seed: args.seed,
            max_steps: args.max_steps,
            ..Default::default()
        };
        cfg.validate().map_err(|e| e.to_string())?;
        println!(
            "training a {:?} {:?} autoencoder ({} parameters) on {} images of {:?}",
            config.kind,
            config.architecture,
            model.num_params(),
            train_set.len(),
            config.input_shape
        );
        if args.devices > 1 {
            train_on_devices(&mut model, &args, &cfg, &train_set)?;
        } else {
            train_here(&mut model, &cfg, &train_set)?;
        }
        println!("{}", quality_line(&model, &held_out)?);
        let bytes = block_on(model.save()).map_err(|e| e.to_string())?;
        std::fs::write(&args.out, &bytes)
            .map_err(|e| format!("cannot write {}: {e}", args.out.display()))?;
        println!("wrote {} ({} bytes)", args.out.display(), bytes.len());
        Ok(())
    }

    /// The project's own loop, on one device, with a progress bar of steps.
    fn train_here(model: &mut Autoencoder, cfg: &TrainConfig, train_set: &Images) -> CliResult<()> {
        let bar = ProgressBar::new_spinner().with_style(
            ProgressStyle::with_template("{bar:30} {pos}/{len} steps  {msg}  ETA {eta}")
                .map_err(|e| e.to_string())?,
        );
        bar.unset_length();
        let mut observer = Bar {
            bar,
            started: Instant::now(),
        };
        let started = Instant::now();
        let history = block_on(model.train(train_set, None, cfg, &mut observer))
            .map_err(|e| e.to_string())?;
        observer.bar.finish_and_clear();
        let seconds = started.elapsed().as_secs_f64();
        let seen = history.steps * cfg.batch_size.min(train_set.len());
        println!(
            "trained {} steps in {seconds:.1} s ({:.0} samples/s); last loss {:.4}",
            history.steps,
            seen as f64 / seconds.max(1e-9),
            history.step_losses.last().copied().unwrap_or(f32::NAN)
        );
        Ok(())
    }

    /// burn-train's Learner, data-parallel on `args.devices` devices, with a progress bar of
    /// images. Its metric logs go to a scratch folder that is removed afterwards.
    fn train_on_devices(
        model: &mut Autoencoder,
        args: &TrainArgs,
        cfg: &TrainConfig,
        train_set: &Images,
    ) -> CliResult<()> {
        let devices = devices(args.backend, args.devices)?;
        let bar = ProgressBar::new(0).with_style(
            ProgressStyle::with_template("{bar:30} {pos}/{len} images  {msg}  ETA {eta}")
                .map_err(|e| e.to_string())?,
        );
        let shown = bar.clone();
        let progress = move |p: LearnerProgress| {
            if p.training {
                shown.set_length((p.total * p.epochs) as u64);
                shown.set_position(((p.epoch - 1) * p.total + p.done) as u64);
                shown.set_message(format!("epoch {}/{}", p.epoch, p.epochs));
            }
        };
        let scratch =
            std::env::temp_dir().join(format!("autoencoders-learner-{}", std::process::id()));
        let started = Instant::now();
        let result = block_on(model.train_with_learner(
            train_set,
            None,
            cfg,
            LearnerRun {
                devices,
                shuffle: true,
                directory: &scratch,
                progress: Some(Box::new(progress)),
            },
        ));
        let _ = std::fs::remove_dir_all(&scratch);
        bar.finish_and_clear();
        let objective = result.map_err(|e| e.to_string())?;
        let seconds = started.elapsed().as_secs_f64();
        println!(
            "trained {} epochs on {} devices with burn-train in {seconds:.1} s ({:.0} samples/s); training objective {objective:.4}",
            cfg.epochs,
            args.devices,
            (cfg.epochs * train_set.len()) as f64 / seconds.max(1e-9),
        );
        Ok(())
    }

    /// The metrics of `reports/QUALITY.md` on held-out images: reconstruction PSNR, and the
    /// negative ELBO for a VAE.
    fn quality_line(model: &Autoencoder, held_out: &Images) -> CliResult<String> {
        let reconstructed = block_on(model.reconstruct(held_out)).map_err(|e| e.to_string())?;
        let mut line = format!(
            "held-out ({} images): reconstruction PSNR {:.2} dB",
            held_out.len(),
            psnr(metrics::mse(&reconstructed, held_out.values()))
        );
        if model.config().kind == Kind::Variational {
            let elbo =
                block_on(metrics::negative_elbo(model, held_out, 0)).map_err(|e| e.to_string())?;
            line.push_str(&format!(", negative ELBO {elbo:.2} nats per image"));
        }
        Ok(line)
    }

    fn encode(args: EncodeArgs) -> CliResult<()> {
        let bytes = std::fs::read(&args.model)
            .map_err(|e| format!("cannot read {}: {e}", args.model.display()))?;
        let model = Autoencoder::load(&bytes, device(args.backend)?).map_err(|e| e.to_string())?;
        let shape = model.config().input_shape;
        let images = if args.data == "mnist" || args.data == "emoji" {
            load_data(&args.data, shape)?.1
        } else {
            load_folder(Path::new(&args.data), shape)?
        };
        let count = args.count.clamp(1, images.len());
        let images = images.subset(&(0..count).collect::<Vec<_>>());
        let codes = block_on(model.encode(&images)).map_err(|e| e.to_string())?;
        let latent = model.config().latent;
        let rows: Vec<&[f32]> = codes.chunks(latent).collect();
        println!("{}", serde_json::json!({ "latent": latent, "codes": rows }));
        Ok(())
    }
}

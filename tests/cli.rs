//! The command-line trainer, run as a user runs it: train from a folder of PNG images, get a
//! checkpoint the library loads with the same weights (the page test loads the same kind of file
//! in a browser), its quality line, `encode` output equal to the library's, and clear errors.
#![cfg(not(target_arch = "wasm32"))]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use autoencoders::data::rgba_to_image;
use autoencoders::{Autoencoder, Images};
use burn::tensor::Device;

const SIDE: u32 = 8;

fn cli(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_autoencoders"))
        .args(args)
        .output()
        .expect("the trainer runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// 40 colour PNGs of bars (a row or a column, red or blue), and their RGBA bytes.
fn image_folder(dir: &Path) -> Vec<Vec<u8>> {
    std::fs::create_dir_all(dir).unwrap();
    (0..40u32)
        .map(|i| {
            let (k, vertical, red) = (i % SIDE, (i / SIDE).is_multiple_of(2), i % 3 == 0);
            let img = image::RgbaImage::from_fn(SIDE, SIDE, |x, y| {
                let on = if vertical { x == k } else { y == k };
                match (on, red) {
                    (true, true) => image::Rgba([230, 40, 30, 255]),
                    (true, false) => image::Rgba([30, 60, 220, 255]),
                    _ => image::Rgba([10, 10, 10, 255]),
                }
            });
            img.save(dir.join(format!("bar-{i:02}.png"))).unwrap();
            img.into_raw()
        })
        .collect()
}

fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

#[test]
fn trains_from_a_folder_of_images_into_a_checkpoint_the_library_loads() {
    let dir = scratch("cli-folder");
    let rgba = image_folder(&dir.join("images"));
    let out = dir.join("bars.ae");
    let config = r#"{"inputShape":[3,8,8],"hidden":[64],"latent":8,"loss":"mse"}"#;
    let run = cli(&[
        "train",
        "--config",
        config,
        "--data",
        dir.join("images").to_str().unwrap(),
        "--epochs",
        "150",
        "--batch-size",
        "12",
        "--learning-rate",
        "0.003",
        "--seed",
        "3",
        "--out",
        out.to_str().unwrap(),
    ]);
    let stdout = text(&run.stdout);
    assert!(run.status.success(), "{stdout}\n{}", text(&run.stderr));
    assert!(stdout.contains("on 36 images of [3, 8, 8]"), "{stdout}");
    assert!(
        stdout.contains("held-out (4 images): reconstruction PSNR"),
        "{stdout}"
    );

    // The library loads it, and its codes of the same pixels equal the trainer's `encode`.
    let model = Autoencoder::load(&std::fs::read(&out).unwrap(), Device::flex()).unwrap();
    assert_eq!(model.config().input_shape, [3, 8, 8]);
    let pixels: Vec<f32> = rgba[..3]
        .iter()
        .flat_map(|p| rgba_to_image(p, 8, 8, [3, 8, 8]).unwrap())
        .collect();
    let ours =
        pollster::block_on(model.encode(&Images::new(pixels.clone(), [3, 8, 8]).unwrap())).unwrap();
    let encoded = cli(&[
        "encode",
        "--model",
        out.to_str().unwrap(),
        "--data",
        dir.join("images").to_str().unwrap(),
        "--count",
        "3",
    ]);
    assert!(encoded.status.success(), "{}", text(&encoded.stderr));
    let json: serde_json::Value = serde_json::from_slice(&encoded.stdout).unwrap();
    let theirs: Vec<f32> = json["codes"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|row| {
            row.as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_f64().unwrap() as f32)
        })
        .collect();
    assert_eq!(ours, theirs, "the trainer and the library encode alike");

    // It learned: its reconstructions of training images are far better than a constant image.
    let reconstructed =
        pollster::block_on(model.reconstruct(&Images::new(pixels.clone(), [3, 8, 8]).unwrap()))
            .unwrap();
    let mean = pixels.iter().sum::<f32>() / pixels.len() as f32;
    let error = |a: &[f32]| {
        a.iter()
            .zip(&pixels)
            .map(|(x, y)| (x - y).powi(2))
            .sum::<f32>()
    };
    assert!(
        error(&reconstructed) < 0.2 * error(&vec![mean; pixels.len()]),
        "reconstruction error {} vs a constant image's {}",
        error(&reconstructed),
        error(&vec![mean; pixels.len()])
    );

    // Fine-tuning resumes from the checkpoint.
    let tuned = dir.join("tuned.ae");
    let run = cli(&[
        "train",
        "--resume",
        out.to_str().unwrap(),
        "--data",
        dir.join("images").to_str().unwrap(),
        "--epochs",
        "1",
        "--out",
        tuned.to_str().unwrap(),
    ]);
    assert!(run.status.success(), "{}", text(&run.stderr));
    assert!(tuned.exists());
}

#[test]
fn bad_input_gets_a_clear_message_and_a_failing_exit_code() {
    let dir = scratch("cli-errors");
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join("x.ae");
    let out = out.to_str().unwrap();
    let cases: [(&[&str], &str); 5] = [
        (
            &["train", "--config", r#"{"laten":4}"#, "--out", out],
            "unknown field `laten`",
        ),
        (
            &["train", "--config", r#"{"latent":0}"#, "--out", out],
            "latent",
        ),
        (
            &[
                "train",
                "--config",
                "{}",
                "--data",
                "/no/such/folder",
                "--out",
                out,
            ],
            "cannot read /no/such/folder",
        ),
        (
            &[
                "train",
                "--config",
                "{}",
                "--data",
                dir.to_str().unwrap(),
                "--out",
                out,
            ],
            "no PNG or JPEG images",
        ),
        (
            &["encode", "--model", "/no/such/model.ae"],
            "cannot read /no/such/model.ae",
        ),
    ];
    for (args, expected) in cases {
        let run = cli(args);
        let stderr = text(&run.stderr);
        assert!(!run.status.success(), "{args:?} should fail");
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    }
    // A file that is not a model.
    let png = dir.join("not-a-model.ae");
    std::fs::write(&png, b"\x89PNG\r\n\x1a\nrest").unwrap();
    let run = cli(&["encode", "--model", png.to_str().unwrap()]);
    assert!(text(&run.stderr).contains("not an autoencoders model file"));
}

#[test]
fn trains_on_the_bundled_colour_emoji_with_their_fixed_split() {
    let dir = scratch("cli-emoji");
    // A checkpoint path in a folder that does not exist is refused before any training.
    let nowhere = cli(&[
        "train",
        "--config",
        "{}",
        "--data",
        "emoji",
        "--out",
        dir.join("emoji.ae").to_str().unwrap(),
    ]);
    assert!(!nowhere.status.success());
    assert!(
        text(&nowhere.stderr).contains("does not exist") && nowhere.stdout.is_empty(),
        "{}",
        text(&nowhere.stderr)
    );
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join("emoji.ae");
    let config = r#"{"inputShape":[3,32,32],"hidden":[128],"latent":16,"loss":"mse"}"#;
    let run = cli(&[
        "train",
        "--config",
        config,
        "--data",
        "emoji",
        "--epochs",
        "2",
        "--max-steps",
        "80",
        "--batch-size",
        "64",
        "--learning-rate",
        "0.003",
        "--out",
        out.to_str().unwrap(),
    ]);
    let stdout = text(&run.stdout);
    assert!(run.status.success(), "{stdout}\n{}", text(&run.stderr));
    assert!(stdout.contains("on 3415 images of [3, 32, 32]"), "{stdout}");
    // The quality line is on the 371 held-out emoji, and beats drawing the mean training emoji
    // every time (11.45 dB, tests/pretrained.rs).
    let psnr: f32 = stdout
        .split("held-out (371 images): reconstruction PSNR ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no quality line for 371 held-out emoji: {stdout}"));
    assert!(psnr > 12.5, "held-out PSNR {psnr} dB after 80 steps");

    // Encoding the held-out emoji with the checkpoint.
    let encoded = cli(&[
        "encode",
        "--model",
        out.to_str().unwrap(),
        "--data",
        "emoji",
        "--count",
        "3",
    ]);
    assert!(encoded.status.success(), "{}", text(&encoded.stderr));
    let json: serde_json::Value = serde_json::from_slice(&encoded.stdout).unwrap();
    assert_eq!(json["codes"].as_array().map(Vec::len), Some(3));

    // A gray model cannot take the colour emoji: said plainly.
    let wrong = cli(&[
        "train",
        "--config",
        r#"{"latent":4}"#,
        "--data",
        "emoji",
        "--out",
        dir.join("never.ae").to_str().unwrap(),
    ]);
    assert!(!wrong.status.success());
    assert!(
        text(&wrong.stderr).contains(
            "the bundled emoji are [3, 32, 32] (RGB); the model's inputShape is [1, 28, 28]"
        ),
        "{}",
        text(&wrong.stderr)
    );
}

#[test]
fn trains_data_parallel_on_two_devices_with_burn_train() {
    let dir = scratch("cli-devices");
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join("two.ae");
    let run = cli(&[
        "train",
        "--config",
        r#"{"kind":"variational","hidden":[128],"latent":8}"#,
        "--data",
        "mnist",
        "--epochs",
        "2",
        "--devices",
        "2",
        "--out",
        out.to_str().unwrap(),
    ]);
    let stdout = text(&run.stdout);
    assert!(run.status.success(), "{stdout}\n{}", text(&run.stderr));
    assert!(
        stdout.contains("trained 2 epochs on 2 devices with burn-train"),
        "{stdout}"
    );
    // The quality line: a trained VAE, far below the ~550 nats of fresh weights.
    let elbo: f32 = stdout
        .split("negative ELBO ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no negative ELBO in {stdout}"));
    assert!(elbo < 300.0, "held-out negative ELBO {elbo}");
    // The checkpoint is an ordinary one.
    let model = autoencoders::Autoencoder::load(
        &std::fs::read(&out).unwrap(),
        burn::tensor::Device::flex(),
    )
    .unwrap();
    assert_eq!(model.config().latent, 8);

    let none = cli(&[
        "train",
        "--devices",
        "0",
        "--out",
        out.to_str().unwrap(),
        "--config",
        "{}",
    ]);
    assert!(!none.status.success());
    assert!(text(&none.stderr).contains("--devices must be at least 1") && none.stdout.is_empty());
}

#[test]
fn a_copied_trainer_finds_the_data_in_autoencoders_data_first() {
    // AUTOENCODERS_DATA is looked at before the repository's data/: a folder whose mnist.bin is
    // not an MNIST asset makes `--data mnist` fail with the asset's own complaint.
    let dir = scratch("cli-data-dir");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("mnist.bin"), b"not the digits").unwrap();
    let out = dir.join("never.ae");
    let run = Command::new(env!("CARGO_BIN_EXE_autoencoders"))
        .env("AUTOENCODERS_DATA", &dir)
        .current_dir(&dir)
        .args(["train", "--config", "{}", "--data", "mnist", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(!run.status.success());
    assert!(
        text(&run.stderr).contains("not an MNIST asset"),
        "{}",
        text(&run.stderr)
    );
    // From another folder, without the variable, the repository's data/ is found.
    let run = Command::new(env!("CARGO_BIN_EXE_autoencoders"))
        .current_dir(&dir)
        .env_remove("AUTOENCODERS_DATA")
        .args([
            "train",
            "--config",
            r#"{"hidden":[16],"latent":2}"#,
            "--data",
            "mnist",
        ])
        .args(["--epochs", "1", "--max-steps", "2", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(run.status.success(), "{}", text(&run.stderr));
}

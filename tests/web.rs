//! Browser tests of the JS-facing class, on WebGPU and on the CPU backend.
//! Run with `wasm-pack test --headless --chrome --release` (see scripts/test.sh).
#![cfg(target_arch = "wasm32")]

use autoencoders::web::Autoencoder;
use js_sys::{Float32Array, Function, Object, Reflect};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const SIDE: usize = 8;
const PIXELS: usize = SIDE * SIDE;

/// `n` 8x8 images of bars: a learnable, structured set.
fn bars(n: usize) -> Float32Array {
    let mut values = vec![0.0f32; n * PIXELS];
    for i in 0..n {
        let (row, vertical) = (i % SIDE, (i / SIDE).is_multiple_of(2));
        for k in 0..SIDE {
            let p = if vertical {
                k * SIDE + row
            } else {
                row * SIDE + k
            };
            values[i * PIXELS + p] = 1.0;
        }
    }
    Float32Array::from(values.as_slice())
}

fn object(pairs: &[(&str, JsValue)]) -> JsValue {
    let o = Object::new();
    for (k, v) in pairs {
        Reflect::set(&o, &(*k).into(), v).unwrap();
    }
    o.into()
}

fn small_config() -> JsValue {
    let shape = js_sys::Array::of3(&1.into(), &(SIDE as u32).into(), &(SIDE as u32).into());
    let hidden = js_sys::Array::of1(&16.into());
    object(&[
        ("inputShape", shape.into()),
        ("hidden", hidden.into()),
        ("latent", 4.into()),
        ("loss", "bce".into()),
    ])
}

async fn create(backend: &str) -> Autoencoder {
    Autoencoder::create(
        small_config(),
        object(&[("backend", backend.into()), ("seed", 3.into())]),
    )
    .await
    .unwrap_or_else(|e| panic!("create({backend}) failed: {e:?}"))
}

fn error_code(e: &JsValue) -> String {
    Reflect::get(e, &"code".into())
        .unwrap()
        .as_string()
        .unwrap_or_default()
}

fn step_losses(history: &JsValue) -> Vec<f64> {
    let losses = Reflect::get(history, &"stepLosses".into()).unwrap();
    js_sys::Array::from(&losses)
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect()
}

async fn trains_and_loss_falls(backend: &str, steps: u32) {
    let model = create(backend).await;
    assert_eq!(model.backend(), backend);
    let seen = std::rc::Rc::new(std::cell::Cell::new(0u32));
    let counter = seen.clone();
    let on_progress =
        Closure::<dyn FnMut(JsValue)>::new(move |_p: JsValue| counter.set(counter.get() + 1));
    let options = object(&[
        ("epochs", 1000.into()),
        ("batchSize", 16.into()),
        ("learningRate", 0.01.into()),
        ("maxSteps", steps.into()),
        ("onProgress", on_progress.as_ref().clone()),
    ]);
    let history = model.train(bars(16).into(), options).await.unwrap();
    let losses = step_losses(&history);
    assert_eq!(losses.len(), steps as usize);
    assert_eq!(seen.get(), steps, "onProgress is called once per step");
    let (first, last) = (losses[0], *losses.last().unwrap());
    assert!(
        last < first * 0.8,
        "{backend}: loss should fall: {losses:?}"
    );

    let codes = model.encode(bars(3).into()).await.unwrap();
    assert_eq!(codes.length() as usize, 3 * 4);
    let images = model.decode(codes.into()).await.unwrap();
    assert_eq!(images.length() as usize, 3 * PIXELS);
    let samples = model
        .sample(2.into(), object(&[("seed", 1.into())]))
        .await
        .unwrap();
    assert_eq!(samples.length() as usize, 2 * PIXELS);

    // Every other method, on this backend.
    let images = bars(2);
    let reconstructed = model.reconstruct(images.clone().into()).await.unwrap();
    assert_eq!(reconstructed.length() as usize, 2 * PIXELS);
    assert_eq!(
        model.denoise(images.clone().into()).await.unwrap().to_vec(),
        reconstructed.to_vec()
    );
    let noisy = model
        .corrupt(
            images.clone().into(),
            object(&[("type", "masking".into()), ("fraction", 0.5.into())]),
            3.into(),
        )
        .unwrap();
    assert_ne!(noisy.to_vec(), images.to_vec());
    let mask = Float32Array::from(
        &(0..PIXELS)
            .map(|p| if p < PIXELS / 2 { 1.0f32 } else { 0.0 })
            .collect::<Vec<_>>()[..],
    );
    let filled = model
        .inpaint(
            images.clone().into(),
            mask.into(),
            object(&[("iterations", 3.into())]),
        )
        .await
        .unwrap();
    let (known, got) = (images.to_vec(), filled.to_vec());
    assert_eq!(
        &got[PIXELS / 2..PIXELS],
        &known[PIXELS / 2..PIXELS],
        "known pixels unchanged"
    );
    let path = model
        .interpolate(
            bars(1).into(),
            bars(2).subarray(PIXELS as u32, 2 * PIXELS as u32).into(),
            4.into(),
            object(&[("method", "slerp".into())]),
        )
        .await
        .unwrap();
    assert_eq!(path.length() as usize, 4 * PIXELS);

    // save -> load gives identical outputs (on the CPU backend, where both are exact).
    let bytes = model.save().await.unwrap();
    let loaded = Autoencoder::load(bytes.clone().into(), object(&[("backend", backend.into())]))
        .await
        .unwrap();
    assert_eq!(
        loaded.save().await.unwrap().to_vec(),
        bytes.to_vec(),
        "save -> load -> save is byte-identical"
    );
    assert_eq!(
        loaded
            .reconstruct(images.clone().into())
            .await
            .unwrap()
            .to_vec(),
        reconstructed.to_vec()
    );

    model.dispose();
    assert!(model.disposed());
    assert_eq!(
        error_code(&model.encode(images.into()).await.unwrap_err()),
        "DISPOSED"
    );
}

#[wasm_bindgen_test]
async fn cpu_backend_trains_and_the_loss_falls() {
    trains_and_loss_falls("cpu", 40).await;
}

#[wasm_bindgen_test]
async fn webgpu_backend_trains_and_the_loss_falls() {
    // SwiftShader runs WebGPU on the CPU in CI: keep this tiny.
    trains_and_loss_falls("webgpu", 12).await;
}

/// A small model of `kind` ("variational", ...) and `architecture` ("dense" or "conv") for the
/// 8x8 bars.
fn kind_config(kind: &str, architecture: &str) -> JsValue {
    let shape = js_sys::Array::of3(&1.into(), &(SIDE as u32).into(), &(SIDE as u32).into());
    object(&[
        ("kind", kind.into()),
        ("architecture", architecture.into()),
        ("inputShape", shape.into()),
        (
            "convChannels",
            js_sys::Array::of2(&4.into(), &8.into()).into(),
        ),
        ("hidden", js_sys::Array::of1(&16.into()).into()),
        ("latent", 4.into()),
    ])
}

/// Each model's reconstruction of `images`.
async fn reconstruct_each(models: &[Autoencoder], images: &Float32Array) -> Vec<Vec<f32>> {
    let mut outputs = Vec::new();
    for model in models {
        outputs.push(
            model
                .reconstruct(images.clone().into())
                .await
                .unwrap()
                .to_vec(),
        );
    }
    outputs
}

/// The WebGPU module (burn's fused kernels) computes what the CPU backend computes: the same
/// seeded model reconstructs alike before training, and trained the same steps on the same
/// batches (weights, batch order and noise all come from the host's seeded generator) it has the
/// same step losses. A dense VAE (BCE, KL, reparameterisation) and a conv contractive model (conv
/// and transposed conv, the Jacobian penalty's estimator).
#[wasm_bindgen_test]
async fn webgpu_and_cpu_agree_step_by_step() {
    let max_difference = |a: &[f32], b: &[f32]| {
        assert_eq!(a.len(), b.len());
        a.iter()
            .zip(b)
            .map(|(x, y)| (x - y).abs())
            .fold(0.0f32, f32::max)
    };
    for (kind, architecture) in [("variational", "dense"), ("contractive", "conv")] {
        let mut models = Vec::new();
        for backend in ["cpu", "webgpu"] {
            let options = object(&[("backend", backend.into()), ("seed", 5.into())]);
            let model = Autoencoder::create(kind_config(kind, architecture), options)
                .await
                .unwrap();
            assert_eq!(model.backend(), backend);
            models.push(model);
        }
        let images = bars(16);
        let outputs = reconstruct_each(&models, &images).await;
        let before = max_difference(&outputs[0], &outputs[1]);
        assert!(
            before < 1e-5,
            "{kind} {architecture}: untrained outputs differ by {before}"
        );

        let mut losses = Vec::new();
        for model in &models {
            let options = object(&[
                ("epochs", 1000.into()),
                ("batchSize", 8.into()),
                ("learningRate", 0.01.into()),
                ("maxSteps", 4.into()),
                ("seed", 7.into()),
            ]);
            let history = model.train(images.clone().into(), options).await.unwrap();
            losses.push(step_losses(&history));
        }
        assert_eq!(losses[0].len(), 4);
        for (cpu, gpu) in losses[0].iter().zip(&losses[1]) {
            assert!(
                (cpu - gpu).abs() <= 1e-5 * cpu.abs(),
                "{kind} {architecture}: step losses cpu {:?}, webgpu {:?}",
                losses[0],
                losses[1]
            );
        }
        // The step losses alone would pass if neither model learned: the weights moved alike.
        let after = reconstruct_each(&models, &images).await;
        let moved = max_difference(&outputs[0], &after[0]);
        let apart = max_difference(&after[0], &after[1]);
        assert!(
            moved > 1e-2 && apart < 1e-4,
            "{kind} {architecture}: training moved the outputs by {moved}, the backends are {apart} apart"
        );
    }
}

/// The dense layers' products on WebGPU (src/device_matmul.rs, this crate's WGSL kernels) against
/// burn's matmul on the same device, forward and through autodiff, for each operand layout
/// (`a b`, `a bᵀ`, `aᵀ b`; each one's backward pass runs two of the others). Rows that are not a
/// multiple of four, a dispatch of several thousand workgroups, and shapes the kernels do not
/// take (widths not a multiple of four: burn's matmul then) all agree.
#[cfg(feature = "webgpu")]
#[wasm_bindgen_test]
async fn webgpu_products_match_burns_matmul_forward_and_backward() {
    use autoencoders::device_matmul::{Layout, kernel_launches, product, product_of};
    use burn::tensor::{Tensor, TensorData};

    async fn values(t: Tensor<2>) -> Vec<f32> {
        let data = t.into_data_async().await.expect("a readable tensor");
        data.try_into_vec::<f32>().expect("f32 values")
    }
    fn filled(shape: [usize; 2], phase: f32) -> TensorData {
        let values = (0..shape[0] * shape[1]).map(|i| (i as f32 * 0.37 + phase).sin());
        TensorData::new(values.collect::<Vec<f32>>(), shape)
    }
    let device = autoencoders::web::webgpu_device()
        .await
        .unwrap_or_else(|e| panic!("WebGPU: {e:?}"))
        .autodiff();
    let shapes = [
        [7, 5, 8],
        [128, 784, 400],
        [2048, 64, 64],
        [9, 12, 6],
        [4, 10, 12],
        [1, 4, 4],
    ];
    for layout in [
        Layout::Plain,
        Layout::RightTransposed,
        Layout::LeftTransposed,
    ] {
        for [m, k, n] in shapes {
            // Operands as stored: `a` is [k, m] when read transposed, `b` [n, k].
            let a_shape = if layout == Layout::LeftTransposed {
                [k, m]
            } else {
                [m, k]
            };
            let b_shape = if layout == Layout::RightTransposed {
                [n, k]
            } else {
                [k, n]
            };
            let r = Tensor::<2>::from_data(filled([m, n], 0.3), &device);
            let mut results = Vec::new();
            let launched_before = kernel_launches();
            for ours in [true, false] {
                let a = Tensor::<2>::from_data(filled(a_shape, 0.1), &device).require_grad();
                let b = Tensor::<2>::from_data(filled(b_shape, 0.7), &device).require_grad();
                let c = match (ours, layout) {
                    (true, Layout::Plain) => product(&a, &b),
                    (true, layout) => product_of(&a, &b, layout),
                    (false, Layout::Plain) => Some(a.clone().matmul(b.clone())),
                    (false, Layout::RightTransposed) => {
                        Some(a.clone().matmul(b.clone().transpose()))
                    }
                    (false, Layout::LeftTransposed) => {
                        Some(a.clone().transpose().matmul(b.clone()))
                    }
                };
                let c = c.expect("a WebGPU device");
                // A weighted sum, so that every entry of c sends a different gradient back.
                let gradients = (c.clone() * r.clone()).sum().backward();
                let da = a.grad(&gradients).expect("a's gradient");
                let db = b.grad(&gradients).expect("b's gradient");
                results.push([values(c.inner()).await, values(da).await, values(db).await]);
                if ours {
                    // The product and both gradients ran on this crate's kernels where every
                    // width they read as `vec4`s is a multiple of four, and all three on burn's
                    // for a plain [9, 12] @ [12, 6] (the product and `b`'s gradient have n = 6,
                    // `a`'s gradient reads along k = 6). Other cases mix the two.
                    let launched = kernel_launches() - launched_before;
                    let expected = match [m, k, n] {
                        [128, 784, 400] | [2048, 64, 64] => Some(3),
                        [9, 12, 6] if layout == Layout::Plain => Some(0),
                        _ => None,
                    };
                    if let Some(expected) = expected {
                        assert_eq!(
                            launched, expected,
                            "{layout:?} [{m}, {k}, {n}]: kernels run"
                        );
                    }
                }
            }
            for (what, (ours, burns)) in ["product", "a's gradient", "b's gradient"]
                .iter()
                .zip(results[0].iter().zip(&results[1]))
            {
                let case = format!("{layout:?} [m, k, n] = [{m}, {k}, {n}]: {what}");
                assert_eq!(ours.len(), burns.len(), "{case}");
                let worst = ours
                    .iter()
                    .zip(burns)
                    .map(|(x, y)| (x - y).abs() / (1.0 + y.abs()))
                    .fold(0.0f32, f32::max);
                assert!(worst < 1e-5, "{case} differs by {worst}");
            }
        }
    }
}

#[wasm_bindgen_test]
async fn webgpu_is_refused_with_no_webgpu_when_unavailable_and_auto_reports_its_choice() {
    // Headless Chromium here has a SwiftShader adapter: 'auto' must not take a software fallback.
    let auto = Autoencoder::create(small_config(), object(&[("backend", "auto".into())]))
        .await
        .unwrap();
    let gpu = Autoencoder::create(small_config(), object(&[("backend", "webgpu".into())]))
        .await
        .unwrap();
    let info = gpu.adapter_info();
    let fallback = Reflect::get(&info, &"isFallbackAdapter".into())
        .unwrap()
        .as_bool()
        .unwrap();
    assert_eq!(auto.backend(), if fallback { "cpu" } else { "webgpu" });
    let err = Autoencoder::create(small_config(), object(&[("backend", "tpu".into())]))
        .await
        .err()
        .unwrap();
    assert_eq!(error_code(&err), "INVALID_CONFIG");

    // Hide WebGPU the way a browser without it looks: navigator.gpu is undefined.
    let navigator = Reflect::get(&js_sys::global(), &"navigator".into()).unwrap();
    let hidden = object(&[("value", JsValue::UNDEFINED), ("configurable", true.into())]);
    Reflect::define_property(
        navigator.unchecked_ref::<Object>(),
        &"gpu".into(),
        hidden.unchecked_ref::<Object>(),
    )
    .unwrap();
    let refused = Autoencoder::create(small_config(), object(&[("backend", "webgpu".into())]))
        .await
        .err();
    let fallback = Autoencoder::create(small_config(), object(&[("backend", "auto".into())])).await;
    Reflect::delete_property(navigator.unchecked_ref::<Object>(), &"gpu".into()).unwrap();
    let err = refused.expect("webgpu without navigator.gpu is refused");
    assert_eq!(error_code(&err), "NO_WEBGPU");
    assert!(
        String::from(err.dyn_ref::<js_sys::Error>().unwrap().message()).contains("backend: 'cpu'")
    );
    let fallback = fallback.unwrap();
    assert_eq!(fallback.backend(), "cpu", "auto falls back to the CPU");
    assert!(
        fallback.backend_reason().contains("no WebGPU adapter"),
        "auto says why: {}",
        fallback.backend_reason()
    );
}

#[wasm_bindgen_test]
async fn errors_reach_js_as_errors_with_a_code_and_the_model_stays_usable() {
    let model = create("cpu").await;
    let wrong = Float32Array::from(&[0.5f32; 10][..]);
    let err = model.encode(wrong.into()).await.unwrap_err();
    let error: &js_sys::Error = err.dyn_ref().expect("a JS Error");
    let message = String::from(error.message());
    assert_eq!(error_code(&err), "SHAPE_MISMATCH");
    assert!(
        message.contains("10 values") && message.contains("[1, 8, 8]"),
        "{message}"
    );

    let err = model
        .sample(2.into(), JsValue::UNDEFINED)
        .await
        .unwrap_err();
    assert_eq!(error_code(&err), "INVALID_STATE", "{err:?}");

    let err = model
        .train(
            Float32Array::from(&[f32::NAN; PIXELS][..]).into(),
            JsValue::UNDEFINED,
        )
        .await
        .unwrap_err();
    assert_eq!(error_code(&err), "INVALID_DATA", "{err:?}");

    let err = Autoencoder::load(
        js_sys::Uint8Array::from(&b"not a model"[..]).into(),
        JsValue::UNDEFINED,
    )
    .await
    .err()
    .unwrap();
    assert_eq!(error_code(&err), "CORRUPT_CHECKPOINT");

    let typo = object(&[("latent", "four".into())]);
    let err = Autoencoder::create(typo, JsValue::UNDEFINED)
        .await
        .err()
        .unwrap();
    assert_eq!(error_code(&err), "INVALID_CONFIG");
    assert!(
        String::from(err.dyn_ref::<js_sys::Error>().unwrap().message())
            .starts_with("config.latent"),
        "{err:?}"
    );

    let bad_config = object(&[("latent", 0.into())]);
    let err = Autoencoder::create(bad_config, JsValue::UNDEFINED)
        .await
        .err()
        .expect("bad config is rejected");
    assert_eq!(error_code(&err), "INVALID_CONFIG");
    assert!(String::from(err.dyn_ref::<js_sys::Error>().unwrap().message()).contains("latent"));

    // A train option that is out of range names itself.
    let bad_noise = object(&[("type", "masking".into()), ("fraction", 3.into())]);
    let err = model
        .train(bars(16).into(), object(&[("corruption", bad_noise)]))
        .await
        .unwrap_err();
    assert_eq!(error_code(&err), "INVALID_CONFIG");
    assert!(
        String::from(err.dyn_ref::<js_sys::Error>().unwrap().message())
            .contains("corruption.fraction"),
        "{err:?}"
    );
    // And a valid one trains (as a denoiser for this call).
    let noise = object(&[("type", "gaussian".into()), ("sigma", 0.3.into())]);
    model
        .train(
            bars(16).into(),
            object(&[("corruption", noise), ("maxSteps", 2.into())]),
        )
        .await
        .unwrap();

    let throwing = Function::new_no_args("throw new Error('stop from callback')");
    let err = model
        .train(bars(16).into(), object(&[("onProgress", throwing.into())]))
        .await
        .unwrap_err();
    // A typed CALLBACK error that says so, with what the callback threw as its cause.
    assert_eq!(error_code(&err), "CALLBACK");
    let error = err.dyn_ref::<js_sys::Error>().unwrap();
    assert!(
        String::from(error.message()).contains("onProgress threw")
            && String::from(error.message()).contains("stop from callback"),
        "{err:?}"
    );
    assert_eq!(
        String::from(error.cause().dyn_into::<js_sys::Error>().unwrap().message()),
        "stop from callback"
    );

    // A learning rate that blows up stops with DIVERGED and keeps finite weights.
    let vae = Autoencoder::create(
        object(&[
            ("kind", "variational".into()),
            ("loss", "mse".into()),
            (
                "inputShape",
                js_sys::Array::of3(&1.into(), &8.into(), &8.into()).into(),
            ),
            ("hidden", js_sys::Array::of1(&16.into()).into()),
            ("latent", 2.into()),
        ]),
        object(&[("backend", "cpu".into())]),
    )
    .await
    .unwrap();
    let err = vae
        .train(
            bars(64).into(),
            object(&[("epochs", 50.into()), ("learningRate", 9.into())]),
        )
        .await
        .unwrap_err();
    assert_eq!(error_code(&err), "DIVERGED", "{err:?}");
    assert!(
        vae.reconstruct(bars(1).into())
            .await
            .unwrap()
            .to_vec()
            .iter()
            .all(|v| v.is_finite())
    );

    // Still usable after every error above.
    let codes = model.encode(bars(2).into()).await.unwrap();
    assert_eq!(codes.length(), 8);
}

#[wasm_bindgen_test]
async fn a_second_train_while_one_runs_is_refused_with_busy() {
    let model = create("cpu").await;
    let options = || {
        object(&[
            ("epochs", 1000.into()),
            ("batchSize", 4.into()),
            ("maxSteps", 8.into()),
        ])
    };
    let first = model.train(bars(16).into(), options());
    // Inference during training is refused too, with the same code.
    let during = model.encode(bars(1).into());
    let second = model.train(bars(16).into(), options());
    let ((first, second), during) = futures_join(futures_join(first, second), during).await;
    assert!(first.is_ok(), "{first:?}");
    assert_eq!(error_code(&second.unwrap_err()), "BUSY");
    assert_eq!(error_code(&during.unwrap_err()), "BUSY");
}

/// Poll two futures on one thread until both finish.
async fn futures_join<A: std::future::Future, B: std::future::Future>(
    a: A,
    b: B,
) -> (A::Output, B::Output) {
    let mut a = Box::pin(a);
    let mut b = Box::pin(b);
    let (mut ra, mut rb) = (None, None);
    std::future::poll_fn(|cx| {
        if ra.is_none()
            && let std::task::Poll::Ready(v) = a.as_mut().poll(cx)
        {
            ra = Some(v);
        }
        if rb.is_none()
            && let std::task::Poll::Ready(v) = b.as_mut().poll(cx)
        {
            rb = Some(v);
        }
        if ra.is_some() && rb.is_some() {
            std::task::Poll::Ready(())
        } else {
            std::task::Poll::Pending
        }
    })
    .await;
    (ra.unwrap(), rb.unwrap())
}

#[wasm_bindgen_test]
async fn every_kind_trains_through_the_js_train_call() {
    let kinds = [
        "undercomplete",
        "sparseL1",
        "sparseKl",
        "contractive",
        "denoising",
        "variational",
        "paired",
    ];
    for architecture in ["dense", "conv"] {
        for kind in kinds {
            let config = kind_config(kind, architecture);
            let model = Autoencoder::create(config, object(&[("backend", "cpu".into())]))
                .await
                .unwrap();
            let mut options = vec![
                ("epochs", JsValue::from(1000)),
                ("batchSize", 16.into()),
                ("learningRate", 0.01.into()),
                ("maxSteps", 30.into()),
            ];
            if kind == "paired" {
                // Segmentation-style: learn to output the transposed bars.
                let targets = bars(16).to_vec();
                let transposed: Vec<f32> = (0..16 * PIXELS)
                    .map(|i| {
                        targets[(i / PIXELS) * PIXELS + (i % SIDE) * SIDE + (i % PIXELS) / SIDE]
                    })
                    .collect();
                options.push(("targets", Float32Array::from(&transposed[..]).into()));
            }
            let history = model
                .train(bars(16).into(), object(&options))
                .await
                .unwrap_or_else(|e| panic!("{kind} {architecture}: {e:?}"));
            let losses = step_losses(&history);
            assert!(
                losses.last().unwrap() < &losses[0],
                "{kind} {architecture}: {losses:?}"
            );
        }
    }
}

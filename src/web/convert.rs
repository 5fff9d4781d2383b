//! Conversions between JS values and core types, and the JS error shape.

use js_sys::{Array, Float32Array, Reflect, Uint8Array, Uint8ClampedArray};
use serde::{Deserialize, Serialize};
use wasm_bindgen::prelude::*;

use crate::data::{Images, rgba_to_image};

pub type JsResult<T> = Result<T, JsValue>;

/// A JS `Error` with `name = 'AutoencoderError'`, a stable `code` and a readable message.
pub fn js_error(code: &str, message: &str) -> JsValue {
    let error = js_sys::Error::new(message);
    error.set_name("AutoencoderError");
    // Setting a property on a fresh Error object cannot fail.
    let _ = Reflect::set(&error, &"code".into(), &code.into());
    error.into()
}

/// `object[key]`, or `None` when it is missing, undefined or null.
pub fn get(object: &JsValue, key: &str) -> Option<JsValue> {
    if !object.is_object() && !object.is_function() {
        return None;
    }
    Reflect::get(object, &key.into())
        .ok()
        .filter(|v| !v.is_undefined() && !v.is_null())
}

/// Deserialize a plain JS object; an error names the offending field (`config.latent: ...`).
pub fn parse_value<T: for<'de> Deserialize<'de>>(value: JsValue, what: &str) -> JsResult<T> {
    let deserializer = serde_wasm_bindgen::Deserializer::from(value);
    serde_path_to_error::deserialize(deserializer).map_err(|e| {
        let path = e.path().to_string();
        let place = if path == "." {
            what.to_string()
        } else {
            format!("{what}.{path}")
        };
        js_error("INVALID_CONFIG", &format!("{place}: {}", e.inner()))
    })
}

/// Like `parse_value`, with `undefined` / `null` meaning "all defaults".
pub fn parse<T: for<'de> Deserialize<'de> + Default>(value: JsValue, what: &str) -> JsResult<T> {
    if value.is_undefined() || value.is_null() {
        return Ok(T::default());
    }
    if !value.is_object() {
        return Err(js_error(
            "INVALID_CONFIG",
            &format!("{what} must be an object"),
        ));
    }
    parse_value(value, what)
}

/// Plain JS objects (maps become objects, not `Map`s).
pub fn to_js<T: Serialize>(value: &T) -> JsValue {
    let serializer = serde_wasm_bindgen::Serializer::json_compatible();
    value.serialize(&serializer).unwrap_or(JsValue::UNDEFINED)
}

/// RGBA pixels of something shaped like `ImageData` (`data`, `width`, `height`).
fn image_data(value: &JsValue) -> Option<(Vec<u8>, usize, usize)> {
    let data = get(value, "data")?.dyn_into::<Uint8ClampedArray>().ok()?;
    let width = get(value, "width")?.as_f64()? as usize;
    let height = get(value, "height")?.as_f64()? as usize;
    Some((data.to_vec(), width, height))
}

/// Images of `shape` from a `Float32Array` (values in [0, 1]), a `Uint8Array` or
/// `Uint8ClampedArray` (0..=255), one `ImageData`, or an array of them (resized to `shape`).
pub fn images_from_js(value: &JsValue, shape: [usize; 3], what: &str) -> JsResult<Images> {
    let with_what = |e: crate::error::AeError| js_error(e.code(), &format!("{what}: {e}"));
    if let Some(a) = value.dyn_ref::<Float32Array>() {
        return Images::new(a.to_vec(), shape).map_err(with_what);
    }
    if let Some(a) = value.dyn_ref::<Uint8Array>() {
        return Images::from_u8(&a.to_vec(), shape).map_err(with_what);
    }
    if let Some(a) = value.dyn_ref::<Uint8ClampedArray>() {
        return Images::from_u8(&a.to_vec(), shape).map_err(with_what);
    }
    let items: Vec<JsValue> = if Array::is_array(value) {
        Array::from(value).iter().collect()
    } else {
        vec![value.clone()]
    };
    let mut values = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let (rgba, width, height) = image_data(item).ok_or_else(|| {
            js_error(
                "INVALID_DATA",
                &format!("{what} must be a Float32Array, Uint8Array, Uint8ClampedArray, ImageData or an array of ImageData (item {i} is not)"),
            )
        })?;
        values.extend(rgba_to_image(&rgba, width, height, shape).map_err(with_what)?);
    }
    Images::new(values, shape).map_err(with_what)
}

/// A mask as floats (1 = hidden) from a `Float32Array` or a `Uint8Array` (non-zero = hidden).
pub fn mask_from_js(value: &JsValue) -> JsResult<Vec<f32>> {
    if let Some(a) = value.dyn_ref::<Float32Array>() {
        return Ok(a.to_vec());
    }
    if let Some(a) = value.dyn_ref::<Uint8Array>() {
        return Ok(a
            .to_vec()
            .into_iter()
            .map(|v| if v > 0 { 1.0 } else { 0.0 })
            .collect());
    }
    Err(js_error(
        "INVALID_DATA",
        "mask must be a Float32Array or Uint8Array with 1 where a pixel is hidden",
    ))
}

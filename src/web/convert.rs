//! Conversions between JS values and core types, and the JS error shape.

use js_sys::{Array, ArrayBuffer, Float32Array, Object, Reflect, Uint8Array, Uint8ClampedArray};
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

/// A JS value as JSON, refusing what JSON cannot say faithfully: NaN and infinities, functions,
/// typed arrays and other class instances, symbols, bigints. Object keys whose value is
/// `undefined` are left out (the field takes its default). `path` names the value in messages.
fn plain(value: &JsValue, path: &str) -> JsResult<serde_json::Value> {
    use serde_json::Value;
    let wrong = |what: &str| {
        js_error(
            "INVALID_CONFIG",
            &format!(
                "{path} must be a plain value (number, string, boolean, array or object), got {what}"
            ),
        )
    };
    if value.is_undefined() || value.is_null() {
        return Ok(Value::Null);
    }
    if let Some(b) = value.as_bool() {
        return Ok(Value::Bool(b));
    }
    if let Some(text) = value.as_string() {
        return Ok(Value::String(text));
    }
    if let Some(x) = value.as_f64() {
        if !x.is_finite() {
            return Err(js_error(
                "INVALID_CONFIG",
                &format!("{path} must be a finite number, got {x}"),
            ));
        }
        // Whole numbers as integers, so that `2` fits a count and `2.5` is refused by one.
        const SAFE: f64 = 9_007_199_254_740_991.0;
        return Ok(if x.fract() == 0.0 && x.abs() <= SAFE {
            Value::from(x as i64)
        } else {
            Value::from(x)
        });
    }
    if Array::is_array(value) {
        let items = Array::from(value);
        return items
            .iter()
            .enumerate()
            .map(|(i, item)| plain(&item, &format!("{path}[{i}]")))
            .collect::<JsResult<Vec<_>>>()
            .map(Value::Array);
    }
    if value.is_object() && !value.is_function() {
        let prototype = Object::get_prototype_of(value);
        let plain_object =
            prototype.is_null() || prototype == Object::get_prototype_of(&Object::new().into());
        if !plain_object {
            let name = get(value, "constructor")
                .and_then(|c| get(&c, "name"))
                .and_then(|n| n.as_string())
                .unwrap_or_else(|| "an object with a prototype".into());
            return Err(wrong(&format!("a {name}")));
        }
        let mut map = serde_json::Map::new();
        let object: &Object = value.unchecked_ref();
        for key in Object::keys(object).iter() {
            let key = key.as_string().unwrap_or_default();
            let item = Reflect::get(value, &key.as_str().into())?;
            if item.is_undefined() {
                continue;
            }
            let item = plain(&item, &format!("{path}.{key}"))?;
            map.insert(key, item);
        }
        return Ok(Value::Object(map));
    }
    Err(wrong(&format!(
        "a {}",
        value.js_typeof().as_string().unwrap_or_default()
    )))
}

/// Deserialize a plain JS value strictly: unknown fields (at every level), wrong types,
/// fractions where a whole number belongs and NaN anywhere are refused, and the error names
/// the offending field (`config.latent: ...`).
pub fn parse_value<T: for<'de> Deserialize<'de>>(value: JsValue, what: &str) -> JsResult<T> {
    let json = plain(&value, what)?;
    serde_path_to_error::deserialize(json).map_err(|e| {
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
    if !value.is_object() || Array::is_array(&value) || value.is_function() {
        return Err(js_error(
            "INVALID_CONFIG",
            &format!("{what} must be an object, got {}", describe(&value)),
        ));
    }
    parse_value(value, what)
}

/// A short description of a JS value for error messages: `'3' (a string)`, `2.5`, `null`.
pub fn describe(value: &JsValue) -> String {
    if value.is_undefined() {
        return "undefined".into();
    }
    if value.is_null() {
        return "null".into();
    }
    if let Some(x) = value.as_f64() {
        return format!("{x}");
    }
    if let Some(text) = value.as_string() {
        let short: String = text.chars().take(40).collect();
        return format!("'{short}' (a string)");
    }
    if Array::is_array(value) {
        return "an array".into();
    }
    if let Some(name) = get(value, "constructor")
        .and_then(|c| get(&c, "name"))
        .and_then(|n| n.as_string())
    {
        return format!("a {name}");
    }
    format!("a {}", value.js_typeof().as_string().unwrap_or_default())
}

/// A whole, non-negative number from JS (a count, a step number, a seed); `None` for
/// `undefined` / `null`. Anything else (a fraction, a string, NaN, a negative number) is
/// `INVALID_CONFIG`, echoing the value as given.
pub fn whole_number(value: &JsValue, what: &str) -> JsResult<Option<u64>> {
    if value.is_undefined() || value.is_null() {
        return Ok(None);
    }
    match value.as_f64() {
        Some(x)
            if x.is_finite()
                && x.fract() == 0.0
                && (0.0..=9_007_199_254_740_991.0).contains(&x) =>
        {
            Ok(Some(x as u64))
        }
        _ => Err(js_error(
            "INVALID_CONFIG",
            &format!(
                "{what} must be a whole number, 0 or more, got {}",
                describe(value)
            ),
        )),
    }
}

/// A required count: `whole_number` that must be present, as `usize` (range checked by the core).
pub fn count(value: &JsValue, what: &str) -> JsResult<usize> {
    let n = whole_number(value, what)?.ok_or_else(|| {
        js_error(
            "INVALID_CONFIG",
            &format!("{what} is required (a whole number)"),
        )
    })?;
    // usize is 32 bits on wasm: a larger count is refused here, with the value as given.
    usize::try_from(n).map_err(|_| {
        js_error(
            "INVALID_CONFIG",
            &format!("{what} is far too large, got {n}"),
        )
    })
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
                &format!(
                    "{what} must be a Float32Array, Uint8Array, Uint8ClampedArray, ImageData or an array of ImageData, got {}",
                    if items.len() == 1 && !Array::is_array(value) { describe(item) } else { format!("{} at index {i}", describe(item)) }
                ),
            )
        })?;
        values.extend(rgba_to_image(&rgba, width, height, shape).map_err(with_what)?);
    }
    Images::new(values, shape).map_err(with_what)
}

/// A mask as floats (1 = hidden) from a `Float32Array` (values in [0, 1], checked by the core)
/// or a `Uint8Array` (non-zero = hidden).
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
        &format!(
            "mask must be a Float32Array or Uint8Array with 1 where a pixel is hidden, got {}",
            describe(value)
        ),
    ))
}

/// Codes for `decode`: a `Float32Array` (values checked by the core).
pub fn codes_from_js(value: &JsValue) -> JsResult<Vec<f32>> {
    value
        .dyn_ref::<Float32Array>()
        .map(Float32Array::to_vec)
        .ok_or_else(|| {
            js_error(
                "INVALID_DATA",
                &format!(
                    "codes must be a Float32Array ([n, latentSize] flattened, e.g. from encode), got {}",
                    describe(value)
                ),
            )
        })
}

/// Checkpoint bytes for `load`: a `Uint8Array` (as `save()` gives) or an `ArrayBuffer`.
pub fn bytes_from_js(value: &JsValue) -> JsResult<Vec<u8>> {
    if let Some(a) = value.dyn_ref::<Uint8Array>() {
        return Ok(a.to_vec());
    }
    if let Some(buffer) = value.dyn_ref::<ArrayBuffer>() {
        return Ok(Uint8Array::new(buffer).to_vec());
    }
    Err(js_error(
        "INVALID_DATA",
        &format!(
            "bytes must be a Uint8Array or ArrayBuffer holding a saved model (from save()), got {}",
            describe(value)
        ),
    ))
}

// Pictures out of the model: a model's output (`[n, c * h * w]` values in [0, 1], planar per
// image: all of the first channel, then the next) as RGBA pixels that a canvas can show. Pure JS,
// no wasm: the main entry and the worker entry both export it.

/**
 * Image `index` of `values` as an `ImageData` (`shape` = `[channels, height, width]`, e.g. a
 * model's `inputShape`). 1 channel is gray, 3 are RGB, 4 are RGB with alpha (straight, as
 * `ImageData` holds it); values are clamped to [0, 1]. Where there is no `ImageData` (Node.js) it
 * is a plain `{ data, width, height }` with the same pixels.
 */
export function toImageData(values, shape, index = 0) {
  if (!(values instanceof Float32Array || values instanceof Uint8Array || values instanceof Uint8ClampedArray)) {
    throw imageError(`values must be a Float32Array (or Uint8Array), got ${Object.prototype.toString.call(values).slice(8, -1)}`);
  }
  if (!Array.isArray(shape) || shape.length !== 3 || !shape.every((v) => Number.isInteger(v) && v > 0)) {
    throw imageError(`shape must be [channels, height, width] of positive whole numbers, got ${JSON.stringify(shape)}`);
  }
  const [channels, height, width] = shape;
  if (![1, 3, 4].includes(channels)) throw imageError(`images have 1, 3 or 4 channels, the shape says ${channels}`);
  const plane = height * width;
  const size = channels * plane;
  if (!Number.isInteger(index) || index < 0 || (index + 1) * size > values.length) {
    throw imageError(`image ${index} of ${size} values each is not in ${values.length} values (${Math.floor(values.length / size)} images)`);
  }
  const scale = values instanceof Float32Array ? 255 : 1;
  const at = (c, p) => Math.max(0, Math.min(255, Math.round(values[index * size + c * plane + p] * scale)));
  const data = new Uint8ClampedArray(plane * 4);
  for (let p = 0; p < plane; p++) {
    const [r, g, b] = channels === 1 ? [at(0, p), at(0, p), at(0, p)] : [at(0, p), at(1, p), at(2, p)];
    data[4 * p] = r;
    data[4 * p + 1] = g;
    data[4 * p + 2] = b;
    data[4 * p + 3] = channels === 4 ? at(3, p) : 255;
  }
  return typeof ImageData === 'function' ? new ImageData(data, width, height) : { data, width, height };
}

function imageError(message) {
  return Object.assign(new Error(message), { name: 'AutoencoderError', code: 'INVALID_DATA' });
}

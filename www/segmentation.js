// The segmentation task of the Segment panel, generated in the page (nothing is downloaded): a
// handwritten digit pasted on a cluttered background, and as its target the digit's mask. The
// clutter is ink like the digit's own (smaller pieces of other digits near the edges, and loose
// strokes) on noise, stripes or a shaded gradient, so a threshold cannot do it: the model has to
// learn which strokes make the digit in the middle.
// Seeded and deterministic, so the pretrained model (scripts/pretrain-segmenter.mjs), its test and
// the page all see the same task. Pure: runs in a page, a worker and Node.js.

/** mulberry32: a small, fast, seeded generator of floats in [0, 1). */
export function seeded(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const BACKGROUNDS = ['noise', 'stripes', 'gradient'];

/** A background of `side x side` values in [0, 1] (kept dim: at most 0.45). */
function background(side, random) {
  const out = new Float32Array(side * side);
  const kind = BACKGROUNDS[Math.floor(random() * BACKGROUNDS.length)];
  const level = 0.05 + 0.2 * random();
  if (kind === 'noise') {
    for (let i = 0; i < out.length; i++) out[i] = level + 0.2 * random();
  } else if (kind === 'stripes') {
    const angle = random() * Math.PI, period = 3 + 5 * random(), phase = random() * period;
    const [c, s] = [Math.cos(angle), Math.sin(angle)];
    for (let y = 0; y < side; y++) for (let x = 0; x < side; x++) {
      const u = (x * c + y * s + phase) / period;
      out[y * side + x] = level + 0.2 * (0.5 + 0.5 * Math.sin(2 * Math.PI * u));
    }
  } else {
    const [gx, gy] = [random() - 0.5, random() - 0.5];
    for (let y = 0; y < side; y++) for (let x = 0; x < side; x++) {
      out[y * side + x] = Math.min(0.45, Math.max(0, level + 0.25 * (gx * x + gy * y) / side + 0.05 * random()));
    }
  }
  return out;
}

/** Draws a bright anti-aliased stroke (clutter) from (x0, y0) to (x1, y1) with `max`. */
function stroke(image, side, [x0, y0, x1, y1], brightness) {
  const steps = Math.ceil(Math.hypot(x1 - x0, y1 - y0) * 3) + 1;
  for (let k = 0; k <= steps; k++) {
    const t = k / steps, cx = x0 + (x1 - x0) * t, cy = y0 + (y1 - y0) * t;
    for (let y = Math.floor(cy - 1); y <= Math.ceil(cy + 1); y++) for (let x = Math.floor(cx - 1); x <= Math.ceil(cx + 1); x++) {
      if (x < 0 || y < 0 || x >= side || y >= side) continue;
      const v = brightness * Math.max(0, 1 - Math.hypot(x - cx, y - cy) / 1.3);
      image[y * side + x] = Math.max(image[y * side + x], v);
    }
  }
}

/** Pastes `digit` scaled by `scale` about the centre and moved by (dx, dy); marks it in `mask`. */
function paste(input, mask, digit, side, { scale, dx, dy, ink }) {
  const c = (side - 1) / 2;
  for (let y = 0; y < side; y++) for (let x = 0; x < side; x++) {
    // Sample the digit at the point that lands on (x, y) (nearest pixel).
    const sx = Math.round((x - c - dx) / scale + c), sy = Math.round((y - c - dy) / scale + c);
    if (sx < 0 || sy < 0 || sx >= side || sy >= side) continue;
    const v = digit[sy * side + sx] / 255;
    if (mask && v > 0.5) mask[y * side + x] = 1;
    input[y * side + x] = Math.max(input[y * side + x], v * ink);
  }
}

/**
 * One pair: `digit` (`side * side` u8 pixels of an MNIST digit) shrunk and moved at random onto
 * a cluttered background; `other()` gives more digits, pieces of which are the clutter. Returns
 * `{ input, target }`, each `side * side` floats in [0, 1]; the target is 1 on the digit's
 * strokes and 0 elsewhere.
 */
export function pair(digit, side, random, other = () => digit) {
  const input = clutter(side, random, other);
  // The digit, scaled by 0.7..1 about its centre and shifted by up to 3 pixels.
  const target = new Float32Array(side * side);
  paste(input, target, digit, side, {
    scale: 0.7 + 0.3 * random(), dx: (random() - 0.5) * 6, dy: (random() - 0.5) * 6, ink: 0.75 + 0.25 * random(),
  });
  return { input, target };
}

/**
 * The clutter of a pair without its digit (`side * side` floats in [0, 1]): a background, pieces
 * of one or two digits from `other()` near the edges, and loose strokes. The Segment panel puts it
 * behind a drawing ("Add clutter"); `pair` draws the digit on it.
 */
export function clutter(side, random, other) {
  const input = background(side, random);
  // One or two smaller digits whose centres sit near the edges, so that pieces of them show.
  const distractors = 1 + Math.floor(random() * 2);
  for (let d = 0; d < distractors; d++) {
    const angle = random() * Math.PI * 2, distance = 10 + 4 * random();
    paste(input, null, other(), side, {
      scale: 0.45 + 0.2 * random(), dx: Math.cos(angle) * distance, dy: Math.sin(angle) * distance, ink: 0.75 + 0.25 * random(),
    });
  }
  // 1 to 3 clutter strokes, as bright as ink, mostly away from the centre.
  const strokes = 1 + Math.floor(random() * 3);
  for (let s = 0; s < strokes; s++) {
    const [x, y] = [random() * side, random() * side];
    const [angle, length] = [random() * Math.PI * 2, 4 + random() * 8];
    stroke(input, side, [x, y, x + Math.cos(angle) * length, y + Math.sin(angle) * length], 0.7 + 0.3 * random());
  }
  return input;
}

/**
 * `count` pairs from the digits of an MNIST split (`set.pixels`, `set.count` as in www/mnist.js),
 * seeded: `{ inputs, targets }`, each `count * side * side` floats.
 */
export function pairs(set, side, count, seed) {
  const random = seeded(seed);
  const size = side * side;
  const inputs = new Float32Array(count * size);
  const targets = new Float32Array(count * size);
  const digit = () => {
    const index = Math.floor(random() * set.count);
    return set.pixels.subarray(index * size, (index + 1) * size);
  };
  for (let i = 0; i < count; i++) {
    const { input, target } = pair(digit(), side, random, digit);
    inputs.set(input, i * size);
    targets.set(target, i * size);
  }
  return { inputs, targets };
}

/**
 * Intersection over union of the thresholded prediction with the target, over all pixels of all
 * images, and the pixel accuracy.
 */
export function scores(predicted, target, threshold = 0.5) {
  let intersection = 0, union = 0, correct = 0;
  for (let i = 0; i < target.length; i++) {
    const p = predicted[i] >= threshold, t = target[i] >= 0.5;
    if (p && t) intersection++;
    if (p || t) union++;
    if (p === t) correct++;
  }
  return { iou: union === 0 ? 1 : intersection / union, accuracy: correct / target.length };
}

// Drawing on canvases: gray and colour images, grids of images, loss curves. Sized for a projector.

import { toImageData } from 'autoencoders/worker';

/** Values as toImageData takes them (the page also draws plain arrays). */
const typed = (values) => (values instanceof Float32Array || values instanceof Uint8Array || values instanceof Uint8ClampedArray ? values : Float32Array.from(values));

/** Draw one grayscale image (values in [0, 1], or 0..255 for a Uint8Array) at native size. */
export function drawGray(canvas, values, width, height) {
  drawImage(canvas, values, [1, height, width]);
}

/** Draw one image of `shape` ([channels, height, width]: gray, RGB or RGBA, planar) at native size. */
export function drawImage(canvas, values, shape) {
  canvas.width = shape[2];
  canvas.height = shape[1];
  canvas.getContext('2d').putImageData(toImageData(typed(values), shape), 0, 0);
}

/**
 * Draw `count` images from `values` in a grid of `cols` columns; `shape` is [channels, height,
 * width], or a number `side` for gray `side x side` images.
 */
export function drawGrid(canvas, values, count, shape, cols) {
  const [, height, width] = typeof shape === 'number' ? [1, shape, shape] : shape;
  const rows = Math.ceil(count / cols);
  canvas.width = cols * width;
  canvas.height = rows * height;
  const context = canvas.getContext('2d');
  context.fillStyle = 'black';
  context.fillRect(0, 0, canvas.width, canvas.height);
  const grid = typeof shape === 'number' ? [1, shape, shape] : shape;
  values = typed(values);
  for (let i = 0; i < count; i++) {
    context.putImageData(toImageData(values, grid, i), (i % cols) * width, Math.floor(i / cols) * height);
  }
}

/** Red overlay where `mask` (one value per pixel position) is 1, on top of an image of `shape` ([channels, height, width]). */
export function drawMasked(canvas, values, mask, shape) {
  drawImage(canvas, values, shape);
  const [, height, width] = shape;
  const context = canvas.getContext('2d');
  const image = context.getImageData(0, 0, width, height);
  for (let i = 0; i < width * height; i++) {
    if (mask[i] >= 0.5) image.data.set([220, 40, 60, 255], i * 4);
  }
  context.putImageData(image, 0, 0);
}

export const COLORS = ['#0b5fff', '#e4572e', '#17a398', '#b07d00', '#8c4bff', '#555555'];

/** About `count` round tick values (1, 2, 5 times a power of ten) covering [lo, hi]. */
function ticks(lo, hi, count = 5) {
  const raw = (hi - lo) / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw) ?? 10 * power;
  const out = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

/** Tick values of a log axis over [lo, hi]: 1, 2, 5 times powers of ten (fewer when wide). */
function logTicks(lo, hi) {
  const out = [];
  const span = Math.log10(hi / lo);
  const mantissas = span > 3 ? [1] : span > 1.2 ? [1, 3] : [1, 2, 5];
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) {
    for (const m of mantissas) {
      const v = m * 10 ** e;
      if (v >= lo && v <= hi) out.push(v);
    }
  }
  return out.length >= 2 ? out : [lo, hi];
}

const format = (v) => (Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 1 ? String(Number(v.toFixed(2))) : String(Number(v.toPrecision(2))));

/**
 * A line chart of named series ({ name, values, color? }) against steps, with a legend. The
 * series named in `right` get an axis of their own on the right (a small penalty term beside a
 * large total would be a flat line on a shared axis). Linear axes by default, so that a loss
 * falling from 551 to 171 looks like the fall it is; `log` for log axes. The legend sits over the
 * top right of the plot, or above it (`legend: 'above'`, and always on a narrow chart, where it
 * would cover the curves). `floor`: the left axis goes down to it at least (0 for a score). Redrawn
 * from scratch.
 */
export function drawChart(canvas, series, { xLabel = 'training step', title = '', log = false, right = [], legend: legendAt = 'over', floor = null } = {}) {
  const ratio = window.devicePixelRatio || 1;
  const width = canvas.clientWidth || 600;
  const height = canvas.clientHeight || 260;
  canvas.width = width * ratio;
  canvas.height = height * ratio;
  const g = canvas.getContext('2d');
  g.scale(ratio, ratio);
  g.fillStyle = 'white';
  g.fillRect(0, 0, width, height);
  const sides = { left: series.filter((s) => !right.includes(s.name)), right: series.filter((s) => right.includes(s.name)) };
  const twin = sides.right.some((s) => s.values.length > 0) && sides.left.some((s) => s.values.length > 0);
  const narrow = width < 480;
  g.font = `${narrow ? 13 : 15}px system-ui, sans-serif`;
  const labelOf = (s) => (twin ? `${s.name} (${right.includes(s.name) ? 'right' : 'left'} axis)` : s.name);
  // A legend above the plot: on a narrow chart one line per series (not over the curves); on a
  // wide one, when asked, the keys side by side. `keys`: where each key goes.
  let keys = null;
  if (narrow) keys = series.map((s, k) => ({ x: 56, y: 30 + k * 18 }));
  else if (legendAt === 'above') {
    let [x, y] = [56, 30];
    keys = series.map((s) => {
      const w = g.measureText(labelOf(s)).width + 40;
      if (x + w > width - 16 && x > 56) [x, y] = [56, y + 20];
      const at = { x, y };
      x += w;
      return at;
    });
  }
  const pad = { left: 56, right: twin ? 52 : 16, top: keys?.length ? Math.max(...keys.map((k) => k.y)) + 18 : 30, bottom: 42 };
  g.fillStyle = '#1b1f24';
  g.textBaseline = 'alphabetic';
  if (title) g.fillText(title, pad.left, 19);
  const usable = (v) => Number.isFinite(v) && (!log || v > 0);
  if (!series.some((s) => s.values.some(usable))) {
    g.fillStyle = '#555';
    g.fillText('no data yet: press Train', pad.left, height / 2);
    return;
  }
  const count = Math.max(...series.map((s) => s.values.length));
  const n = Math.max(count, 2);
  // Point i is step i + 1.
  const x = (i) => pad.left + (i / (n - 1)) * (width - pad.left - pad.right);
  const plotBottom = height - pad.bottom;
  // One y scale per side: its range, ticks and mapping.
  const scale = (list, least = null) => {
    const all = list.flatMap((s) => s.values).filter(usable);
    if (all.length === 0) return null;
    let lo = all.reduce((a, b) => Math.min(a, b));
    let hi = all.reduce((a, b) => Math.max(a, b));
    if (log) {
      if (hi / lo < 1.5) { lo /= 1.2; hi *= 1.2; }
      const f = (v) => Math.log10(v);
      return { ticks: logTicks(lo, hi), y: (v) => pad.top + (1 - (f(v) - f(lo)) / (f(hi) - f(lo))) * (plotBottom - pad.top) };
    }
    const span = hi - lo || Math.abs(hi) || 1;
    lo -= span * 0.04;
    hi += span * 0.04;
    if (all.every((v) => v >= 0) && lo < 0) lo = 0;
    if (least !== null) lo = Math.min(lo, least);
    const marks = ticks(lo, hi);
    return { ticks: marks, y: (v) => pad.top + (1 - (v - lo) / (hi - lo)) * (plotBottom - pad.top) };
  };
  const scales = { left: scale(twin ? sides.left : series, floor), right: twin ? scale(sides.right) : null };
  // Grid lines and tick labels.
  g.lineWidth = 1;
  for (const side of ['left', 'right']) {
    const sc = scales[side];
    if (!sc) continue;
    g.fillStyle = side === 'left' ? '#333' : COLORS[series.indexOf(sides.right[0]) % COLORS.length];
    g.textAlign = side === 'left' ? 'right' : 'left';
    for (const v of sc.ticks) {
      const yy = sc.y(v);
      if (side === 'left') {
        g.strokeStyle = '#eceef2';
        g.beginPath();
        g.moveTo(pad.left, yy);
        g.lineTo(width - pad.right, yy);
        g.stroke();
      }
      g.fillText(format(v), side === 'left' ? pad.left - 6 : width - pad.right + 6, yy + 5);
    }
  }
  g.textAlign = 'left';
  g.strokeStyle = '#9aa4b2';
  g.beginPath();
  g.moveTo(pad.left, pad.top);
  g.lineTo(pad.left, plotBottom);
  g.lineTo(width - pad.right, plotBottom);
  if (twin) g.lineTo(width - pad.right, pad.top);
  g.stroke();
  g.fillStyle = '#333';
  g.textAlign = 'center';
  const xticks = ticks(1, Math.max(count, 2), narrow ? 3 : 6).filter((t) => Number.isInteger(t) && t >= 1);
  for (const t of xticks) {
    const xx = x(t - 1);
    g.fillText(String(t), xx, plotBottom + 16);
    g.strokeStyle = '#9aa4b2';
    g.beginPath();
    g.moveTo(xx, plotBottom);
    g.lineTo(xx, plotBottom + 4);
    g.stroke();
  }
  g.fillText(`${xLabel}${log ? ' (log scale)' : ''}`, (pad.left + width - pad.right) / 2, height - 4);
  g.textAlign = 'left';
  // The curves, then the legend over them (on a white box, so it stays readable).
  const legend = [];
  series.forEach((s, k) => {
    const sc = twin && right.includes(s.name) ? scales.right : scales.left;
    const color = s.color ?? COLORS[k % COLORS.length];
    g.strokeStyle = color;
    g.lineWidth = narrow ? 1.8 : 2.2;
    g.beginPath();
    let started = false;
    s.values.forEach((v, i) => {
      if (!usable(v)) return;
      if (started) g.lineTo(x(i), sc.y(v));
      else g.moveTo(x(i), sc.y(v));
      started = true;
    });
    g.stroke();
    legend.push({ color, text: labelOf(s) });
  });
  if (keys) {
    legend.forEach((l, k) => {
      g.fillStyle = l.color;
      g.fillRect(keys[k].x, keys[k].y, 16, 4);
      g.fillStyle = '#1b1f24';
      g.fillText(l.text, keys[k].x + 22, keys[k].y + 6);
    });
    return;
  }
  const boxWidth = Math.max(...legend.map((l) => g.measureText(l.text).width)) + 34;
  const bx = width - pad.right - boxWidth - 6;
  g.fillStyle = 'rgba(255, 255, 255, 0.85)';
  g.fillRect(bx, pad.top + 2, boxWidth, legend.length * 20 + 6);
  legend.forEach((l, k) => {
    g.fillStyle = l.color;
    g.fillRect(bx + 6, pad.top + 13 + k * 20, 16, 4);
    g.fillStyle = '#1b1f24';
    g.fillText(l.text, bx + 28, pad.top + 20 + k * 20);
  });
}

/** PSNR in dB of `a` against `b` (values in [0, 1]); only where `mask` is 1, if given. */
export function psnr(a, b, mask = null) {
  let sum = 0;
  let n = 0;
  for (let i = 0; i < a.length; i++) {
    if (mask && mask[i % mask.length] < 0.5) continue;
    const d = a[i] - b[i];
    sum += d * d;
    n++;
  }
  if (n === 0) return NaN;
  return 10 * Math.log10(1 / Math.max(sum / n, 1e-10));
}

/** A labelled canvas inside a <figure>. */
export function figure(caption, { width = 140, height = 140 } = {}) {
  const fig = document.createElement('figure');
  const canvas = document.createElement('canvas');
  canvas.style.width = `${width}px`;
  canvas.style.height = `${height}px`;
  canvas.setAttribute('role', 'img');
  canvas.setAttribute('aria-label', caption);
  const cap = document.createElement('figcaption');
  cap.textContent = caption;
  fig.append(canvas, cap);
  return { fig, canvas, cap };
}

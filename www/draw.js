// Drawing on canvases: grayscale images, grids of images, loss curves. Sized for a projector.

/** Draw one grayscale image (values in [0, 1], or 0..255 for a Uint8Array) at native size. */
export function drawGray(canvas, values, width, height) {
  canvas.width = width;
  canvas.height = height;
  const context = canvas.getContext('2d');
  context.putImageData(grayImageData(values, width, height), 0, 0);
}

function grayImageData(values, width, height) {
  const image = new ImageData(width, height);
  const scale = values instanceof Uint8Array ? 1 : 255;
  for (let i = 0; i < width * height; i++) {
    const v = Math.max(0, Math.min(255, Math.round(values[i] * scale)));
    image.data[i * 4] = v;
    image.data[i * 4 + 1] = v;
    image.data[i * 4 + 2] = v;
    image.data[i * 4 + 3] = 255;
  }
  return image;
}

/** Draw `count` images of `side x side` from `values` in a grid of `cols` columns. */
export function drawGrid(canvas, values, count, side, cols) {
  const rows = Math.ceil(count / cols);
  canvas.width = cols * side;
  canvas.height = rows * side;
  const context = canvas.getContext('2d');
  context.fillStyle = 'black';
  context.fillRect(0, 0, canvas.width, canvas.height);
  for (let i = 0; i < count; i++) {
    const image = grayImageData(values.subarray(i * side * side, (i + 1) * side * side), side, side);
    context.putImageData(image, (i % cols) * side, Math.floor(i / cols) * side);
  }
}

/** Red overlay where `mask` is 1, on top of a grayscale image. */
export function drawMasked(canvas, values, mask, width, height) {
  drawGray(canvas, values, width, height);
  const context = canvas.getContext('2d');
  const image = context.getImageData(0, 0, width, height);
  for (let i = 0; i < width * height; i++) {
    if (mask[i] >= 0.5) image.data.set([220, 40, 60, 255], i * 4);
  }
  context.putImageData(image, 0, 0);
}

export const COLORS = ['#0b5fff', '#e4572e', '#17a398', '#f3a712', '#8c4bff', '#555555'];

/**
 * A line chart of named series ({ name, values }), log-scaled y when the range is wide, with a
 * legend. Redrawn from scratch each call.
 */
export function drawChart(canvas, series, { xLabel = 'step', title = '' } = {}) {
  const ratio = window.devicePixelRatio || 1;
  const width = canvas.clientWidth || 600;
  const height = canvas.clientHeight || 260;
  canvas.width = width * ratio;
  canvas.height = height * ratio;
  const g = canvas.getContext('2d');
  g.scale(ratio, ratio);
  g.fillStyle = 'white';
  g.fillRect(0, 0, width, height);
  const pad = { left: 64, right: 16, top: 28, bottom: 36 };
  const all = series.flatMap((s) => s.values).filter((v) => Number.isFinite(v) && v > 0);
  g.font = '15px system-ui, sans-serif';
  g.fillStyle = '#1b1f24';
  if (title) g.fillText(title, pad.left, 18);
  if (all.length === 0) {
    g.fillText('no data yet', pad.left, height / 2);
    return;
  }
  const lo = Math.min(...all);
  const hi = Math.max(...all);
  const log = hi / lo > 20;
  const f = (v) => (log ? Math.log10(v) : v);
  const [ylo, yhi] = [f(lo), f(hi) === f(lo) ? f(lo) + 1 : f(hi)];
  const n = Math.max(...series.map((s) => s.values.length), 2);
  const x = (i) => pad.left + (i / (n - 1)) * (width - pad.left - pad.right);
  const y = (v) => pad.top + (1 - (f(v) - ylo) / (yhi - ylo)) * (height - pad.top - pad.bottom);
  g.strokeStyle = '#c9ced6';
  g.lineWidth = 1;
  g.beginPath();
  g.moveTo(pad.left, pad.top);
  g.lineTo(pad.left, height - pad.bottom);
  g.lineTo(width - pad.right, height - pad.bottom);
  g.stroke();
  g.fillStyle = '#444';
  for (const v of [lo, log ? Math.sqrt(lo * hi) : (lo + hi) / 2, hi]) {
    g.fillText(v >= 100 ? v.toFixed(0) : v.toPrecision(3), 4, y(v) + 5);
  }
  g.fillText(`${xLabel} (${n - 1})`, width / 2 - 30, height - 10);
  series.forEach((s, k) => {
    g.strokeStyle = s.color ?? COLORS[k % COLORS.length];
    g.lineWidth = 2.5;
    g.beginPath();
    let started = false;
    s.values.forEach((v, i) => {
      if (!(Number.isFinite(v) && v > 0)) return;
      if (started) g.lineTo(x(i), y(v));
      else g.moveTo(x(i), y(v));
      started = true;
    });
    g.stroke();
    g.fillStyle = g.strokeStyle;
    g.fillRect(width - pad.right - 190, pad.top + 4 + k * 20, 14, 4);
    g.fillText(s.name, width - pad.right - 170, pad.top + 10 + k * 20);
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

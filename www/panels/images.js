// Your images: drop or choose pictures, see them resized to the model's input, fine-tune a model
// on them, and compare reconstructions before and after. Gray (prepared as MNIST digits, for the
// digit models) or colour (32 x 32 RGB over white, for the colour emoji VAE). Nothing leaves the
// page.
import { drawGrid } from '../draw.js';
import { el, labelled, select, number, busy } from '../ui.js';
import { copyModel, putModel, modelLabel, TUNED, imageModels, inColour } from '../store.js';
import { modelView } from '../view.js';
import { trainLive } from '../training.js';

/** The pictures as decoded (at most 128 pixels wide), converted for a model when needed. */
let sources = [];
/** Their conversions, made when first asked for: 'gray' (with its invert setting) and 'colour'. */
let converted = new Map();

/** Side of the colour images (the colour emoji VAE's input). */
const COLOUR_SIDE = 32;

/** Limits on what the panel takes (stated in the README's "Guarantees and limits"). */
export const LIMITS = {
  /** Images the panel holds at once; more files in one go keep the first ones. */
  images: 100,
  /** Largest file read, in bytes. */
  fileBytes: 50 * 1024 * 1024,
  /** Largest image decoded, in pixels (width x height), checked from the file's header before decoding where the format allows (PNG, JPEG, GIF, WebP, BMP). */
  pixels: 50_000_000,
  /** Per-file problems listed under the status line; the rest are counted. */
  listed: 8,
};

/** The user's images as gray digits (28 x 28, as the panel's invert setting says), for the Train panel. */
export function userImages() {
  return imagesAs('gray');
}

let grayOptions = { side: 28, invert: 'auto' };

/** The pictures converted for 'gray' or 'colour' models, `[n, c * side * side]`. */
function imagesAs(mode) {
  const key = mode === 'gray' ? `gray ${grayOptions.side} ${grayOptions.invert}` : `colour ${COLOUR_SIDE}`;
  if (!converted.has(key)) {
    const size = mode === 'gray' ? grayOptions.side ** 2 : 3 * COLOUR_SIDE ** 2;
    const all = new Float32Array(sources.length * size);
    sources.forEach((source, i) => all.set(mode === 'gray' ? toDigit(source, grayOptions.side, grayOptions.invert) : toColour(source, COLOUR_SIDE), i * size));
    converted.set(key, all);
  }
  return converted.get(key);
}

/** A problem with one file, reported beside the others without losing the good files. */
class FileProblem extends Error {}

const megabytes = (bytes) => `${(bytes / 1024 / 1024).toFixed(bytes < 10 * 1024 * 1024 ? 1 : 0)} MB`;

/**
 * The format and, where the header says, the size of an image file, from its first bytes; null
 * when they are not an image format this knows (the browser may still decode it).
 */
async function sniff(file) {
  const bytes = new Uint8Array(await file.slice(0, 256 * 1024).arrayBuffer());
  const view = new DataView(bytes.buffer);
  const ascii = (at, n) => String.fromCharCode(...bytes.subarray(at, at + n));
  const has = (n) => bytes.length >= n;
  if (has(24) && bytes[0] === 0x89 && ascii(1, 3) === 'PNG') return { format: 'PNG', width: view.getUint32(16), height: view.getUint32(20) };
  if (has(10) && (ascii(0, 6) === 'GIF87a' || ascii(0, 6) === 'GIF89a')) return { format: 'GIF', width: view.getUint16(6, true), height: view.getUint16(8, true) };
  if (has(26) && ascii(0, 2) === 'BM') {
    const core = view.getUint32(14, true) === 12;
    return core
      ? { format: 'BMP', width: view.getUint16(18, true), height: view.getUint16(20, true) }
      : { format: 'BMP', width: Math.abs(view.getInt32(18, true)), height: Math.abs(view.getInt32(22, true)) };
  }
  if (has(30) && ascii(0, 4) === 'RIFF' && ascii(8, 4) === 'WEBP') {
    const chunk = ascii(12, 4);
    if (chunk === 'VP8 ') return { format: 'WebP', width: view.getUint16(26, true) & 0x3fff, height: view.getUint16(28, true) & 0x3fff };
    if (chunk === 'VP8L') {
      const [b0, b1, b2, b3] = bytes.subarray(21, 25);
      return { format: 'WebP', width: 1 + (b0 | ((b1 & 0x3f) << 8)), height: 1 + ((b1 >> 6) | (b2 << 2) | ((b3 & 0xf) << 10)) };
    }
    if (chunk === 'VP8X') {
      const u24 = (at) => bytes[at] | (bytes[at + 1] << 8) | (bytes[at + 2] << 16);
      return { format: 'WebP', width: 1 + u24(24), height: 1 + u24(27) };
    }
    return { format: 'WebP' };
  }
  if (has(4) && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) {
    // Walk the JPEG segments to the first start-of-frame, which holds the size.
    let at = 2;
    while (at + 9 < bytes.length && bytes[at] === 0xff) {
      const marker = bytes[at + 1];
      if (marker === 0xff) { at += 1; continue; }
      if (marker >= 0xc0 && marker <= 0xcf && ![0xc4, 0xc8, 0xcc].includes(marker)) {
        return { format: 'JPEG', width: view.getUint16(at + 7), height: view.getUint16(at + 5) };
      }
      if (marker === 0xd8 || (marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) { at += 2; continue; }
      at += 2 + view.getUint16(at + 2);
    }
    return { format: 'JPEG' };
  }
  return null;
}

function checkSize(width, height) {
  if (!(width > 0 && height > 0)) throw new FileProblem(`its header gives a size of ${width} × ${height} pixels`);
  if (width * height > LIMITS.pixels) {
    throw new FileProblem(`${width} × ${height} pixels is too large (at most ${LIMITS.pixels / 1e6} megapixels)`);
  }
}

/**
 * Check a file and decode it, shrunk to a width of a few times `side` (a smoother downscale than
 * drawing the full image at 28 pixels, and a small bitmap; Chromium still decodes at full size on
 * the way, hence the pixel limit checked from the header first). Throws a FileProblem saying what
 * is wrong.
 */
async function decode(file, side) {
  if (file.size === 0) throw new FileProblem('empty file (0 bytes)');
  if (file.size > LIMITS.fileBytes) throw new FileProblem(`${megabytes(file.size)} is too large (at most ${megabytes(LIMITS.fileBytes)})`);
  const header = await sniff(file);
  if (!header && !file.type.startsWith('image/')) {
    throw new FileProblem(`not an image${file.type ? ` (${file.type})` : ''}`);
  }
  const options = {};
  if (header?.width !== undefined) {
    checkSize(header.width, header.height);
    // The width alone: the browser keeps the aspect ratio, also of a photo its EXIF turns sideways.
    if (header.width > 4 * side) Object.assign(options, { resizeWidth: 4 * side, resizeQuality: 'high' });
  }
  let bitmap;
  try {
    bitmap = await createImageBitmap(file, options);
  } catch {
    throw new FileProblem(header ? `a damaged or unsupported ${header.format} file: the browser could not decode it` : 'the browser could not decode it as an image');
  }
  if (!options.resizeWidth && bitmap.width * bitmap.height > LIMITS.pixels) {
    const [w, h] = [bitmap.width, bitmap.height];
    bitmap.close();
    checkSize(w, h);
  }
  return bitmap;
}

/** Gray values in [0, 1] of a canvas's pixels. */
function grayOf(g, width, height) {
  const { data } = g.getImageData(0, 0, width, height);
  const gray = new Float32Array(width * height);
  for (let i = 0; i < gray.length; i++) gray[i] = (0.299 * data[4 * i] + 0.587 * data[4 * i + 1] + 0.114 * data[4 * i + 2]) / 255;
  return gray;
}

/**
 * A picture as the model sees digits: `side x side` gray values in [0, 1], light ink on black,
 * the way MNIST was made. The picture is looked at in full first (not after letterboxing, whose
 * black bars made a dark "3" on white paper look dark overall, so it was not inverted):
 * - its background is the typical colour of its border; light paper means dark ink, which is
 *   inverted (`invert`: 'auto', or 'yes' / 'no' to force it), and the paper becomes pure black;
 * - when it has such a plain background, the drawing is cut out (the box around its ink), scaled
 *   so its longer side is 20 of the 28 pixels and centred on its centre of mass, as MNIST's
 *   digits are: a wide 100 x 50 picture of a "3" gives a digit-sized 3, not a flat smear;
 * - a picture without a plain background (a photo) is scaled whole into the square, the bars
 *   filled with its own border colour.
 */
function toDigit(bitmap, side, invert) {
  // Work at up to 4 x side on the longer edge, keeping the shape.
  const fit = Math.min(1, (4 * side) / Math.max(bitmap.width, bitmap.height));
  const [w, h] = [Math.max(1, Math.round(bitmap.width * fit)), Math.max(1, Math.round(bitmap.height * fit))];
  const work = new OffscreenCanvas(w, h);
  const wg = work.getContext('2d', { willReadFrequently: true });
  wg.fillStyle = 'white'; // transparent pixels count as paper
  wg.fillRect(0, 0, w, h);
  wg.imageSmoothingQuality = 'high';
  wg.drawImage(bitmap, 0, 0, w, h);
  const gray = grayOf(wg, w, h);
  // The border: its median is the background; it is plain when most of it is close to that.
  const border = [];
  for (let x = 0; x < w; x++) border.push(gray[x], gray[(h - 1) * w + x]);
  for (let y = 0; y < h; y++) border.push(gray[y * w], gray[y * w + w - 1]);
  border.sort((a, b) => a - b);
  const background = border[Math.floor(border.length / 2)];
  const plain = border.filter((v) => Math.abs(v - background) < 0.15).length >= 0.8 * border.length;
  const mean = gray.reduce((s, v) => s + v, 0) / gray.length;
  const flip = invert === 'yes' || (invert === 'auto' && (plain ? background > 0.5 : mean > 0.5));
  if (flip) for (let i = 0; i < gray.length; i++) gray[i] = 1 - gray[i];
  const paper = flip ? 1 - background : background;
  // A plain background becomes black, the ink keeps its contrast against it.
  if (plain && paper < 0.5) for (let i = 0; i < gray.length; i++) gray[i] = Math.max(0, (gray[i] - paper) / (1 - paper));
  // The box around the ink, and the ink's centre of mass.
  let [x0, y0, x1, y1, mass, mx, my] = [w, h, -1, -1, 0, 0, 0];
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const v = gray[y * w + x];
      if (v <= 0.2) continue;
      x0 = Math.min(x0, x); y0 = Math.min(y0, y); x1 = Math.max(x1, x); y1 = Math.max(y1, y);
      mass += v; mx += v * (x + 0.5); my += v * (y + 0.5);
    }
  }
  const out = new OffscreenCanvas(side, side);
  const og = out.getContext('2d', { willReadFrequently: true });
  og.imageSmoothingQuality = 'high';
  const cleaned = new OffscreenCanvas(w, h);
  const cg = cleaned.getContext('2d');
  const image = cg.createImageData(w, h);
  for (let i = 0; i < gray.length; i++) {
    const v = Math.round(gray[i] * 255);
    image.data.set([v, v, v, 255], 4 * i);
  }
  cg.putImageData(image, 0, 0);
  const shade = Math.round((plain && paper < 0.5 ? 0 : flip ? 1 - background : background) * 255);
  og.fillStyle = `rgb(${shade}, ${shade}, ${shade})`;
  og.fillRect(0, 0, side, side);
  if (plain && x1 >= x0) {
    // MNIST: the ink's box scaled to 20 pixels on its longer side, centred on its centre of mass.
    const [bw, bh] = [x1 - x0 + 1, y1 - y0 + 1];
    const scale = (side * 20) / 28 / Math.max(bw, bh);
    const [cx, cy] = [mx / mass, my / mass];
    const left = Math.max(0, Math.min(side - bw * scale, side / 2 - (cx - x0) * scale));
    const top = Math.max(0, Math.min(side - bh * scale, side / 2 - (cy - y0) * scale));
    og.drawImage(cleaned, x0, y0, bw, bh, left, top, bw * scale, bh * scale);
  } else {
    const scale = Math.min(side / w, side / h);
    og.drawImage(cleaned, (side - w * scale) / 2, (side - h * scale) / 2, w * scale, h * scale);
  }
  return grayOf(og, side, side);
}

/**
 * A picture as the colour model sees it: `side x side` RGB in [0, 1] (planar: all red, then green,
 * then blue), scaled whole into the square over white, as the emoji were made (transparent pixels
 * and the bars beside a non-square picture are white).
 */
function toColour(source, side) {
  const canvas = new OffscreenCanvas(side, side);
  const g = canvas.getContext('2d', { willReadFrequently: true });
  g.fillStyle = 'white';
  g.fillRect(0, 0, side, side);
  g.imageSmoothingQuality = 'high';
  const scale = Math.min(side / source.width, side / source.height);
  const [w, h] = [source.width * scale, source.height * scale];
  g.drawImage(source, (side - w) / 2, (side - h) / 2, w, h);
  const { data } = g.getImageData(0, 0, side, side);
  const plane = side * side;
  const out = new Float32Array(3 * plane);
  for (let p = 0; p < plane; p++) for (let c = 0; c < 3; c++) out[c * plane + p] = data[4 * p + c] / 255;
  return out;
}

/** A decoded picture kept as a small canvas (the bitmap is closed). */
function keep(bitmap) {
  const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
  canvas.getContext('2d').drawImage(bitmap, 0, 0);
  return canvas;
}

export function mountImages(root, mnist) {
  grayOptions = { side: mnist.cols, invert: 'auto' };
  const files = el('input', { type: 'file', accept: 'image/*', multiple: true });
  const drop = el('div', { class: 'drop', tabindex: 0, role: 'button', 'aria-label': 'drop pictures here, or press Enter to choose them' }, 'Drop images here or choose files');
  const invert = select([{ value: 'auto', label: 'automatic' }, { value: 'yes', label: 'always' }, { value: 'no', label: 'never' }], 'auto');
  const colourMode = select([{ value: 'gray', label: 'gray digits (28 × 28)' }, { value: 'colour', label: 'colour (32 × 32)' }], 'gray');
  const mode = () => colourMode.value;
  const preferred = { gray: 'vae-20d', colour: 'emoji-vae' };
  const view = modelView(root, 'vae-20d', { accepts: (c) => imageModels(c) && (mode() === 'colour' ? inColour(c) : c.inputShape[0] === 1) });
  const modelName = view.picker;
  const epochs = number(1, 500, 1, 30);
  const tune = el('button', { type: 'button', class: 'primary', disabled: true }, 'Fine-tune on these images');
  const clear = el('button', { type: 'button', disabled: true }, 'Clear images');
  const problemList = el('ul', { class: 'problems', 'aria-label': 'files that were skipped', hidden: true });
  const previews = el('canvas', { class: 'previews', role: 'img', 'aria-label': 'your images, resized to the model input' });
  const before = el('canvas', { class: 'previews', role: 'img', 'aria-label': 'reconstructions before fine-tuning' });
  const after = el('canvas', { class: 'previews', role: 'img', 'aria-label': 'reconstructions after fine-tuning' });
  const progress = el('progress', { max: 1, value: 0, 'aria-label': 'fine-tuning progress' });
  const readout = el('p', { class: 'readout' });
  const previewCaption = el('figcaption', {}, 'your images as the model sees them: 28 × 28, light ink on black');
  const previewFigure = el('figure', { hidden: true }, previews, previewCaption);
  const results = el('div', { class: 'row', hidden: true },
    el('figure', {}, before, el('figcaption', {}, 'reconstructed before fine-tuning')),
    el('figure', {}, after, el('figcaption', {}, 'reconstructed by the fine-tuned copy (redrawn while it trains)')));
  root.append(
    el('h2', {}, 'Your images'),
    el('p', { class: 'explain' }, 'Use your own pictures, such as digits written in dark ink on white paper: in gray they are prepared here, in the page, the way MNIST’s digits were (light ink on black, centred, 28 × 28 pixels), for the digit models; in colour they are shrunk to 32 × 32 over white for the colour emoji model. Nothing is uploaded. Fine-tuning trains a copy of a model on them; the original stays as it was.'),
    el('div', { class: 'controls' }, labelled('Image files', files), drop, labelled('Images in', colourMode), labelled('Invert dark-on-light', invert), clear),
    el('p', { class: 'explain' }, `Up to ${LIMITS.images} images, each at most ${megabytes(LIMITS.fileBytes)} and ${LIMITS.pixels / 1e6} megapixels.`),
    previewFigure,
    el('div', { class: 'controls' }, labelled('Model', modelName), labelled('Epochs', epochs), tune),
    progress, readout,
    results,
  );
  const setStatus = view.attach();
  setStatus('Add some images.', 'empty');
  root.querySelector('.status').after(problemList);

  const count = () => sources.length;
  /** The shape of the images for the chosen mode. */
  const shape = () => (mode() === 'colour' ? [3, COLOUR_SIDE, COLOUR_SIDE] : [1, mnist.rows, mnist.cols]);
  const redraw = () => {
    const n = count();
    if (n > 0) drawGrid(previews, imagesAs(mode()), n, shape(), Math.min(n, 10));
    else { previews.width = 0; previews.height = 0; }
    previews.dataset.channels = String(shape()[0]);
    previewCaption.textContent = mode() === 'colour'
      ? 'your images as the model sees them: 32 × 32 colour, over white'
      : 'your images as the model sees them: 28 × 28, light ink on black';
    invert.disabled = mode() === 'colour';
    previewFigure.hidden = n === 0;
    tune.disabled = n === 0;
    clear.disabled = n === 0;
  };

  /**
   * Add files: each is checked and decoded on its own, so a bad file is reported and the good
   * ones are kept; past LIMITS.images the rest are left out, and the status says how many.
   */
  async function addFiles(list) {
    const images = [];
    const problems = [];
    const room = LIMITS.images - count();
    let looked = 0;
    for (const file of list) {
      if (images.length >= room) break;
      looked++;
      setStatus(`Reading ${looked} of ${list.length}…`, 'busy');
      try {
        const bitmap = await decode(file, COLOUR_SIDE);
        try { images.push(keep(bitmap)); } finally { bitmap.close(); }
      } catch (error) {
        if (!(error instanceof FileProblem)) throw error;
        problems.push(`${file.name || 'unnamed file'}: ${error.message}`);
      }
    }
    if (images.length > 0) {
      sources = [...sources, ...images];
      converted = new Map();
    }
    const n = count();
    const notes = [];
    if (looked < list.length) {
      notes.push(room === 0
        ? `The panel already holds ${LIMITS.images} images, its limit: none of the ${list.length} files was added (clear the images first).`
        : `Kept ${images.length === looked ? `the first ${looked}` : `${images.length} images from the first ${looked}`} of ${list.length} files: the panel holds at most ${LIMITS.images} images.`);
    }
    if (problems.length > 0) notes.push(`Skipped ${problems.length} file${problems.length === 1 ? '' : 's'}: ${problems.length === 1 ? problems[0] : 'see below'}.`);
    const text = images.length > 0
      ? `${n} image${n === 1 ? '' : 's'} ready.`
      : `No image added${list.length === 0 ? ': no files came with it (drop image files, not text or links)' : ''}${n > 0 ? ` (${n} still ready)` : ''}.`;
    setStatus([text, ...notes].join(' '), images.length > 0 ? 'loaded' : 'rejected');
    const shown = problems.length > 1 ? problems.slice(0, LIMITS.listed) : [];
    if (problems.length > shown.length && shown.length > 0) shown.push(`and ${problems.length - shown.length} more`);
    problemList.replaceChildren(...shown.map((p) => el('li', {}, p)));
    problemList.hidden = shown.length === 0;
    redraw();
  }

  // One batch at a time, in the order given: a drop while another is being read waits for it.
  let queue = Promise.resolve();
  function add(list) {
    queue = queue.then(() => busy(setStatus, [tune, clear], () => addFiles(list))).then(redraw);
    return queue;
  }

  files.addEventListener('change', () => {
    const list = [...files.files];
    files.value = ''; // choosing the same files again fires 'change' again
    add(list);
  });
  clear.addEventListener('click', () => {
    sources = [];
    converted = new Map();
    problemList.replaceChildren();
    problemList.hidden = true;
    results.hidden = true;
    readout.textContent = '';
    progress.value = 0;
    redraw();
    setStatus('Add some images.', 'empty');
  });
  drop.addEventListener('click', () => files.click());
  drop.addEventListener('keydown', (e) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); files.click(); } });
  drop.addEventListener('dragover', (e) => { e.preventDefault(); drop.classList.add('over'); });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => { e.preventDefault(); drop.classList.remove('over'); add([...e.dataTransfer.files]); });

  const reconstructionError = (a, b) => a.reduce((s, v, i) => s + (v - b[i]) ** 2, 0) / a.length;

  // Fine-tuning waits for files being read, and files dropped meanwhile wait for it.
  tune.addEventListener('click', () => { queue = queue.then(fineTune).then(redraw); });
  // Fine-tuning trains a copy of the chosen model, never the model itself (the other panels
  // share it): the copy becomes "your fine-tuned model", offered in every panel. Its
  // reconstructions are redrawn about every second while it trains. It is saved (in memory, in
  // the store): its last save is what comes back on the CPU if the GPU device is lost.
  const fineTune = () => busy(setStatus, [tune, clear, files, colourMode], async () => {
    const from = modelName.value;
    const n = count();
    const imageShape = shape();
    setStatus(`Copying ${modelLabel(from)}…`, 'starting');
    const copy = await copyModel(from, TUNED);
    await putModel(TUNED, copy, { bytes: await copy.save(), note: `a copy of ${modelLabel(from)}, before fine-tuning` });
    const images = imagesAs(mode());
    const first = await copy.reconstruct(images);
    drawGrid(before, first, n, imageShape, Math.min(n, 10));
    drawGrid(after, first, n, imageShape, Math.min(n, 10));
    results.hidden = false;
    setStatus(`Fine-tuning a copy of ${modelLabel(from)} (the original stays as it was)…`, 'training');
    const live = async () => drawGrid(after, await copy.reconstruct(images), n, imageShape, Math.min(n, 10));
    const total = Number(epochs.value);
    const batchSize = Math.min(n, 32);
    const perEpoch = Math.ceil(n / batchSize);
    await trainLive(copy, TUNED, images, {
      from: 0, until: total * perEpoch, batchSize, learningRate: 1e-3, seed: 1,
      between: live,
      note: (steps) => `after fine-tuning ${steps} steps on your ${n} image${n === 1 ? '' : 's'}`,
      onProgress: (p) => { progress.value = p.done / p.until; },
    });
    const second = await copy.reconstruct(images);
    drawGrid(after, second, n, imageShape, Math.min(n, 10));
    const [e1, e2] = [reconstructionError(first, images), reconstructionError(second, images)];
    readout.dataset.before = String(e1);
    readout.dataset.after = String(e2);
    readout.textContent = `reconstruction error (mean squared error per pixel; lower is better): ${e1.toFixed(4)} before → ${e2.toFixed(4)} after`;
    setStatus(`Fine-tuned a copy of ${modelLabel(from)}: it is now “your fine-tuned model” in every panel; ${modelLabel(from)} itself is unchanged.`, 'done');
  });

  // The mode decides the models offered and how the pictures are prepared; the invert setting
  // redoes the gray conversion.
  colourMode.addEventListener('change', async () => {
    await view.refresh();
    const want = preferred[mode()];
    if ([...modelName.options].some((o) => o.value === want)) modelName.value = want;
    results.hidden = true;
    readout.textContent = '';
    progress.value = 0;
    redraw();
  });
  invert.addEventListener('change', () => {
    grayOptions = { ...grayOptions, invert: invert.value };
    redraw();
  });

  return { async show() { await view.refresh(); tune.disabled = count() === 0; } };
}

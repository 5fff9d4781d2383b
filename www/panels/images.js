// Your images: drop or choose pictures, see them resized to the model's input, fine-tune a model
// on them, and compare reconstructions before and after. Nothing leaves the page.
import { drawGrid } from '../draw.js';
import { el, labelled, select, number, status, busy, setOptions } from '../ui.js';
import { getModel, modelChoices, onModelsChanged, recordSave, markUnsaved } from '../store.js';

let current = new Float32Array(0);

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

/** The user's images, resized and converted, for the Train panel. */
export function userImages() {
  return current;
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

/** Draw a bitmap onto a side x side canvas (letterboxed) and return gray values in [0, 1]. */
function toGray(bitmap, side, invert) {
  const canvas = new OffscreenCanvas(side, side);
  const g = canvas.getContext('2d');
  g.fillStyle = invert === 'yes' ? 'white' : 'black';
  g.fillRect(0, 0, side, side);
  const scale = Math.min(side / bitmap.width, side / bitmap.height);
  const [w, h] = [bitmap.width * scale, bitmap.height * scale];
  g.imageSmoothingQuality = 'high';
  g.drawImage(bitmap, (side - w) / 2, (side - h) / 2, w, h);
  const { data } = g.getImageData(0, 0, side, side);
  const gray = new Float32Array(side * side);
  for (let i = 0; i < gray.length; i++) gray[i] = (0.299 * data[4 * i] + 0.587 * data[4 * i + 1] + 0.114 * data[4 * i + 2]) / 255;
  const mean = gray.reduce((s, v) => s + v, 0) / gray.length;
  // MNIST digits are light ink on black: flip dark-on-light pictures (or as asked).
  if (invert === 'yes' || (invert === 'auto' && mean > 0.5)) for (let i = 0; i < gray.length; i++) gray[i] = 1 - gray[i];
  return gray;
}

export function mountImages(root, mnist) {
  const side = mnist.cols;
  const files = el('input', { type: 'file', accept: 'image/*', multiple: true });
  const drop = el('div', { class: 'drop', tabindex: 0, role: 'button', 'aria-label': 'drop pictures here, or press Enter to choose them' }, 'Drop images here or choose files');
  const invert = select([{ value: 'auto', label: 'automatic' }, { value: 'yes', label: 'always' }, { value: 'no', label: 'never' }], 'auto');
  const modelName = select([], 'vae-20d');
  const epochs = number(1, 500, 1, 30);
  const tune = el('button', { type: 'button', class: 'primary', disabled: true }, 'Fine-tune on these images');
  const clear = el('button', { type: 'button', disabled: true }, 'Clear images');
  const problemList = el('ul', { class: 'problems', 'aria-label': 'files that were skipped', hidden: true });
  const previews = el('canvas', { class: 'previews', role: 'img', 'aria-label': 'your images, resized to the model input' });
  const before = el('canvas', { class: 'previews', role: 'img', 'aria-label': 'reconstructions before fine-tuning' });
  const after = el('canvas', { class: 'previews', role: 'img', 'aria-label': 'reconstructions after fine-tuning' });
  const progress = el('progress', { max: 1, value: 0, 'aria-label': 'fine-tuning progress' });
  const readout = el('p', { class: 'readout' }, '–');
  root.append(
    el('h2', {}, 'Your images'),
    el('p', { class: 'explain' }, 'Use your own pictures: they are decoded and resized here, in the page, and never uploaded. Fine-tuning adapts a model to them.'),
    el('div', { class: 'controls' }, labelled('Image files', files), drop, labelled('Invert dark-on-light', invert), clear),
    el('p', { class: 'explain' }, `Up to ${LIMITS.images} images, each at most ${megabytes(LIMITS.fileBytes)} and ${LIMITS.pixels / 1e6} megapixels.`),
    el('figure', {}, previews, el('figcaption', {}, 'your images at the model’s input size')),
    el('div', { class: 'controls' }, labelled('Model', modelName), labelled('Epochs', epochs), tune),
    progress, readout,
    el('div', { class: 'row' },
      el('figure', {}, before, el('figcaption', {}, 'reconstructed before')),
      el('figure', {}, after, el('figcaption', {}, 'reconstructed after'))),
  );
  const setStatus = status(root);
  setStatus('Add some images.', 'empty');
  root.querySelector('.status').after(problemList);

  const count = () => current.length / (side * side);
  const redraw = () => {
    const n = count();
    if (n > 0) drawGrid(previews, current, n, side, Math.min(n, 10));
    else { previews.width = 0; previews.height = 0; }
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
        const bitmap = await decode(file, side);
        try { images.push(toGray(bitmap, side, invert.value)); } finally { bitmap.close(); }
      } catch (error) {
        if (!(error instanceof FileProblem)) throw error;
        problems.push(`${file.name || 'unnamed file'}: ${error.message}`);
      }
    }
    if (images.length > 0) {
      const all = new Float32Array(current.length + images.length * side * side);
      all.set(current);
      images.forEach((img, i) => all.set(img, current.length + i * side * side));
      current = all;
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
    current = new Float32Array(0);
    problemList.replaceChildren();
    problemList.hidden = true;
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
  // The fine-tuned model is saved (in memory, in the store): its last save is what comes back on
  // the CPU if the GPU device is lost.
  const fineTune = () => busy(setStatus, [tune, clear, files], async () => {
    const name = modelName.value;
    const model = await getModel(name);
    const n = current.length / (side * side);
    const first = await model.reconstruct(current);
    drawGrid(before, first, n, side, Math.min(n, 10));
    setStatus('Fine-tuning…', 'training');
    const total = Number(epochs.value);
    let steps = 0;
    await model.train(current, {
      epochs: total, batchSize: Math.min(n, 32), learningRate: 1e-3, seed: 1,
      onProgress: (p) => {
        markUnsaved(name, ++steps);
        progress.value = (p.epoch + (p.step + 1) / p.stepsPerEpoch) / total;
      },
    });
    recordSave(name, await model.save(), `after fine-tuning on your ${n} image${n === 1 ? '' : 's'}`);
    const second = await model.reconstruct(current);
    drawGrid(after, second, n, side, Math.min(n, 10));
    const [e1, e2] = [reconstructionError(first, current), reconstructionError(second, current)];
    readout.dataset.before = String(e1);
    readout.dataset.after = String(e2);
    readout.textContent = `reconstruction error (MSE per pixel): ${e1.toFixed(4)} before → ${e2.toFixed(4)} after`;
    setStatus('Fine-tuned.', 'done');
  });

  const refresh = async () => setOptions(modelName, await modelChoices(), modelName.value || 'vae-20d');
  onModelsChanged(refresh);
  return { async show() { await refresh(); tune.disabled = current.length === 0; } };
}

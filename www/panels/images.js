// Your images: drop or choose pictures, see them resized to the model's input, fine-tune a model
// on them, and compare reconstructions before and after. Nothing leaves the page.
import { drawGrid } from '../draw.js';
import { el, labelled, select, number, status, busy, setOptions } from '../ui.js';
import { getModel, modelChoices, onModelsChanged } from '../store.js';

let current = new Float32Array(0);

/** The user's images, resized and converted, for the Train panel. */
export function userImages() {
  return current;
}

/** Decode a file, draw it onto a side x side canvas (letterboxed) and return gray values in [0, 1]. */
async function toGray(file, side, invert) {
  const bitmap = await createImageBitmap(file);
  const canvas = new OffscreenCanvas(side, side);
  const g = canvas.getContext('2d');
  g.fillStyle = invert === 'yes' ? 'white' : 'black';
  g.fillRect(0, 0, side, side);
  const scale = Math.min(side / bitmap.width, side / bitmap.height);
  const [w, h] = [bitmap.width * scale, bitmap.height * scale];
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
  const previews = el('canvas', { class: 'previews', role: 'img', 'aria-label': 'your images, resized to the model input' });
  const before = el('canvas', { class: 'previews', role: 'img', 'aria-label': 'reconstructions before fine-tuning' });
  const after = el('canvas', { class: 'previews', role: 'img', 'aria-label': 'reconstructions after fine-tuning' });
  const progress = el('progress', { max: 1, value: 0, 'aria-label': 'fine-tuning progress' });
  const readout = el('p', { class: 'readout' }, '–');
  root.append(
    el('h2', {}, 'Your images'),
    el('p', { class: 'explain' }, 'Use your own pictures: they are decoded and resized here, in the page, and never uploaded. Fine-tuning adapts a model to them.'),
    el('div', { class: 'controls' }, labelled('Image files', files), drop, labelled('Invert dark-on-light', invert)),
    el('figure', {}, previews, el('figcaption', {}, 'your images at the model’s input size')),
    el('div', { class: 'controls' }, labelled('Model', modelName), labelled('Epochs', epochs), tune),
    progress, readout,
    el('div', { class: 'row' },
      el('figure', {}, before, el('figcaption', {}, 'reconstructed before')),
      el('figure', {}, after, el('figcaption', {}, 'reconstructed after'))),
  );
  const setStatus = status(root);
  setStatus('Add some images.', 'empty');

  async function add(list) {
    await busy(setStatus, [tune], async () => {
      const images = [];
      for (const file of list) {
        if (!file.type.startsWith('image/')) continue;
        images.push(await toGray(file, side, invert.value));
      }
      if (images.length === 0) throw new Error('none of those files is an image this browser can decode');
      const all = new Float32Array((current.length / (side * side) + images.length) * side * side);
      all.set(current);
      images.forEach((img, i) => all.set(img, current.length + i * side * side));
      current = all;
      const n = current.length / (side * side);
      drawGrid(previews, current, n, side, Math.min(n, 10));
      setStatus(`${n} image${n === 1 ? '' : 's'} ready.`, 'loaded');
    });
  }

  files.addEventListener('change', () => add([...files.files]));
  drop.addEventListener('click', () => files.click());
  drop.addEventListener('keydown', (e) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); files.click(); } });
  drop.addEventListener('dragover', (e) => { e.preventDefault(); drop.classList.add('over'); });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => { e.preventDefault(); drop.classList.remove('over'); add([...e.dataTransfer.files]); });

  const reconstructionError = (a, b) => a.reduce((s, v, i) => s + (v - b[i]) ** 2, 0) / a.length;

  tune.addEventListener('click', () => busy(setStatus, [tune], async () => {
    const model = await getModel(modelName.value);
    const n = current.length / (side * side);
    const first = await model.reconstruct(current);
    drawGrid(before, first, n, side, Math.min(n, 10));
    setStatus('Fine-tuning…', 'training');
    const total = Number(epochs.value);
    await model.train(current, {
      epochs: total, batchSize: Math.min(n, 32), learningRate: 1e-3, seed: 1,
      onProgress: (p) => { progress.value = (p.epoch + (p.step + 1) / p.stepsPerEpoch) / total; },
    });
    const second = await model.reconstruct(current);
    drawGrid(after, second, n, side, Math.min(n, 10));
    const [e1, e2] = [reconstructionError(first, current), reconstructionError(second, current)];
    readout.dataset.before = String(e1);
    readout.dataset.after = String(e2);
    readout.textContent = `reconstruction error (MSE per pixel): ${e1.toFixed(4)} before → ${e2.toFixed(4)} after`;
    setStatus('Fine-tuned.', 'done');
  }));

  const refresh = async () => setOptions(modelName, await modelChoices(), modelName.value || 'vae-20d');
  onModelsChanged(refresh);
  return { async show() { await refresh(); tune.disabled = current.length === 0; } };
}

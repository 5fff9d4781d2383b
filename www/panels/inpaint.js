// Inpaint: paint over part of a digit (mouse, pen or finger), or drop a random block; the model
// fills the hidden pixels, iterating reconstruct-and-restore. PSNR inside the hidden region.
import { drawGray, drawMasked, figure, psnr } from '../draw.js';
import { el, labelled, select, slider, status, digitPicker, busy, setOptions, paintWith } from '../ui.js';
import { getModel, modelChoices, onModelsChanged } from '../store.js';

export function mountInpaint(root, mnist) {
  const side = mnist.cols;
  const mask = new Float32Array(mnist.size);
  const modelName = select([], 'inpainter');
  const brush = slider(1, 6, 1, 2);
  const iterations = slider(1, 30, 1, 10);
  const iterationsValue = el('output', {}, '10');
  const clear = el('button', { type: 'button' }, 'Clear mask');
  const block = el('button', { type: 'button' }, 'Random block');
  const paint = figure('paint here: the hidden pixels', { width: 224, height: 224 });
  const filled = figure('inpainted', { width: 224, height: 224 });
  const original = figure('original', { width: 224, height: 224 });
  paint.canvas.classList.add('paintable');
  paint.canvas.tabIndex = 0;
  const readout = el('p', { class: 'readout' }, '–');
  let index = 0;
  const picker = digitPicker(mnist, 'Digit', 1450, (i) => { index = i; update(); });
  root.append(
    el('h2', {}, 'Inpaint'),
    el('p', { class: 'explain' }, 'Hide part of a digit: the autoencoder guesses the missing pixels from what it learned digits look like. Drag on the left canvas (arrow keys and Space also paint).'),
    el('div', { class: 'controls' }, labelled('Model', modelName), picker.node, labelled('Brush size', brush), clear, block,
      labelled('Iterations', iterations), iterationsValue),
    el('div', { class: 'row' }, paint.fig, filled.fig, original.fig),
    readout,
  );
  const setStatus = status(root);
  let pending = Promise.resolve();

  function redrawMask() {
    drawMasked(paint.canvas, mnist.test.image(index), mask, side, side);
  }

  async function update() {
    iterationsValue.textContent = iterations.value;
    redrawMask();
    const run = async () => {
      const model = await getModel(modelName.value);
      const image = mnist.test.image(index);
      drawGray(original.canvas, image, side, side);
      if (!mask.some((v) => v >= 0.5)) {
        drawGray(filled.canvas, image, side, side);
        readout.textContent = 'Paint over the digit to hide some pixels.';
        readout.dataset.hiddenPsnr = '';
        return setStatus('Ready.', 'ready');
      }
      const out = await model.inpaint(image, mask, { iterations: Number(iterations.value) });
      drawGray(filled.canvas, out, side, side);
      const [pFilled, pBlack] = [psnr(out, image, mask), psnr(new Float32Array(image.length), image, mask)];
      readout.dataset.hiddenPsnr = pFilled.toFixed(3);
      readout.textContent = `PSNR inside the hidden region: ${pFilled.toFixed(2)} dB inpainted (vs ${pBlack.toFixed(2)} dB left black)`;
      setStatus(`Ready (running on ${model.backend === 'webgpu' ? 'WebGPU' : 'the CPU'}).`, 'ready');
    };
    setStatus('Working…', 'busy');
    pending = pending.then(() => busy(setStatus, [], run));
    return pending;
  }

  // Painting the mask: pointer strokes or the keyboard.
  const stamp = (x, y) => {
    const r = Number(brush.value) / 2;
    for (let yy = Math.floor(y - r); yy <= Math.ceil(y + r); yy++) {
      for (let xx = Math.floor(x - r); xx <= Math.ceil(x + r); xx++) {
        if (xx >= 0 && yy >= 0 && xx < side && yy < side && (xx - x) ** 2 + (yy - y) ** 2 <= r * r + 0.5) mask[yy * side + xx] = 1;
      }
    }
    redrawMask();
  };
  paintWith(paint.canvas, side, stamp, update);
  clear.addEventListener('click', () => { mask.fill(0); update(); });
  let seed = 1;
  block.addEventListener('click', () => {
    // A deterministic sequence of blocks, 8 to 12 pixels a side, over the middle of the digit.
    seed = (seed * 16807) % 2147483647;
    const size = 8 + (seed % 5);
    const top = 6 + (seed % 9);
    const left = 6 + ((seed >> 4) % 9);
    for (let y = top; y < Math.min(side, top + size); y++) for (let x = left; x < Math.min(side, left + size); x++) mask[y * side + x] = 1;
    update();
  });
  iterations.addEventListener('input', update);
  modelName.addEventListener('change', update);
  const refresh = async () => setOptions(modelName, await modelChoices(), modelName.value || 'inpainter');
  onModelsChanged(refresh);
  return { async show() { await refresh(); picker.update(); } };
}

// Inpaint: paint over part of a digit (mouse, pen or finger), or drop a random block; the model
// fills the hidden pixels, iterating reconstruct-and-restore. PSNR inside the hidden region.
//
// How many passes: a model trained to fill holes (a denoising model, such as the pretrained
// inpainter, which learned to map a digit with zeroed blocks to the whole digit in one pass) does
// best in one pass. Fed its own output again it sees an input unlike any it was trained on, and
// each pass drifts: at 10 passes a hand-painted stroke could score worse than leaving the hidden
// pixels black (8.14 vs 8.27 dB), while one pass beats black on every stroke we tried. Other
// models (a VAE) did not learn to fill holes, and improve over several passes. So the panel
// starts each model at its own best number of passes.
import { drawGray, drawMasked, figure, psnr } from '../draw.js';
import { el, labelled, slider, digitPicker, paintWith } from '../ui.js';
import { modelView } from '../view.js';
import { digitModels } from '../store.js';

/** The number of passes a model starts with: 1 for models trained to undo a corruption, else 10. */
export const passesFor = (config) => (config.kind === 'denoising' || config.corruption ? 1 : 10);

export function mountInpaint(root, mnist) {
  const side = mnist.cols;
  const mask = new Float32Array(mnist.size);
  const view = modelView(root, 'inpainter', { accepts: digitModels });
  const brush = slider(1, 6, 1, 2);
  const iterations = slider(1, 30, 1, 1);
  const iterationsValue = el('output', {}, '1');
  const clear = el('button', { type: 'button' }, 'Clear mask');
  const block = el('button', { type: 'button' }, 'Random block');
  const paint = figure('paint here: the hidden pixels', { width: 224, height: 224 });
  const filled = figure('inpainted', { width: 224, height: 224 });
  const original = figure('original', { width: 224, height: 224 });
  paint.canvas.classList.add('paintable');
  paint.canvas.tabIndex = 0;
  const readout = el('p', { class: 'readout' }, '–');
  const passesHelp = el('p', { class: 'hint' });
  let index = 0;
  let lastModel = null;
  const picker = digitPicker(mnist, 'Digit', 1450, (i) => { index = i; update(); });
  root.append(
    el('h2', {}, 'Inpaint'),
    el('p', { class: 'explain' }, 'Hide part of a digit: the autoencoder guesses the missing pixels from what it learned digits look like. Drag on the left canvas (arrow keys and Space also paint).'),
    el('div', { class: 'controls' }, labelled('Model', view.picker), picker.node, labelled('Brush size', brush), clear, block,
      labelled('Passes', iterations), iterationsValue),
    passesHelp,
    el('div', { class: 'row' }, paint.fig, el('div', { class: 'row pipeline' }, filled.fig, original.fig)),
    readout,
  );
  view.attach();

  function redrawMask() {
    drawMasked(paint.canvas, mnist.test.image(index), mask, side, side);
  }

  const run = view.channel(async (model) => {
    // A newly picked model starts at its own best number of passes (see the top of this file).
    if (model !== lastModel) {
      lastModel = model;
      iterations.value = String(passesFor(model.config));
      iterationsValue.textContent = iterations.value;
      passesHelp.textContent = passesFor(model.config) === 1
        ? 'Passes: this model was trained to fill holes in one go, so one pass is its best; more passes feed it its own guesses and it drifts.'
        : 'Passes: the model fills the hidden pixels, then fills them again from its own guess; this model was not trained to fill holes, and gets better over several passes.';
    }
    const image = mnist.test.image(index);
    if (!mask.some((v) => v >= 0.5)) {
      return () => {
        drawGray(original.canvas, image, side, side);
        drawGray(filled.canvas, image, side, side);
        readout.textContent = 'Paint over the digit to hide some pixels.';
        readout.dataset.hiddenPsnr = '';
      };
    }
    const out = await model.inpaint(image, mask, { iterations: Number(iterations.value) });
    return () => {
      drawGray(original.canvas, image, side, side);
      drawGray(filled.canvas, out, side, side);
      const [pFilled, pBlack] = [psnr(out, image, mask), psnr(new Float32Array(image.length), image, mask)];
      readout.dataset.hiddenPsnr = pFilled.toFixed(3);
      readout.dataset.blackPsnr = pBlack.toFixed(3);
      readout.textContent = `PSNR inside the hidden region (higher is better): ${pFilled.toFixed(2)} dB inpainted, vs ${pBlack.toFixed(2)} dB if left black`;
    };
  });

  function update() {
    iterationsValue.textContent = iterations.value;
    redrawMask();
    return run();
  }

  // Painting the mask: pointer strokes or the keyboard. A pixel is hidden when its centre is
  // within the brush.
  const stamp = (x, y) => {
    const r = Number(brush.value) / 2;
    for (let yy = Math.floor(y - r - 1); yy <= Math.ceil(y + r); yy++) {
      for (let xx = Math.floor(x - r - 1); xx <= Math.ceil(x + r); xx++) {
        if (xx >= 0 && yy >= 0 && xx < side && yy < side && (xx + 0.5 - x) ** 2 + (yy + 0.5 - y) ** 2 <= r * r + 0.5) mask[yy * side + xx] = 1;
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
  view.picker.addEventListener('change', update);
  return { async show() { await view.refresh(); picker.update(); } };
}

// Inpaint: paint over part of a digit (mouse, pen or finger), or drop a random block; the model
// fills the hidden pixels, iterating reconstruct-and-restore. PSNR inside the hidden region. With
// the colour emoji VAE the picture is a held-out emoji, filled in colour.
//
// How many passes: a model trained to fill holes (a denoising model, such as the pretrained
// inpainter, which learned to map a digit with zeroed blocks to the whole digit in one pass) does
// best in one pass. Fed its own output again it sees an input unlike any it was trained on, and
// each pass drifts: at 10 passes a hand-painted stroke could score worse than leaving the hidden
// pixels black (8.14 vs 8.27 dB), while one pass beats black on every stroke we tried. Other
// models (a VAE) did not learn to fill holes, and improve over several passes. So the panel
// starts each model at its own best number of passes.
import { drawImage, drawMasked, figure, psnr } from '../draw.js';
import { el, labelled, select, slider, digitPicker, paintWith } from '../ui.js';
import { modelView } from '../view.js';
import { imageModels, inColour } from '../store.js';
import { listEmoji, emojiCredit } from '../emoji.js';

/** The emoji shown first with a colour model (held out, and reconstructed well). */
const FIRST_EMOJI = 'smiling face with heart-shaped eyes';

/** The number of passes a model starts with: 1 for models trained to undo a corruption, else 10. */
export const passesFor = (config) => (config.kind === 'denoising' || config.corruption ? 1 : 10);

export function mountInpaint(root, mnist) {
  // The picture's shape: a digit's until a colour model is picked. The mask has one value per
  // pixel position (all channels of a hidden pixel are hidden).
  let shape = [1, mnist.rows, mnist.cols];
  let mask = new Float32Array(mnist.size);
  const side = () => shape[2];
  const colour = () => shape[0] === 3;
  const view = modelView(root, 'inpainter', { accepts: imageModels });
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
  // The colour pictures: the held-out emoji, listed once a colour model is first picked.
  let emoji = null;
  const emojiPick = select([], '');
  const emojiField = labelled('Emoji', emojiPick);
  emojiField.hidden = true;
  emojiPick.addEventListener('change', () => { mask.fill(0); update(); });
  const credit = emojiCredit();
  const explain = el('p', { class: 'explain' });
  root.append(
    el('h2', {}, 'Inpaint'),
    explain,
    el('div', { class: 'controls' }, labelled('Model', view.picker), picker.node, emojiField, labelled('Brush size', brush), clear, block,
      labelled('Passes', iterations), iterationsValue),
    passesHelp,
    el('div', { class: 'row' }, paint.fig, el('div', { class: 'row pipeline' }, filled.fig, original.fig)),
    readout,
    credit,
  );
  view.attach();

  /** The picture being inpainted, as floats in [0, 1] of `shape`. */
  const picture = () => (colour() ? emoji.image(Number(emojiPick.value)) : mnist.test.image(index));

  /** Show the controls of a gray or a colour model; a new shape starts with no mask. */
  function setShape(next) {
    if (next.join() !== shape.join()) {
      shape = [...next];
      mask = new Float32Array(shape[1] * shape[2]);
    }
    picker.node.hidden = colour();
    emojiField.hidden = !colour();
    credit.hidden = !colour();
    explain.textContent = colour()
      ? 'Hide part of an emoji: the autoencoder guesses the missing pixels, in colour, from what it learned emoji look like (this one is held out: the model never saw it). Drag on the left canvas (arrow keys and Space also paint).'
      : 'Hide part of a digit: the autoencoder guesses the missing pixels from what it learned digits look like. Drag on the left canvas (arrow keys and Space also paint).';
  }
  setShape(shape);

  /** The held-out emoji, listed on first use. */
  async function emojiSet() {
    emoji = await listEmoji(emojiPick, FIRST_EMOJI);
    return emoji;
  }

  function redrawMask() {
    if (colour() && !emoji) return;
    drawMasked(paint.canvas, picture(), mask, shape);
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
    if (inColour(model.config)) await emojiSet();
    const wanted = model.inputShape;
    const sameShape = wanted.join() === shape.join();
    // A model of another shape starts on its own kind of picture, with no mask yet.
    const image = sameShape ? picture() : null;
    const hides = sameShape && mask.some((v) => v >= 0.5);
    const out = hides ? await model.inpaint(image, mask, { iterations: Number(iterations.value) }) : null;
    return () => {
      if (!sameShape) setShape(wanted);
      const shown = image ?? picture();
      redrawMask();
      drawImage(original.canvas, shown, shape);
      original.canvas.dataset.channels = String(shape[0]);
      if (!out) {
        drawImage(filled.canvas, shown, shape);
        readout.textContent = `Paint over the ${colour() ? 'emoji' : 'digit'} to hide some pixels.`;
        readout.dataset.hiddenPsnr = '';
        return;
      }
      drawImage(filled.canvas, out, shape);
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
    const side = shape[2];
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
    // A deterministic sequence of blocks, 8 to 12 pixels a side (on a 28-pixel digit; in
    // proportion on other sizes), over the middle of the picture.
    seed = (seed * 16807) % 2147483647;
    const n = side();
    const at = (v) => Math.round((v * n) / 28);
    const size = at(8 + (seed % 5));
    const top = at(6 + (seed % 9));
    const left = at(6 + ((seed >> 4) % 9));
    for (let y = top; y < Math.min(n, top + size); y++) for (let x = left; x < Math.min(n, left + size); x++) mask[y * n + x] = 1;
    update();
  });
  iterations.addEventListener('input', update);
  view.picker.addEventListener('change', update);
  return { async show() { await view.refresh(); if (colour()) update(); else picker.update(); } };
}

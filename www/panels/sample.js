// Sample: a grid of new images decoded from the prior, re-rolled with a seed: digits, or colour
// emoji with the emoji VAE. For a digit VAE with a 2-D latent, the latent map: digits decoded on a
// grid over the plane, the held-out digits' codes scattered on it coloured by label, and a click
// decodes that point.
import { drawGrid, drawGray, figure } from '../draw.js';
import { el, labelled, number } from '../ui.js';
import { modelView } from '../view.js';
import { imageModels, inColour } from '../store.js';
import { emojiCredit } from '../emoji.js';
import { latentMap, latentCanvases, drawLatentMap, pointAt } from '../latent.js';

const GRID = 8;

export function mountSample(root, mnist) {
  const view = modelView(root, 'vae-2d', { accepts: imageModels });
  const seed = number(0, 1_000_000, 1, 1);
  const reroll = el('button', { type: 'button', class: 'primary' }, 'Re-roll');
  const grid = el('canvas', { class: 'grid', role: 'img', 'aria-label': 'sampled digits' });
  const caption = el('figcaption', {}, 'new digits, decoded from random codes');
  const credit = emojiCredit();
  const canvases = latentCanvases({ scatterLabel: 'codes of held-out digits coloured by label; click to decode a point' });
  canvases.scatter.tabIndex = 0;
  const picked = figure('click the scatter plot', { width: 140, height: 140 });
  picked.fig.classList.add('picked');
  const mapSection = el('section', { class: 'map-section', hidden: true },
    el('h3', {}, 'The latent map (a 2-D code)'),
    el('p', { class: 'explain' }, 'Left: the digit the decoder makes at each point of the code plane. Right: where the encoder puts held-out digits, one dot each, coloured by what digit it is. Click a point (or focus the plot and use the arrow keys) to decode it.'),
    el('div', { class: 'row' }, el('figure', {}, canvases.map), el('div', {}, canvases.scatter, canvases.legend), picked.fig));
  root.append(
    el('h2', {}, 'Sample'),
    el('p', { class: 'explain' }, 'A VAE learns codes that follow N(0, I): draw codes from it and decode them into digits nobody wrote, or, with emoji-vae, colour emoji nobody drew.'),
    el('div', { class: 'controls' }, labelled('Model', view.picker), labelled('Seed', seed), reroll),
    el('div', { class: 'row sample-row' }, el('figure', { class: 'samples-figure' }, grid, caption), mapSection),
    credit,
  );
  view.attach();

  // The grid of samples, and the latent map (when `map`, or not yet drawn for this model): one
  // request, latest wins.
  let mapped = null; // the model the latent map shows
  let plotted = null; // what it shows (its range, for clicks)
  const draw = view.channel(async (model, current, map = true) => {
    const images = await model.sample(GRID * GRID, { seed: Number(seed.value) });
    const again = map || mapped !== model;
    const colour = inColour(model.config);
    const plane = again && !colour && model.latentSize === 2 && current() ? await latentMap(model, mnist) : null;
    const centre = plane ? await model.decode(Float32Array.of(0, 0)) : null;
    return () => {
      drawGrid(grid, images, GRID * GRID, model.inputShape, GRID);
      grid.dataset.channels = String(model.inputShape[0]);
      grid.setAttribute('aria-label', colour ? 'sampled emoji, in colour' : 'sampled digits');
      caption.textContent = colour ? 'new emoji, decoded from random codes' : 'new digits, decoded from random codes';
      credit.hidden = !colour;
      if (!again) return;
      mapped = model;
      mapSection.hidden = !plane;
      plotted = plane;
      if (!plane) return;
      drawLatentMap(canvases, plane, mnist.cols);
      drawGray(picked.canvas, centre, mnist.cols, mnist.rows);
      picked.cap.textContent = 'z = (0.00, 0.00): click the plot to decode another point';
    };
  });

  // One point of the plane, decoded.
  const decodeAt = view.channel(async (model, current, x, y) => {
    const image = await model.decode(Float32Array.of(x, y));
    return () => {
      drawGray(picked.canvas, image, mnist.cols, mnist.rows);
      picked.cap.textContent = `z = (${x.toFixed(2)}, ${y.toFixed(2)})`;
    };
  });

  reroll.addEventListener('click', () => { seed.value = String(Number(seed.value) + 1); draw(false); });
  seed.addEventListener('change', () => draw(false));
  view.picker.addEventListener('change', () => draw(true));
  const { scatter } = canvases;
  scatter.addEventListener('click', (e) => {
    const rect = scatter.getBoundingClientRect();
    decodeAt(...pointAt(plotted, (e.clientX - rect.left) / rect.width, (e.clientY - rect.top) / rect.height));
  });
  // The keyboard: Enter decodes the centre, arrows move the point.
  let point = [0, 0];
  scatter.addEventListener('keydown', (e) => {
    const moves = { ArrowLeft: [-0.25, 0], ArrowRight: [0.25, 0], ArrowUp: [0, 0.25], ArrowDown: [0, -0.25] };
    const range = plotted?.range ?? 3;
    if (moves[e.key]) point = point.map((v, i) => Math.max(-range, Math.min(range, v + moves[e.key][i] * (range / 3))));
    else if (e.key !== 'Enter' && e.key !== ' ') return;
    e.preventDefault();
    decodeAt(...point);
  });
  return { async show() { await view.refresh(); await draw(true); } };
}

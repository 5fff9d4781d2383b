// The latent map of a model with a 2-D code: digits decoded on a grid over the plane, and the
// codes of held-out digits scattered on it, coloured by label. Shared by the Sample panel (for a
// trained model) and the Train panel (live, while a 2-D model trains).
import { drawGrid } from './draw.js';
import { el } from './ui.js';

export const MAP = 15;
export const RANGE = 3; // a VAE's map covers [-3, 3]^2 of the latent plane, where its prior puts its mass
export const LABEL_COLORS = ['#e6194b', '#3cb44b', '#c9a800', '#4363d8', '#f58231', '#911eb4', '#1fa9a9', '#f032e6', '#7fa80b', '#a0522d'];

/** The grid of codes the map decodes over [-range, range]^2, row by row from the top (y = +range) down. */
function gridCodes(range) {
  const codes = new Float32Array(MAP * MAP * 2);
  for (let r = 0; r < MAP; r++) {
    for (let c = 0; c < MAP; c++) {
      codes[(r * MAP + c) * 2] = -range + (2 * range * c) / (MAP - 1);
      codes[(r * MAP + c) * 2 + 1] = range - (2 * range * r) / (MAP - 1);
    }
  }
  return codes;
}

/**
 * What the map shows for `model` (2-D code): `{ decoded, codes, labels, range }` for `n`
 * held-out digits. A VAE's map covers [-3, 3]^2; other models' codes go where they like, so
 * their map covers where 98% of the held-out codes fall.
 */
export async function latentMap(model, mnist, n = 1000) {
  const spread = mnist.test.spread(n);
  const codes = await model.encode(spread.pixels);
  let range = RANGE;
  if (model.config.kind !== 'variational') {
    const sizes = Array.from(codes, Math.abs).filter(Number.isFinite).sort((a, b) => a - b);
    range = Math.max(1e-3, (sizes[Math.floor(sizes.length * 0.98)] ?? 1) * 1.15);
  }
  const decoded = await model.decode(gridCodes(range));
  return { decoded, codes, labels: spread.labels, range };
}

/** The latent point under a click at fractions (fx, fy) of the scatter plot of `data`. */
export function pointAt(data, fx, fy) {
  const range = data?.range ?? RANGE;
  return [-range + fx * 2 * range, range - fy * 2 * range];
}

/** The map's canvases (decoded grid, scatter) and its colour legend, to place in a panel. */
export function latentCanvases({ size = 420, scatterLabel = 'codes of held-out digits coloured by label' } = {}) {
  const map = el('canvas', { class: 'latent-map', role: 'img', 'aria-label': 'latent map: digits decoded over the latent plane' });
  const scatter = el('canvas', { class: 'scatter', role: 'img', 'aria-label': scatterLabel, width: size, height: size });
  // Colours set through the CSSOM, not a style attribute: the page runs under a CSP without 'unsafe-inline'.
  // Each key stays whole; the line breaks between keys.
  const legend = el('p', { class: 'legend' }, ...LABEL_COLORS.flatMap((c, d) => {
    const key = el('span', {}, `■ ${d}`);
    key.style.color = c;
    return [key, ' '];
  }));
  return { map, scatter, legend, size };
}

/** Draw `data` (from latentMap) on `canvases` (from latentCanvases). */
export function drawLatentMap({ map, scatter, size }, { decoded, codes, labels, range }, side = 28) {
  drawGrid(map, decoded, MAP * MAP, side, MAP);
  scatter.width = size;
  scatter.height = size;
  const g = scatter.getContext('2d');
  g.fillStyle = 'white';
  g.fillRect(0, 0, size, size);
  g.strokeStyle = '#c9ced6';
  g.strokeRect(0.5, 0.5, size - 1, size - 1);
  g.beginPath();
  g.moveTo(size / 2, 0);
  g.lineTo(size / 2, size);
  g.moveTo(0, size / 2);
  g.lineTo(size, size / 2);
  g.stroke();
  const dot = Math.max(3, Math.round(size / 105));
  for (let i = 0; i < labels.length; i++) {
    const [x, y] = [codes[2 * i], codes[2 * i + 1]];
    g.fillStyle = LABEL_COLORS[labels[i]];
    g.fillRect(((x + range) / (2 * range)) * size - dot / 2, ((range - y) / (2 * range)) * size - dot / 2, dot, dot);
  }
}

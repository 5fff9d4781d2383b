// Sample: a grid of new digits decoded from the prior, re-rolled with a seed. For a VAE with a
// 2-D latent, the latent map: digits decoded on a grid over the plane, the held-out digits' codes
// scattered on it coloured by label, and a click decodes that point.
import { drawGrid, drawGray, figure } from '../draw.js';
import { el, labelled, select, number, status, busy, setOptions } from '../ui.js';
import { getModel, modelChoices, onModelsChanged } from '../store.js';

const GRID = 8;
const MAP = 15;
const RANGE = 3; // the map covers [-3, 3]^2 of the latent plane
const LABEL_COLORS = ['#e6194b', '#3cb44b', '#ffe119', '#4363d8', '#f58231', '#911eb4', '#46f0f0', '#f032e6', '#bcf60c', '#fabebe'];

export function mountSample(root, mnist) {
  const modelName = select([], 'vae-2d');
  const seed = number(0, 1_000_000, 1, 1);
  const reroll = el('button', { type: 'button', class: 'primary' }, 'Re-roll');
  const grid = el('canvas', { class: 'grid', role: 'img', 'aria-label': 'sampled digits' });
  const map = el('canvas', { class: 'latent-map', role: 'img', 'aria-label': 'latent map: decoded digits over the latent plane, with held-out codes' });
  const scatter = el('canvas', { class: 'scatter', role: 'img', 'aria-label': 'codes of held-out digits coloured by label; click to decode a point' });
  scatter.tabIndex = 0;
  const picked = figure('click the scatter plot', { width: 168, height: 168 });
  // Colours set through the CSSOM, not a style attribute: the page runs under a CSP without 'unsafe-inline'.
  const legend = el('p', { class: 'legend' }, ...LABEL_COLORS.map((c, d) => {
    const key = el('span', {}, `■ ${d} `);
    key.style.color = c;
    return key;
  }));
  const mapSection = el('section', { class: 'map-section', hidden: true },
    el('h3', {}, 'The latent map (2-D latent)'),
    el('div', { class: 'row' }, map, el('div', {}, scatter, legend), picked.fig));
  root.append(
    el('h2', {}, 'Sample'),
    el('p', { class: 'explain' }, 'A VAE learns codes that follow N(0, I): draw codes from it and decode them into digits nobody wrote.'),
    el('div', { class: 'controls' }, labelled('Model', modelName), labelled('Seed', seed), reroll),
    grid, mapSection,
  );
  const setStatus = status(root);
  let pending = Promise.resolve();
  let model = null;

  async function drawSamples() {
    const images = await model.sample(GRID * GRID, { seed: Number(seed.value) });
    drawGrid(grid, images, GRID * GRID, mnist.cols, GRID);
  }

  async function drawMap() {
    mapSection.hidden = model.latentSize !== 2;
    if (model.latentSize !== 2) return;
    const codes = new Float32Array(MAP * MAP * 2);
    for (let r = 0; r < MAP; r++) {
      for (let c = 0; c < MAP; c++) {
        codes[(r * MAP + c) * 2] = -RANGE + (2 * RANGE * c) / (MAP - 1);
        codes[(r * MAP + c) * 2 + 1] = RANGE - (2 * RANGE * r) / (MAP - 1);
      }
    }
    drawGrid(map, await model.decode(codes), MAP * MAP, mnist.cols, MAP);
    const n = 1000;
    const spread = mnist.test.spread(n);
    const test = await model.encode(spread.pixels);
    const size = 420;
    scatter.width = size;
    scatter.height = size;
    const g = scatter.getContext('2d');
    g.fillStyle = 'white';
    g.fillRect(0, 0, size, size);
    g.strokeStyle = '#c9ced6';
    g.strokeRect(0.5, 0.5, size - 1, size - 1);
    for (let i = 0; i < n; i++) {
      const [x, y] = [test[2 * i], test[2 * i + 1]];
      g.fillStyle = LABEL_COLORS[spread.labels[i]];
      g.fillRect(((x + RANGE) / (2 * RANGE)) * size - 2, ((RANGE - y) / (2 * RANGE)) * size - 2, 4, 4);
    }
  }

  async function decodeAt(x, y) {
    const code = Float32Array.of(x, y);
    drawGray(picked.canvas, await model.decode(code), mnist.cols, mnist.rows);
    picked.cap.textContent = `z = (${x.toFixed(2)}, ${y.toFixed(2)})`;
    setStatus(`Ready (running on ${model.backend === 'webgpu' ? 'WebGPU' : 'the CPU'}).`, 'ready');
  }

  async function update(all = true) {
    const run = async () => {
      model = await getModel(modelName.value);
      await drawSamples();
      if (all) await drawMap();
      setStatus(`Ready (running on ${model.backend === 'webgpu' ? 'WebGPU' : 'the CPU'}).`, 'ready');
    };
    setStatus('Working…', 'busy');
    pending = pending.then(() => busy(setStatus, [reroll], run));
    return pending;
  }

  reroll.addEventListener('click', () => { seed.value = String(Number(seed.value) + 1); update(false); });
  seed.addEventListener('change', () => update(false));
  modelName.addEventListener('change', () => update(true));
  scatter.addEventListener('click', (e) => {
    const rect = scatter.getBoundingClientRect();
    const x = -RANGE + ((e.clientX - rect.left) / rect.width) * 2 * RANGE;
    const y = RANGE - ((e.clientY - rect.top) / rect.height) * 2 * RANGE;
    setStatus('Working…', 'busy');
    pending = pending.then(() => busy(setStatus, [], () => decodeAt(x, y)));
  });
  scatter.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      setStatus('Working…', 'busy');
      pending = pending.then(() => busy(setStatus, [], () => decodeAt(0, 0)));
    }
  });
  const refresh = async () => setOptions(modelName, await modelChoices(), modelName.value || 'vae-2d');
  onModelsChanged(refresh);
  return { async show() { await refresh(); await update(true); } };
}

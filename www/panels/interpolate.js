// Interpolate: walk from one digit's code to another's and decode each step. Linear or spherical
// (slerp, which stays where a VAE's prior puts its mass). A slider scrubs through the path.
import { drawGray, drawGrid, figure } from '../draw.js';
import { el, labelled, select, slider, status, digitPicker, busy, setOptions, sketchPad } from '../ui.js';
import { getModel, modelChoices, onModelsChanged } from '../store.js';

const STEPS = 10;

export function mountInterpolate(root, mnist) {
  const modelName = select([], 'vae-20d');
  const method = select([{ value: 'linear', label: 'linear' }, { value: 'slerp', label: 'spherical (slerp)' }], 'slerp');
  const scrub = slider(0, STEPS - 1, 1, 0);
  const scrubValue = el('output', {}, '0');
  const strip = el('canvas', { class: 'strip', role: 'img', 'aria-label': 'decoded steps from the first digit to the second' });
  const frame = figure('step 0', { width: 224, height: 224 });
  let a = 0;
  let b = 1;
  const sources = [{ value: 'mnist', label: 'a held-out digit' }, { value: 'drawn', label: 'my drawing' }];
  const startFrom = select(sources, 'mnist');
  const endAt = select(sources, 'mnist');
  const pad = sketchPad(mnist.cols, 'draw the first digit here', () => { startFrom.value = 'drawn'; update(); });
  const padB = sketchPad(mnist.cols, 'draw the last digit here', () => { endAt.value = 'drawn'; update(); });
  startFrom.addEventListener('change', () => update());
  endAt.addEventListener('change', () => update());
  const pickA = digitPicker(mnist, 'From digit', 230, (i, byUser) => { a = i; if (byUser) startFrom.value = 'mnist'; update(); });
  const pickB = digitPicker(mnist, 'To digit', 1850, (i, byUser) => { b = i; if (byUser) endAt.value = 'mnist'; update(); });
  root.append(
    el('h2', {}, 'Interpolate'),
    el('p', { class: 'explain' }, 'Encode two digits, walk between their codes, and decode every step. A VAE’s smooth latent space gives plausible digits all the way.'),
    el('div', { class: 'controls' }, labelled('Model', modelName), labelled('Start from', startFrom), pickA.node,
      labelled('End at', endAt), pickB.node, labelled('Path', method)),
    el('div', { class: 'row' }, pad.node, padB.node),
    strip,
    el('div', { class: 'controls' }, labelled('Scrub', scrub), scrubValue),
    el('div', { class: 'row' }, frame.fig),
  );
  const setStatus = status(root);
  let path = null;
  let pending = Promise.resolve();

  function showFrame() {
    if (!path) return;
    const i = Number(scrub.value);
    scrubValue.textContent = String(i);
    frame.cap.textContent = `step ${i} of ${STEPS - 1}`;
    drawGray(frame.canvas, path.subarray(i * mnist.size, (i + 1) * mnist.size), mnist.cols, mnist.rows);
  }

  async function update() {
    const run = async () => {
      const model = await getModel(modelName.value);
      const first = startFrom.value === 'drawn' ? Float32Array.from(pad.values()) : mnist.test.image(a);
      const last = endAt.value === 'drawn' ? Float32Array.from(padB.values()) : mnist.test.image(b);
      path = await model.interpolate(first, last, STEPS, { method: method.value });
      drawGrid(strip, path, STEPS, mnist.cols, STEPS);
      showFrame();
      setStatus(`Ready (running on ${model.backend === 'webgpu' ? 'WebGPU' : 'the CPU'}).`, 'ready');
    };
    setStatus('Working…', 'busy');
    pending = pending.then(() => busy(setStatus, [], run));
    return pending;
  }

  scrub.addEventListener('input', showFrame);
  method.addEventListener('change', update);
  modelName.addEventListener('change', update);
  const refresh = async () => setOptions(modelName, await modelChoices(), modelName.value || 'vae-20d');
  onModelsChanged(refresh);
  return { async show() { await refresh(); pickA.update(); pickB.update(); } };
}

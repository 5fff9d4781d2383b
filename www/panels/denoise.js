// Denoise: corrupt a digit (Gaussian, salt-and-pepper or masking, with a level slider) and let a
// denoising autoencoder clean it. PSNR of the noisy and the denoised image against the clean one.
import { drawGray, figure, psnr } from '../draw.js';
import { el, labelled, select, slider, status, digitPicker, busy, sketchPad } from '../ui.js';
import { getModel, modelChoices, onModelsChanged } from '../store.js';
import { setOptions } from '../ui.js';

export function mountDenoise(root, mnist) {
  const modelName = select([], 'denoiser');
  const noise = select([
    { value: 'gaussian', label: 'Gaussian noise' }, { value: 'saltPepper', label: 'salt and pepper' }, { value: 'masking', label: 'masking (pixel dropout)' },
  ], 'gaussian');
  const level = slider(0, 1, 0.05, 0.4);
  const levelValue = el('output', { id: 'noise-level-value' }, '0.40');
  const clean = figure('clean');
  const noisy = figure('noisy');
  const denoised = figure('denoised');
  const readout = el('p', { class: 'readout' }, '–');
  let index = 0;
  let source = 'mnist';
  const sourceSelect = select([{ value: 'mnist', label: 'a held-out digit' }, { value: 'drawn', label: 'my drawing' }], 'mnist');
  const pad = sketchPad(mnist.cols, 'draw a digit here', () => { sourceSelect.value = 'drawn'; source = 'drawn'; update(); });
  const picker = digitPicker(mnist, 'Digit', 650, (i, byUser) => { index = i; if (byUser) { sourceSelect.value = 'mnist'; source = 'mnist'; } update(); });
  sourceSelect.addEventListener('change', () => { source = sourceSelect.value; update(); });
  root.append(
    el('h2', {}, 'Denoise'),
    el('p', { class: 'explain' }, 'A denoising autoencoder was trained to map corrupted digits to clean ones. Add noise, and watch it clean up.'),
    el('div', { class: 'controls' }, labelled('Model', modelName), labelled('Clean image', sourceSelect), picker.node, labelled('Noise', noise), labelled('Level', level), levelValue),
    el('div', { class: 'row' }, pad.node, clean.fig, noisy.fig, denoised.fig),
    readout,
  );
  const setStatus = status(root);
  let pending = Promise.resolve();

  async function update() {
    levelValue.textContent = Number(level.value).toFixed(2);
    const run = async () => {
      const model = await getModel(modelName.value);
      const image = source === 'drawn' ? Float32Array.from(pad.values()) : mnist.test.image(index);
      const value = Number(level.value);
      const corruption = noise.value === 'gaussian' ? { type: 'gaussian', sigma: value } : { type: noise.value, fraction: value };
      const corrupted = await model.corrupt(image, corruption, 7);
      const out = await model.denoise(corrupted);
      drawGray(clean.canvas, image, mnist.cols, mnist.rows);
      drawGray(noisy.canvas, corrupted, mnist.cols, mnist.rows);
      drawGray(denoised.canvas, out, mnist.cols, mnist.rows);
      const [pNoisy, pOut] = [psnr(corrupted, image), psnr(out, image)];
      noisy.cap.textContent = `noisy: ${pNoisy.toFixed(1)} dB`;
      denoised.cap.textContent = `denoised: ${pOut.toFixed(1)} dB`;
      readout.dataset.noisy = pNoisy.toFixed(3);
      readout.dataset.denoised = pOut.toFixed(3);
      readout.textContent = `PSNR against the clean digit: noisy ${pNoisy.toFixed(2)} dB → denoised ${pOut.toFixed(2)} dB`;
      setStatus(`Ready (running on ${model.backend === 'webgpu' ? 'WebGPU' : 'the CPU'}).`, 'ready');
    };
    setStatus('Working…', 'busy');
    pending = pending.then(() => busy(setStatus, [], run));
    return pending;
  }

  for (const control of [noise, level, modelName]) control.addEventListener('input', update);
  const refresh = async () => setOptions(modelName, await modelChoices(), modelName.value || 'denoiser');
  onModelsChanged(refresh);
  return { async show() { await refresh(); picker.update(); } };
}

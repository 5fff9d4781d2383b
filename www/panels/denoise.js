// Denoise: corrupt a digit (Gaussian, salt-and-pepper or masking, with a level slider) and let a
// denoising autoencoder clean it. PSNR of the noisy and the denoised image against the clean one.
import { drawGray, figure, psnr } from '../draw.js';
import { el, labelled, select, slider, digitPicker, sketchPad } from '../ui.js';
import { modelView } from '../view.js';
import { digitModels } from '../store.js';

export function mountDenoise(root, mnist) {
  const view = modelView(root, 'denoiser', { accepts: digitModels });
  const noise = select([
    { value: 'gaussian', label: 'Gaussian noise' }, { value: 'saltPepper', label: 'salt and pepper' }, { value: 'masking', label: 'masking (pixel dropout)' },
  ], 'gaussian');
  const level = slider(0, 1, 0.05, 0.4);
  const levelValue = el('output', { id: 'noise-level-value' }, '0.40');
  const noisy = figure('noisy', { width: 196, height: 196 });
  const denoised = figure('denoised', { width: 196, height: 196 });
  const readout = el('p', { class: 'readout' }, '–');
  // The clean image is a drawing pad showing the chosen held-out digit: draw on it to change it.
  let index = 650;
  let drawn = false;
  const pad = sketchPad(mnist.cols, 'clean', () => { drawn = true; label(); update(); });
  const picker = digitPicker(mnist, 'Digit', 650, (i) => { pad.set(mnist.test.image(i)); index = i; drawn = false; label(); update(); });
  pad.clear.addEventListener('click', () => { drawn = true; label(); update(); });
  const label = () => pad.caption(drawn ? 'clean: your drawing' : `clean: a held-out ${mnist.test.labels[index]} (no. ${index})`);
  root.append(
    el('h2', {}, 'Denoise'),
    el('p', { class: 'explain' }, 'A denoising autoencoder was trained to map corrupted digits to clean ones. Add noise, and watch it clean up. Draw on the clean digit to change it. PSNR measures how close an image is to the clean one, in decibels: higher is better.'),
    el('div', { class: 'controls' }, labelled('Model', view.picker), picker.node, labelled('Noise', noise), labelled('Level', level), levelValue),
    el('div', { class: 'row pipeline' }, pad.node, el('p', { class: 'arrow', 'aria-hidden': 'true' }, '→'), noisy.fig, el('p', { class: 'arrow', 'aria-hidden': 'true' }, '→'), denoised.fig),
    readout,
  );
  view.attach();

  // One run: corrupt the clean image at the chosen level, then denoise it.
  const run = view.channel(async (model, current) => {
    const image = Float32Array.from(pad.values());
    const value = Number(level.value);
    const corruption = noise.value === 'gaussian' ? { type: 'gaussian', sigma: value } : { type: noise.value, fraction: value };
    const corrupted = await model.corrupt(image, corruption, 7);
    if (!current()) return undefined;
    const out = await model.denoise(corrupted);
    return () => {
      drawGray(noisy.canvas, corrupted, mnist.cols, mnist.rows);
      drawGray(denoised.canvas, out, mnist.cols, mnist.rows);
      const [pNoisy, pOut] = [psnr(corrupted, image), psnr(out, image)];
      noisy.cap.textContent = `noisy: ${pNoisy.toFixed(1)} dB`;
      denoised.cap.textContent = `denoised: ${pOut.toFixed(1)} dB`;
      readout.dataset.noisy = pNoisy.toFixed(3);
      readout.dataset.denoised = pOut.toFixed(3);
      readout.dataset.level = String(value);
      readout.textContent = `PSNR against the clean digit: noisy ${pNoisy.toFixed(2)} dB → denoised ${pOut.toFixed(2)} dB`;
    };
  });

  function update() {
    levelValue.textContent = Number(level.value).toFixed(2);
    return run();
  }

  for (const control of [noise, level, view.picker]) control.addEventListener('input', update);
  return { async show() { await view.refresh(); if (drawn) update(); else picker.update(); } };
}

// Models: the pretrained models, saving the current model to a file and loading one back.
import { el, labelled, busy } from '../ui.js';
import { getModel, loadModel, putModel, pretrained, TRAINED, getBackend } from '../store.js';
import { modelView } from '../view.js';

const KIND_WORDS = {
  undercomplete: 'undercomplete autoencoder', sparseL1: 'sparse autoencoder (L1)', sparseKl: 'sparse autoencoder (KL)',
  contractive: 'contractive autoencoder', denoising: 'denoising autoencoder', variational: 'variational autoencoder (VAE)', paired: 'paired (image-to-image) model',
};

export function mountModels(root) {
  const list = el('ul', { class: 'model-list' });
  const view = modelView(root, TRAINED);
  const save = el('button', { type: 'button', class: 'primary' }, 'Save to a file');
  const file = el('input', { type: 'file', accept: '.ae,application/octet-stream' });
  const info = el('pre', { class: 'model-info' });
  root.append(
    el('h2', {}, 'Models'),
    el('p', { class: 'explain' }, 'These models were trained ahead of time on the same MNIST digits and ship with this page, so the other panels work at once. Save any model to a file (a few megabytes, it stays on your computer), and load one back later: it becomes “your trained model”.'),
    list,
    el('div', { class: 'controls' }, labelled('Model', view.picker), save, labelled('Load a model file', file)),
    info,
  );
  const setStatus = view.attach();
  setStatus('Choose a model to save, or load a model file.', 'ready');

  save.addEventListener('click', () => busy(setStatus, [save], async () => {
    const model = await getModel(view.picker.value);
    const bytes = await model.save();
    const url = URL.createObjectURL(new Blob([bytes], { type: 'application/octet-stream' }));
    const link = el('a', { href: url, download: `${view.picker.value}.ae` });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
    setStatus(`Saved ${view.picker.value}.ae (${(bytes.length / 1e6).toFixed(1)} MB).`, 'saved');
  }));

  file.addEventListener('change', () => busy(setStatus, [save], async () => {
    const chosen = file.files[0];
    if (!chosen) return;
    setStatus(`Reading ${chosen.name}…`, 'busy');
    const bytes = new Uint8Array(await chosen.arrayBuffer());
    file.value = ''; // choosing the same file again loads it again
    const model = await loadModel(TRAINED, bytes, { backend: getBackend() });
    await putModel(TRAINED, model, { bytes, note: 'as loaded from the file' });
    info.textContent = JSON.stringify(model.config, null, 2);
    setStatus(`Loaded ${chosen.name}: a ${KIND_WORDS[model.config.kind] ?? model.config.kind} with a ${model.latentSize}-number code, on ${model.backend === 'webgpu' ? 'WebGPU' : 'the CPU'}. It is now “your trained model” in every panel.`, 'loaded');
  }));

  const refresh = async () => {
    await view.refresh();
    list.replaceChildren(...(await pretrained()).map((m) => el('li', {}, el('strong', {}, m.name), ` — ${m.description}`)));
  };
  return { show: refresh };
}

// Models: the pretrained models, saving the current model to a file and loading one back.
import { el, labelled, select, status, busy, setOptions } from '../ui.js';
import { getModel, loadModel, putModel, pretrained, modelChoices, onModelsChanged, TRAINED, getBackend } from '../store.js';

export function mountModels(root) {
  const list = el('ul', { class: 'model-list' });
  const which = select([], TRAINED);
  const save = el('button', { type: 'button', class: 'primary' }, 'Save to a file');
  const file = el('input', { type: 'file', accept: '.ae,application/octet-stream' });
  const info = el('pre', { class: 'model-info' });
  root.append(
    el('h2', {}, 'Models'),
    el('p', { class: 'explain' }, 'Pretrained models ship with this page (made by `cargo run --example pretrain`). Save any model to a file, and load one back as “your trained model”.'),
    list,
    el('div', { class: 'controls' }, labelled('Model', which), save, labelled('Load a model file', file)),
    info,
  );
  const setStatus = status(root);

  save.addEventListener('click', () => busy(setStatus, [save], async () => {
    const model = await getModel(which.value);
    const bytes = await model.save();
    const url = URL.createObjectURL(new Blob([bytes], { type: 'application/octet-stream' }));
    const link = el('a', { href: url, download: `${which.value}.ae` });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
    setStatus(`Saved ${which.value}.ae (${bytes.length} bytes).`, 'saved');
  }));

  file.addEventListener('change', () => busy(setStatus, [save], async () => {
    const bytes = new Uint8Array(await file.files[0].arrayBuffer());
    const model = await loadModel(TRAINED, bytes, { backend: getBackend() });
    await putModel(TRAINED, model, { bytes, note: 'as loaded from the file' });
    info.textContent = JSON.stringify(model.config, null, 2);
    setStatus(`Loaded ${file.files[0].name}: a ${model.config.kind} model on ${model.backend}; it is now “your trained model”.`, 'loaded');
  }));

  const refresh = async () => {
    const choices = await modelChoices();
    setOptions(which, choices, which.value || choices[0]?.value);
    list.replaceChildren(...(await pretrained()).map((m) => el('li', {}, el('strong', {}, m.name), ` — ${m.description} (${m.config.kind}, latent ${m.config.latent})`)));
  };
  onModelsChanged(refresh);
  return { show: refresh };
}

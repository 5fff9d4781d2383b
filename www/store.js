// The one model store shared by every panel: pretrained models loaded on demand from models/,
// plus the model the user trains. Every model runs in the package's worker, so the page never
// freezes; each has its own worker.
import { WorkerAutoencoder } from 'autoencoders/worker';

const listeners = new Set();
const models = new Map(); // name -> Promise<WorkerAutoencoder>
let manifest = null;
let backend = 'auto';

export const TRAINED = 'trained';

export async function pretrained() {
  manifest ??= fetch('models/manifest.json').then((r) => {
    if (!r.ok) throw new Error(`models/manifest.json: HTTP ${r.status}`);
    return r.json();
  });
  return manifest;
}

/**
 * Run models on another backend from now on: pretrained models already loaded are disposed and
 * load again on the new backend when next used (the trained model keeps its backend).
 */
export function setBackend(name) {
  if (name === backend) return;
  backend = name;
  for (const [key, loading] of [...models]) {
    if (key === TRAINED) continue;
    models.delete(key);
    loading.then((m) => m.dispose()).catch(() => {});
  }
  for (const listener of listeners) listener(null);
}

export function getBackend() {
  return backend;
}

/** The model called `name`: a pretrained one (loaded once) or the user's trained one. */
export function getModel(name) {
  if (!models.has(name)) {
    if (name === TRAINED) return Promise.reject(new Error('no model trained yet: train one in the Train panel'));
    const loading = (async () => {
      const entry = (await pretrained()).find((m) => m.name === name);
      if (!entry) throw new Error(`no pretrained model called ${name}`);
      const bytes = new Uint8Array(await (await fetch(`models/${entry.file}`)).arrayBuffer());
      return WorkerAutoencoder.load(bytes, { backend });
    })();
    models.set(name, loading);
    loading.catch(() => models.delete(name));
  }
  return models.get(name);
}

/** Replace the model under `name` (the user's trained or loaded model), disposing the old one. */
export async function putModel(name, model) {
  const old = models.get(name);
  models.set(name, Promise.resolve(model));
  if (old) old.then((m) => m !== model && m.dispose()).catch(() => {});
  for (const listener of listeners) listener(name);
}

export function onModelsChanged(listener) {
  listeners.add(listener);
}

/** Names for a model picker: pretrained models, plus the trained one once it exists. */
export async function modelChoices() {
  const list = (await pretrained()).map((m) => ({ value: m.name, label: `${m.name} (pretrained)` }));
  if (models.has(TRAINED)) list.push({ value: TRAINED, label: 'your trained model' });
  return list;
}

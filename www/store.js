// The one model store shared by every panel: pretrained models loaded on demand from models/,
// plus the model the user trains. Every model runs in its own worker (an AutoencoderWorkerHost
// the store holds), so the page never freezes and one model's worker can be stopped on its own.
//
// The store also keeps every model's last save() in memory: the bytes a pretrained model was
// loaded from, a loaded file, or what the Train and "Your images" panels saved after their last
// training run. When the WebGPU device is lost (a call rejects with DEVICE_LOST), those bytes
// bring the models back on the CPU, each in a fresh worker: see continueOnCpu().
import { AutoencoderWorkerHost, WorkerAutoencoder } from 'autoencoders/worker';

export const TRAINED = 'trained';

const models = new Map(); // name -> Promise<WorkerAutoencoder>
const saves = new Map(); // name -> { bytes, note, unsaved }: the model's last save()
const hosts = new WeakMap(); // model -> the worker it runs in
const listeners = new Set();
const startListeners = new Set();
const lostListeners = new Set();
let manifest = null;
let backend = 'auto';
let lost = null; // null, or the names whose calls failed with DEVICE_LOST (a Set) since the last recovery

/** The methods whose failures are watched for DEVICE_LOST. */
const WATCHED = ['train', 'save', 'encode', 'decode', 'reconstruct', 'denoise', 'corrupt', 'sample', 'inpaint', 'interpolate'];

export async function pretrained() {
  manifest ??= fetch('models/manifest.json').then((r) => {
    if (!r.ok) throw new Error(`models/manifest.json: HTTP ${r.status}`);
    return r.json();
  });
  return manifest;
}

/** How the page names a model to the user. */
export function modelLabel(name) {
  return name === TRAINED ? 'your trained model' : name;
}

function emit(name, model, why) {
  for (const listener of listeners) listener(name, model, why);
}

function markLost(name) {
  lost ??= new Set();
  if (name) lost.add(name);
  for (const listener of lostListeners) listener();
}

/**
 * Start a model (`method`: 'create' or 'load') in a worker of its own, watched: a DEVICE_LOST
 * from any of its calls tells the page (onDeviceLost).
 */
async function start(name, method, first, options) {
  const host = new AutoencoderWorkerHost();
  let model;
  try {
    model = await WorkerAutoencoder[method](first, { ...options, worker: host });
  } catch (error) {
    host.terminate();
    if (error?.code === 'DEVICE_LOST') markLost(name);
    throw error;
  }
  hosts.set(model, host);
  const encode = model.encode.bind(model);
  for (const method of WATCHED) {
    const call = model[method].bind(model);
    model[method] = (...args) => call(...args).catch(async (error) => {
      // The call that is running when the device goes rejects with BACKEND (its GPU readback
      // fails), only later calls with DEVICE_LOST: ask the model once more to tell them apart.
      if (error?.code === 'BACKEND' && model.backend === 'webgpu' && !model.disposed) {
        const gone = await encode(new Float32Array(model.inputSize)).then(() => false, (e) => e?.code === 'DEVICE_LOST');
        if (gone) error = Object.assign(new Error(`the GPU device was lost during ${method}() (${error.message})`, { cause: error }), { name: error.name, code: 'DEVICE_LOST' });
      }
      if (error?.code === 'DEVICE_LOST') markLost(name);
      throw error;
    });
  }
  for (const listener of startListeners) listener(name, model);
  return model;
}

/** Free a model and stop its worker now (a worker whose GPU device is gone may never answer). */
function release(model) {
  model.dispose().catch(() => {});
  hosts.get(model)?.terminate();
}

/**
 * Run models on another backend from now on: pretrained models already loaded are released and
 * load again, from their last save, on the new backend when next used (the trained model keeps
 * its backend).
 */
export function setBackend(name) {
  if (name === backend) return;
  backend = name;
  for (const [key, loading] of [...models]) {
    if (key === TRAINED) continue;
    models.delete(key);
    loading.then(release).catch(() => {});
  }
  emit(null);
}

export function getBackend() {
  return backend;
}

/** The model called `name`: a pretrained one (loaded once, from its last save) or the user's trained one. */
export function getModel(name) {
  if (!models.has(name)) {
    if (name === TRAINED) return Promise.reject(new Error('no model trained yet: train one in the Train panel'));
    const loading = (async () => {
      if (!saves.has(name)) {
        const entry = (await pretrained()).find((m) => m.name === name);
        if (!entry) throw new Error(`no pretrained model called ${name}`);
        const response = await fetch(`models/${entry.file}`);
        if (!response.ok) throw new Error(`models/${entry.file}: HTTP ${response.status}`);
        saves.set(name, { bytes: new Uint8Array(await response.arrayBuffer()), note: 'as shipped with the page', unsaved: 0 });
      }
      return start(name, 'load', saves.get(name).bytes, { backend });
    })();
    models.set(name, loading);
    loading.catch(() => { if (models.get(name) === loading) models.delete(name); });
  }
  return models.get(name);
}

/** A new model for `name`, in its own watched worker (put it in the store with putModel). */
export function createModel(name, config, options) {
  return start(name, 'create', config, options);
}

/** A model loaded from saved bytes for `name`, in its own watched worker (put it in the store with putModel). */
export function loadModel(name, bytes, options) {
  return start(name, 'load', bytes, options);
}

/**
 * Replace the model under `name` (the user's trained or loaded model), releasing the old one.
 * `save` ({ bytes, note }) is the new model's last save().
 */
export async function putModel(name, model, save) {
  const old = models.get(name);
  models.set(name, Promise.resolve(model));
  if (save) recordSave(name, save.bytes, save.note);
  if (old) old.then((m) => m !== model && release(m)).catch(() => {});
  emit(name, model, 'put');
}

/** Keep `bytes` (from `await model.save()`) as the last save of `name`; `note` says when it was made. */
export function recordSave(name, bytes, note) {
  saves.set(name, { bytes, note, unsaved: 0 });
}

/** `steps` training steps were taken on `name` since its last save (they would be lost with the GPU). */
export function markUnsaved(name, steps) {
  const save = saves.get(name);
  if (save) save.unsaved = steps;
}

/** The listener hears `(name, model, why)` when a model is put ('put') or brought back ('recovered'), and `(null)` when the backend changes. */
export function onModelsChanged(listener) {
  listeners.add(listener);
}

/** The listener hears `(name, model)` each time a model starts: its backend and backendReason are known then. */
export function onModelStarted(listener) {
  startListeners.add(listener);
}

/** The listener is called when a call fails because the WebGPU device was lost. */
export function onDeviceLost(listener) {
  lostListeners.add(listener);
}

/** The models held now and on WebGPU, or whose calls failed with DEVICE_LOST: what continueOnCpu() brings back. */
export async function modelsToMove() {
  const list = [];
  for (const [name, loading] of [...models]) {
    const model = await loading.catch(() => null);
    if (!model || (model.backend !== 'webgpu' && !lost?.has(name))) continue;
    const save = saves.get(name);
    list.push({ name, label: modelLabel(name), note: save?.note, unsaved: save?.unsaved ?? 0 });
  }
  return list;
}

/**
 * After a lost GPU device: every model on WebGPU is released (its worker stopped) and loaded
 * again from its last save on the CPU, in a fresh worker; models start on the CPU from now on.
 * Resolves with the names brought back.
 */
export async function continueOnCpu() {
  backend = 'cpu';
  const moved = [];
  for (const [name, loading] of [...models]) {
    const model = await loading.catch(() => null);
    if (!model || (model.backend !== 'webgpu' && !lost?.has(name))) continue;
    const save = saves.get(name);
    release(model);
    if (models.get(name) === loading) models.delete(name);
    if (!save) continue;
    const next = start(name, 'load', save.bytes, { backend: 'cpu' });
    models.set(name, next);
    const fresh = await next.catch((error) => {
      if (models.get(name) === next) models.delete(name);
      throw error;
    });
    save.unsaved = 0;
    moved.push(name);
    emit(name, fresh, 'recovered');
  }
  lost = null;
  emit(null);
  return moved;
}

/** Names for a model picker: pretrained models, plus the trained one once it exists. */
export async function modelChoices() {
  const list = (await pretrained()).map((m) => ({ value: m.name, label: `${m.name} (pretrained)` }));
  if (models.has(TRAINED)) list.push({ value: TRAINED, label: 'your trained model' });
  return list;
}

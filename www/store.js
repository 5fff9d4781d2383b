// The one model store shared by every panel: pretrained models loaded on demand from models/, the
// model the user trains, and copies fine-tuned on the user's images.
//
// One engine runs them all: a small pool of workers (AutoencoderWorkerHost), each holding one copy
// of the wasm module, shared by every model. Models asked for on the CPU run in the CPU worker;
// models asked for on WebGPU (or `auto`) in the GPU worker. So the page never freezes, the module
// is loaded at most twice (not once per model), and a lost GPU device takes down only the worker
// whose models were on it.
//
// The store also keeps every model's last save() in memory: the bytes a pretrained model was
// loaded from, a loaded file, or what the Train and "Your images" panels saved after their last
// training run. When the WebGPU device is lost (a call rejects with DEVICE_LOST), the GPU worker
// is stopped and every model it held is loaded again from those bytes on the CPU: see
// continueOnCpu().
import { AutoencoderWorkerHost, WorkerAutoencoder } from 'autoencoders/worker';

export const TRAINED = 'trained';
export const TUNED = 'tuned';
/** The segmentation model the user trains in the Segment panel (only that panel lists it). */
export const SEGMENTED = 'segmented';

const models = new Map(); // name -> Promise<WorkerAutoencoder>
const saves = new Map(); // name -> { bytes, note, unsaved }: the model's last save()
const where = new WeakMap(); // model -> the pool slot ('cpu' or 'gpu') whose worker runs it
const pool = new Map(); // 'cpu' | 'gpu' -> AutoencoderWorkerHost
const origins = new WeakMap(); // a copy made by copyModel -> the name of the model it was copied from
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
  if (name === TRAINED) return 'your trained model';
  if (name === TUNED) return 'your fine-tuned model';
  if (name === SEGMENTED) return 'your segmentation model';
  return name;
}

function emit(name, model, why) {
  for (const listener of listeners) listener(name, model, why);
}

function markLost(name) {
  lost ??= new Set();
  if (name) lost.add(name);
  for (const listener of lostListeners) listener();
}

/** The pool slot for a backend choice: 'cpu' runs in the CPU worker, 'webgpu' and 'auto' in the GPU worker. */
const slotFor = (choice) => (choice === 'cpu' ? 'cpu' : 'gpu');

/** The shared worker of a slot, started on first use (and again after it was stopped or failed). */
function hostFor(slot) {
  let host = pool.get(slot);
  if (!host || host.terminated || host.failed) {
    host = new AutoencoderWorkerHost();
    pool.set(slot, host);
  }
  return host;
}

/**
 * Start a model (`method`: 'create' or 'load') in the shared worker for its backend, watched: a
 * DEVICE_LOST from any of its calls tells the page (onDeviceLost).
 */
async function start(name, method, first, options) {
  const slot = slotFor(options?.backend ?? backend);
  let model;
  try {
    model = await WorkerAutoencoder[method](first, { ...options, worker: hostFor(slot) });
  } catch (error) {
    if (error?.code === 'DEVICE_LOST') markLost(name);
    throw error;
  }
  where.set(model, slot);
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

/** Free a model in its worker (not awaited: a worker whose GPU device is gone may never answer). */
function release(model) {
  model.dispose().catch(() => {});
}

/**
 * Run models on another backend from now on: pretrained models already loaded are released and
 * load again, from their last save, on the new backend when next used (the models the user
 * trained or fine-tuned keep their backend).
 */
export function setBackend(name) {
  if (name === backend) return;
  backend = name;
  for (const [key, loading] of [...models]) {
    if (key === TRAINED || key === TUNED || key === SEGMENTED) continue;
    models.delete(key);
    loading.then(release).catch(() => {});
  }
  emit(null);
}

export function getBackend() {
  return backend;
}

/** The model called `name`: a pretrained one (loaded once, from its last save) or one the user made. */
export function getModel(name) {
  if (!models.has(name)) {
    if (name === TRAINED) return Promise.reject(new Error('no model trained yet: train one in the Train panel'));
    if (name === TUNED) return Promise.reject(new Error('no model fine-tuned yet: fine-tune one in the “Your images” panel'));
    if (name === SEGMENTED) return Promise.reject(new Error('no segmentation model trained yet: press “Train from scratch”'));
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

/** A new model for `name`, in the shared worker for its backend (put it in the store with putModel). */
export function createModel(name, config, options) {
  return start(name, 'create', config, options);
}

/** A model loaded from saved bytes for `name`, in the shared worker for its backend (put it in the store with putModel). */
export function loadModel(name, bytes, options) {
  return start(name, 'load', bytes, options);
}

/**
 * A separate copy of the model called `from`, made from its last save, to train without touching
 * the original (which other panels share): "Your images" fine-tunes such a copy.
 */
export async function copyModel(from, name) {
  const original = await getModel(from);
  const save = saves.get(from);
  if (!save) throw new Error(`${modelLabel(from)} has no save to copy yet`);
  const copy = await start(name, 'load', save.bytes, { backend });
  // A copy of a copy names the first original.
  origins.set(copy, origins.get(original) ?? from);
  return copy;
}

/** The name of the model that `model` (a copy made by copyModel) was copied from, if it is one. */
export function originOf(model) {
  return origins.get(model);
}

/**
 * Replace the model under `name` (the user's trained, loaded or fine-tuned model), releasing the
 * old one. `save` ({ bytes, note }) is the new model's last save().
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

/** The models the GPU worker holds (or whose calls failed with DEVICE_LOST): the ones continueOnCpu() brings back. */
async function toMove() {
  const list = [];
  for (const [name, loading] of [...models]) {
    const model = await loading.catch(() => null);
    if (model && (where.get(model) === 'gpu' || lost?.has(name))) list.push({ name, model, loading });
  }
  return list;
}

/** What continueOnCpu() brings back, for the page to say: `{ name, label, note, unsaved }` each. */
export async function modelsToMove() {
  return (await toMove()).map(({ name }) => {
    const save = saves.get(name);
    return { name, label: modelLabel(name), note: save?.note, unsaved: save?.unsaved ?? 0 };
  });
}

/**
 * After a lost GPU device: the GPU worker is stopped (with every model it held) and each of its
 * models is loaded again from its last save in the CPU worker; models start on the CPU from now
 * on. Resolves with the names brought back.
 */
export async function continueOnCpu() {
  backend = 'cpu';
  const moving = await toMove();
  for (const { name, loading } of moving) if (models.get(name) === loading) models.delete(name);
  pool.get('gpu')?.terminate();
  pool.delete('gpu');
  const moved = [];
  for (const { name, model } of moving) {
    if (where.get(model) !== 'gpu') release(model);
    const save = saves.get(name);
    if (!save) continue;
    const next = start(name, 'load', save.bytes, { backend: 'cpu' });
    models.set(name, next);
    const fresh = await next.catch((error) => {
      if (models.get(name) === next) models.delete(name);
      throw error;
    });
    save.unsaved = 0;
    if (origins.has(model)) origins.set(fresh, origins.get(model));
    moved.push(name);
    emit(name, fresh, 'recovered');
  }
  lost = null;
  emit(null);
  return moved;
}

/** Names for a model picker: pretrained models, plus the user's trained and fine-tuned ones once they exist. */
export async function modelChoices(accepts = () => true) {
  const list = (await pretrained()).filter((m) => accepts(m.config)).map((m) => ({ value: m.name, label: `${m.name} (pretrained)` }));
  const trained = models.has(TRAINED) ? await models.get(TRAINED).catch(() => null) : null;
  if (trained && accepts(trained.config)) list.push({ value: TRAINED, label: modelLabel(TRAINED) });
  const tuned = await models.get(TUNED)?.catch(() => null);
  if (tuned && accepts(tuned.config)) list.push({ value: TUNED, label: `${modelLabel(TUNED)} (${originOf(tuned) ?? 'a copy'} + your images)` });
  return list;
}

/** Models that reconstruct gray 28 x 28 digits (not a segmenter, whose output is a mask). */
export const digitModels = (config) => config.kind !== 'paired' && config.inputShape[0] === 1;
/** Models that make images of their own kind, gray or colour (for Sample and Interpolate). */
export const imageModels = (config) => config.kind !== 'paired';
/** Whether a model works on colour (RGB) images. */
export const inColour = (config) => config.inputShape[0] === 3;

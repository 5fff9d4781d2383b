// Train: choose a kind and architecture, set hyperparameters, train on MNIST or your images, and
// watch it learn: each objective term falls on the chart, and about every second the model's
// reconstructions of held-out digits are redrawn (and, for a 2-D code, its latent map). Stop and
// Resume, which goes on counting epochs where the run stopped. The model trains in the shared
// worker and is saved (in memory, in the store) when it starts and after each run or Stop: its
// last save is what comes back on the CPU if the GPU device is lost.
import { drawChart, drawGrid } from '../draw.js';
import { el, labelled, select, number, status, busy } from '../ui.js';
import { createModel, putModel, onModelsChanged, TRAINED, getBackend } from '../store.js';
import { trainLive } from '../training.js';
import { reasonText } from '../messages.js';
import { latentMap, latentCanvases, drawLatentMap } from '../latent.js';
import { userImages } from './images.js';

export const KINDS = {
  undercomplete: {
    label: 'Undercomplete',
    text: 'A bottleneck narrower than the input forces the network to keep only what matters to rebuild the digit.',
    formula: 'L = ℓ(x, g(f(x)))',
  },
  sparseL1: {
    label: 'Sparse (L1)',
    text: 'Codes are pushed towards zero, so each digit is described by a few active units.',
    formula: 'L = ℓ(x, g(f(x))) + λ Σⱼ |hⱼ|',
  },
  sparseKl: {
    label: 'Sparse (KL)',
    text: 'Each code unit should fire on average with probability ρ: a KL divergence pulls its mean activation there.',
    formula: 'L = ℓ(x, g(f(x))) + β Σⱼ KL(ρ ‖ ρ̂ⱼ)',
  },
  contractive: {
    label: 'Contractive',
    text: 'Small changes of the input should barely move the code: the encoder’s Jacobian is penalised.',
    formula: 'L = ℓ(x, g(f(x))) + λ ‖∂f(x)/∂x‖²_F',
  },
  denoising: {
    label: 'Denoising',
    text: 'The encoder sees a corrupted digit and the decoder must produce the clean one.',
    formula: 'L = ℓ(x, g(f(x̃))),  x̃ = corrupt(x)',
  },
  variational: {
    label: 'Variational (VAE)',
    text: 'The encoder outputs a Gaussian; its samples are decoded, and a KL term keeps codes close to N(0, I), so new digits can be sampled.',
    formula: '−ELBO = −E_q[log p(x|z)] + β KL(q(z|x) ‖ N(0, I))',
  },
};

/** The chart's name for each objective term of the library. */
const TERM_NAMES = { reconstruction: 'reconstruction', kl: 'KL', sparsityL1: 'L1 penalty', sparsityKl: 'KL sparsity penalty', contractive: 'Jacobian penalty' };

/** A field that takes two columns of the settings grid. */
const wide = (field) => { field.classList.add('wide'); return field; };

export function mountTrain(root, mnist) {
  const kind = select(Object.entries(KINDS).map(([value, k]) => ({ value, label: k.label })), 'variational');
  const explanation = el('p', { class: 'explain' });
  const formula = el('p', { class: 'formula' });
  const architecture = select([{ value: 'dense', label: 'dense (MLP)' }, { value: 'conv', label: 'convolutional' }], 'dense');
  const hidden = el('input', { type: 'text', value: '256', size: 8, inputmode: 'numeric', pattern: '[0-9 ,]*' });
  const latent = number(1, 256, 1, 2);
  const loss = select([{ value: 'bce', label: 'BCE' }, { value: 'mse', label: 'MSE' }, { value: 'mae', label: 'MAE' }], 'bce');
  const weight = number(0, 1000, 0.01, 1);
  const epochs = number(1, 200, 1, 3);
  const batch = number(1, 1024, 1, 128);
  const lr = number(0.00001, 1, 0.0001, 0.001);
  const maxSteps = number(1, 1_000_000, 1, '', { placeholder: 'all' });
  const data = select([{ value: 'mnist', label: 'MNIST digits (8,000)' }, { value: 'mine', label: 'your images' }], 'mnist');
  const train = el('button', { type: 'button', class: 'primary' }, 'Train from scratch');
  const resume = el('button', { type: 'button', disabled: true }, 'Resume');
  const stop = el('button', { type: 'button', disabled: true }, 'Stop');
  const progress = el('progress', { max: 1, value: 0, 'aria-label': 'training progress' });
  const readout = el('p', { class: 'readout', 'aria-live': 'off' }, '–');
  const chart = el('canvas', { class: 'chart', role: 'img', 'aria-label': 'loss curves' });
  const logScale = el('input', { type: 'checkbox' });
  const samples = el('canvas', { class: 'samples', role: 'img', 'aria-label': 'reconstructions of held-out digits' });
  const samplesCaption = el('figcaption', {}, 'top: held-out digits; bottom: the model’s reconstructions, redrawn every second while it trains');
  const map = latentCanvases({ size: 240 });
  const mapFigure = el('figure', { class: 'live-map', hidden: true },
    el('div', { class: 'row' }, map.map, map.scatter),
    el('figcaption', {}, 'the 2-D code, live: the digits it decodes to (left) and where held-out digits land (right; colours below)'),
    map.legend);
  const backendUsed = el('span', { class: 'backend-used' }, '–');
  const backendWhy = el('span', { class: 'backend-why' });

  const settings = el('div', { class: 'train-settings' },
    el('p', { class: 'explain' }, 'An autoencoder squeezes each image into a short code (the latent) and rebuilds the image from it. Training adjusts it until the rebuilt images match the originals.'),
    el('div', { class: 'controls grid3' },
      wide(labelled('Kind', kind)), labelled('Architecture', architecture), labelled('Hidden widths', hidden),
      labelled('Latent size', latent), labelled('Loss', loss), labelled('Penalty weight (λ / β)', weight)),
    explanation, formula,
    el('div', { class: 'controls grid3' },
      wide(labelled('Data', data)), labelled('Epochs', epochs), labelled('Batch size', batch), labelled('Learning rate', lr),
      labelled('Stop after steps', maxSteps)),
    el('div', { class: 'controls buttons' }, train, resume, stop),
    el('p', { class: 'backend-line' }, 'Backend in use: ', backendUsed, el('br'), backendWhy));
  const watch = el('div', { class: 'train-watch' }, progress, readout);
  const setStatus = status(root, watch);
  watch.append(
    el('figure', { class: 'chart-figure' }, chart,
      el('figcaption', {}, el('label', {}, logScale, ' log scale'), ' · the loss is what training pushes down; a penalty term has its own axis, on the right')),
    el('div', { class: 'row live' },
      el('figure', { class: 'recon' }, samples, samplesCaption),
      mapFigure));
  root.append(el('h2', {}, 'Train an autoencoder'), el('div', { class: 'train-layout' }, settings, watch));
  setStatus('Choose a kind and press Train.', 'ready');

  const describe = () => {
    const k = KINDS[kind.value];
    explanation.textContent = k.text;
    formula.textContent = k.formula;
    weight.disabled = !['sparseL1', 'sparseKl', 'contractive', 'variational'].includes(kind.value);
    weight.value = { sparseL1: 0.01, sparseKl: 3, contractive: 0.1, variational: 1 }[kind.value] ?? weight.value;
  };
  kind.addEventListener('change', describe);
  describe();

  let model = null;
  let controller = null;
  let trainedSteps = 0; // steps this model has taken, all runs together (as of its last save)
  let fromFile = false; // the model was loaded from a file in the Models panel
  const history = new Map(); // term -> values
  const shown = mnist.test.spread(8).pixels;

  function config() {
    const widths = hidden.value.split(/[ ,]+/).filter(Boolean).map(Number);
    if (widths.length === 0 || widths.some((w) => !Number.isInteger(w) || w < 1)) {
      throw new Error('hidden widths must be whole numbers separated by commas, such as “256” or “512, 128”');
    }
    const k = kind.value;
    const w = Number(weight.value);
    return {
      kind: k, architecture: architecture.value, inputShape: [1, mnist.rows, mnist.cols], hidden: widths,
      latent: Number(latent.value), loss: loss.value, convChannels: [16, 32],
      ...(k === 'sparseL1' || k === 'sparseKl' ? { sparsityWeight: w } : {}),
      ...(k === 'contractive' ? { contractiveWeight: w } : {}),
      ...(k === 'variational' ? { klWeight: w } : {}),
    };
  }

  const series = () => [...history].map(([name, values]) => ({ name: TERM_NAMES[name] ?? name, values }));
  const penalties = Object.keys(TERM_NAMES).filter((t) => t !== 'reconstruction').map((t) => TERM_NAMES[t]);
  const redrawChart = () => drawChart(chart, series(), { title: 'loss per training step', log: logScale.checked, right: penalties });
  logScale.addEventListener('change', redrawChart);
  // The chart follows its box on resize (a phone turned, a window narrowed).
  new ResizeObserver(() => redrawChart()).observe(chart);

  /** Redraw what the model does now: its reconstructions, and its latent map for a 2-D code. */
  async function showModel() {
    const out = await model.reconstruct(shown);
    const both = new Float32Array(16 * mnist.size);
    both.set(Float32Array.from(shown, (v) => v / 255));
    both.set(out, 8 * mnist.size);
    drawGrid(samples, both, 16, mnist.cols, 8);
    samples.dataset.draws = String(Number(samples.dataset.draws ?? 0) + 1);
    mapFigure.hidden = model.latentSize !== 2;
    if (model.latentSize === 2) drawLatentMap(map, await latentMap(model, mnist, 500), mnist.cols);
  }

  function showBackend() {
    backendUsed.textContent = model.backend === 'webgpu'
      ? `WebGPU (${model.adapterInfo?.description || model.adapterInfo?.vendor || 'adapter'}${model.adapterInfo?.isFallbackAdapter ? ', software fallback' : ''})`
      : 'CPU (WebAssembly)';
    backendWhy.textContent = `Why: ${reasonText(model)}.`;
  }

  const savedNote = (steps = trainedSteps) => {
    if (steps === 0) return fromFile ? 'as loaded from the file' : 'before any training';
    return `after ${steps} training steps${fromFile ? ' of the loaded model' : ''}`;
  };

  /** "epoch 2/3 · step 17/63 · loss 171.2 (reconstruction 165.1 · KL 6.1)". */
  function where(p) {
    const terms = Object.entries(p.terms).map(([n, v]) => `${TERM_NAMES[n] ?? n} ${v.toFixed(2)}`).join(' · ');
    const total = Math.ceil(p.until / p.stepsPerEpoch);
    return `epoch ${p.epoch + 1}/${total} · step ${p.step}/${p.stepsPerEpoch} · loss ${p.loss.toFixed(2)} (${terms})`;
  }

  // The store replaces the trained model when one is loaded from a file (Models panel), or
  // brought back on the CPU after a lost GPU device: go on with that one.
  onModelsChanged((name, next, why) => {
    if (name !== TRAINED || !next || next === model) return;
    model = next;
    showBackend();
    resume.disabled = false;
    if (why === 'recovered') {
      setStatus(`Back on the CPU from the last save (${savedNote()}): press Resume to train on.`, 'recovered');
    } else {
      trainedSteps = 0;
      fromFile = true;
      setStatus('Your trained model is now the one loaded in the Models panel: press Resume to train it.', 'ready');
    }
  });

  async function run(fresh) {
    await busy(setStatus, [train, resume], async () => {
      if (fresh || !model) {
        setStatus('Starting the model…', 'starting');
        const next = await createModel(TRAINED, config(), { backend: getBackend(), seed: 1 });
        model = next;
        trainedSteps = 0;
        fromFile = false;
        await putModel(TRAINED, model, { bytes: await model.save(), note: savedNote() });
        history.clear();
        showBackend();
      }
      const images = data.value === 'mine' ? userImages() : mnist.train.pixels;
      if (!images || images.length === 0) throw new Error('add images in the “Your images” panel first, or train on the MNIST digits');
      const perEpoch = Math.ceil(images.length / model.inputSize / Number(batch.value));
      // Epochs count from the model's first step: Resume trains on to the number of epochs
      // asked for, and once that is reached, that many more.
      let target = Number(epochs.value) * perEpoch;
      if (target <= trainedSteps) target = (Math.ceil(trainedSteps / perEpoch) + Number(epochs.value)) * perEpoch;
      const until = maxSteps.value ? Math.min(target, trainedSteps + Number(maxSteps.value)) : target;
      controller = new AbortController();
      stop.disabled = false;
      setStatus(trainedSteps > 0 ? `Training on from step ${trainedSteps}…` : 'Training…', 'training');
      progress.value = trainedSteps / until;
      let lastDraw = 0;
      let last = null;
      delete readout.dataset.firstLoss;
      delete readout.dataset.firstStep;
      const finish = () => {
        redrawChart();
        if (last) readout.textContent = where(last);
      };
      let result;
      try {
        result = await trainLive(model, TRAINED, images, {
          from: trainedSteps, until, batchSize: Number(batch.value), learningRate: Number(lr.value), seed: 1,
          signal: controller.signal, note: savedNote,
          between: showModel,
          onProgress: (p) => {
            last = p;
            readout.dataset.firstLoss ??= String(p.loss);
            readout.dataset.firstStep ??= String(p.done);
            readout.dataset.loss = String(p.loss);
            readout.dataset.step = String(p.done);
            // A lone reconstruction term is the total itself (kinds without a penalty).
            const values = Object.keys(p.terms).length > 1 ? { total: p.loss, ...p.terms } : { total: p.loss };
            for (const [name, value] of Object.entries(values)) {
              if (!history.has(name)) history.set(name, []);
              history.get(name).push(value);
            }
            progress.value = p.done / p.until;
            readout.textContent = `${where(p)} · ${(p.stepsPerSecond * Number(batch.value)).toFixed(0)} images/s · ${Math.max(0, p.secondsLeft).toFixed(0)} s left`;
            if (performance.now() - lastDraw > 250) {
              lastDraw = performance.now();
              redrawChart();
            }
          },
        });
      } catch (error) {
        if (error.done !== undefined && !['DEVICE_LOST', 'DISPOSED', 'BACKEND'].includes(error?.code)) trainedSteps = error.done;
        finish();
        throw error;
      } finally {
        stop.disabled = true;
      }
      trainedSteps = result.done;
      finish();
      await showModel();
      resume.disabled = false;
      const at = last ? ` (epoch ${last.epoch + 1}, step ${last.step})` : '';
      const steps = `${result.steps} step${result.steps === 1 ? '' : 's'}`;
      setStatus(result.cancelled ? `Stopped after ${steps}${at}: press Resume to go on from there.` : `Done: ${steps}.`, 'done');
    });
  }

  train.addEventListener('click', () => run(true));
  resume.addEventListener('click', () => run(false));
  stop.addEventListener('click', () => controller?.abort());
  redrawChart();
}

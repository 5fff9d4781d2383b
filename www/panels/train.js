// Train: choose a kind and architecture, set hyperparameters, train on MNIST or your images, watch
// each objective term fall. Stop and resume. The model trains in a worker, and is saved (in
// memory, in the store) when it starts and after each run or Stop: its last save is what comes
// back on the CPU if the GPU device is lost.
import { drawChart, drawGrid } from '../draw.js';
import { el, labelled, select, number, status, busy } from '../ui.js';
import { createModel, putModel, recordSave, markUnsaved, onModelsChanged, TRAINED, getBackend } from '../store.js';
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

export function mountTrain(root, mnist) {
  const kind = select(Object.entries(KINDS).map(([value, k]) => ({ value, label: k.label })), 'variational');
  const explanation = el('p', { class: 'explain' });
  const formula = el('p', { class: 'formula' });
  const architecture = select([{ value: 'dense', label: 'dense (MLP)' }, { value: 'conv', label: 'convolutional' }], 'dense');
  const hidden = el('input', { type: 'text', value: '256', size: 8, 'aria-describedby': 'hidden-help' });
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
  const samples = el('canvas', { class: 'samples', role: 'img', 'aria-label': 'reconstructions of held-out digits' });
  const backendUsed = el('span', { class: 'backend-used' }, '–');
  const backendWhy = el('span', { class: 'backend-why' });

  root.append(
    el('h2', {}, 'Train an autoencoder'),
    el('div', { class: 'controls' },
      labelled('Kind', kind), labelled('Architecture', architecture), labelled('Hidden widths', hidden),
      labelled('Latent size', latent), labelled('Loss', loss), labelled('Penalty weight (λ / β)', weight)),
    explanation, formula,
    el('div', { class: 'controls' },
      labelled('Data', data), labelled('Epochs', epochs), labelled('Batch size', batch), labelled('Learning rate', lr),
      labelled('Stop after steps', maxSteps),
      train, resume, stop),
    el('p', {}, 'Backend in use: ', backendUsed, ' (choose it at the top of the page)', el('br'), backendWhy),
    progress, readout,
    el('div', { class: 'row' }, chart, el('figure', {}, samples, el('figcaption', {}, 'held-out digits (top) and their reconstructions (bottom)'))),
  );
  const setStatus = status(root);
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
  let trainedSteps = 0; // steps this model has trained here, all runs together
  let fromFile = false; // the model was loaded from a file in the Models panel
  const history = new Map(); // term -> values
  const shown = mnist.test.spread(8).pixels;

  function config() {
    const widths = hidden.value.split(/[ ,]+/).filter(Boolean).map(Number);
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

  async function showReconstructions() {
    const out = await model.reconstruct(shown);
    const both = new Float32Array(16 * mnist.size);
    both.set(Float32Array.from(shown, (v) => v / 255));
    both.set(out, 8 * mnist.size);
    drawGrid(samples, both, 16, mnist.cols, 8);
  }

  function showBackend() {
    backendUsed.textContent = model.backend === 'webgpu'
      ? `WebGPU (${model.adapterInfo?.description || model.adapterInfo?.vendor || 'adapter'}${model.adapterInfo?.isFallbackAdapter ? ', software fallback' : ''})`
      : 'CPU (WebAssembly)';
    backendWhy.textContent = `Why: ${model.backendReason}.`;
  }

  const savedNote = () => {
    if (trainedSteps === 0) return fromFile ? 'as loaded from the file' : 'before any training';
    return `after ${trainedSteps} training steps${fromFile ? ' of the loaded model' : ''}`;
  };

  /** Keep the model's weights as its last save (in memory). */
  async function save() {
    recordSave(TRAINED, await model.save(), savedNote());
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
      if (!images || images.length === 0) throw Object.assign(new Error('add images in the “Your images” panel first'), { code: 'INVALID_DATA' });
      controller = new AbortController();
      stop.disabled = false;
      setStatus('Training…', 'training');
      const started = performance.now();
      let lastDraw = 0;
      let steps = 0; // steps of this run
      delete readout.dataset.firstLoss;
      const training = model.train(images, {
        epochs: Number(epochs.value), batchSize: Number(batch.value), learningRate: Number(lr.value), seed: 1,
        maxSteps: maxSteps.value ? Number(maxSteps.value) : null,
        signal: controller.signal,
        onProgress: (p) => {
          markUnsaved(TRAINED, ++steps);
          readout.dataset.firstLoss ??= String(p.loss);
          readout.dataset.loss = String(p.loss);
          for (const [name, value] of Object.entries({ total: p.loss, ...p.terms })) {
            if (!history.has(name)) history.set(name, []);
            history.get(name).push(value);
          }
          const done = (p.epoch * p.stepsPerEpoch + p.step + 1) / (p.epochs * p.stepsPerEpoch);
          progress.value = done;
          const elapsed = (performance.now() - started) / 1000;
          const left = done > 0 ? elapsed * (1 - done) / done : NaN;
          const terms = Object.entries(p.terms).map(([n, v]) => `${n} ${v.toFixed(2)}`).join(' · ');
          readout.textContent = `epoch ${p.epoch + 1}/${p.epochs} · step ${p.step + 1}/${p.stepsPerEpoch} · loss ${p.loss.toFixed(2)} (${terms}) · ${p.samplesPerSecond.toFixed(0)} images/s · ${left.toFixed(0)} s left`;
          if (performance.now() - lastDraw > 250) {
            lastDraw = performance.now();
            drawChart(chart, [...history].map(([name, values]) => ({ name, values })), { title: 'loss per step' });
          }
        },
      });
      let result;
      try {
        result = await training;
      } catch (error) {
        drawChart(chart, [...history].map(([name, values]) => ({ name, values })), { title: 'loss per step' });
        // Other failures (DIVERGED, CALLBACK, ...) keep the last good weights: save them.
        if (!['DEVICE_LOST', 'DISPOSED', 'BACKEND'].includes(error?.code)) {
          trainedSteps += steps;
          await save().catch(() => {});
        }
        throw error;
      }
      trainedSteps += result.steps;
      await save();
      drawChart(chart, [...history].map(([name, values]) => ({ name, values })), { title: 'loss per step' });
      await showReconstructions();
      resume.disabled = false;
      setStatus(result.cancelled ? `Stopped after ${result.steps} steps: press Resume to go on.` : `Done: ${result.steps} steps.`, 'done');
    });
    stop.disabled = true;
  }

  train.addEventListener('click', () => run(true));
  resume.addEventListener('click', () => run(false));
  stop.addEventListener('click', () => controller?.abort());
  drawChart(chart, [], { title: 'loss per step' });
}

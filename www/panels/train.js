// Train: choose a kind and architecture, set hyperparameters, train on MNIST or your images, watch
// each objective term fall. Stop and resume. The model trains in a worker.
import { WorkerAutoencoder } from 'autoencoders/worker';
import { drawChart, drawGrid } from '../draw.js';
import { el, labelled, select, number, status, busy } from '../ui.js';
import { putModel, TRAINED, getBackend } from '../store.js';
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
    el('p', {}, 'Backend in use: ', backendUsed, ' (choose it at the top of the page)'),
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

  async function run(fresh) {
    await busy(setStatus, [train, resume], async () => {
      if (fresh || !model) {
        setStatus('Starting the model…', 'starting');
        const next = await WorkerAutoencoder.create(config(), { backend: getBackend(), seed: 1 });
        model = next;
        await putModel(TRAINED, model);
        history.clear();
        backendUsed.textContent = model.backend === 'webgpu'
          ? `WebGPU (${model.adapterInfo?.description || model.adapterInfo?.vendor || 'adapter'}${model.adapterInfo?.isFallbackAdapter ? ', software fallback' : ''})`
          : 'CPU (WebAssembly)';
      }
      const images = data.value === 'mine' ? userImages() : mnist.train.pixels;
      if (!images || images.length === 0) throw Object.assign(new Error('add images in the “Your images” panel first'), { code: 'INVALID_DATA' });
      controller = new AbortController();
      stop.disabled = false;
      setStatus('Training…', 'training');
      const started = performance.now();
      let lastDraw = 0;
      const result = await model.train(images, {
        epochs: Number(epochs.value), batchSize: Number(batch.value), learningRate: Number(lr.value), seed: 1,
        maxSteps: maxSteps.value ? Number(maxSteps.value) : null,
        signal: controller.signal,
        onProgress: (p) => {
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

// Segment: segmentation taught as paired training. The task is generated in the page by
// segmentation.js (a digit on clutter; its target is the digit's mask). The panel shows held-out
// pairs side by side (input, true mask, predicted mask, and an overlay that colours what the model
// got right, added and missed) with IoU and pixel accuracy on a fixed held-out set, for the
// pretrained segmenter or a model the user trains here from scratch, live: between training
// slices of about a second the masks, the scores and an IoU-over-time chart are redrawn. The user
// can also draw a digit (on clutter, if asked) and see the mask the model predicts for it.
import { COLORS, drawChart, drawGray, drawGrid, figure } from '../draw.js';
import { el, labelled, number, busy, sketchPad } from '../ui.js';
import { modelView } from '../view.js';
import { createModel, putModel, onModelsChanged, getBackend, SEGMENTED } from '../store.js';
import { trainLive } from '../training.js';
import { clutter, pairs, scores, seeded } from '../segmentation.js';

const PRETRAINED = 'segmenter';
/** The held-out pairs every model is scored on: digits of the MNIST test split (the first 200 of the 1,000 the pretrained model was checked on). */
export const HELD_OUT = { count: 200, seed: 12 };
/** The pairs "train your own" trains on: digits of the training split. */
export const TRAINING = { count: 8000, seed: 21 };
/** Held-out pairs shown side by side. */
const SHOWN = 6;
/** Overlay colours: predicted and right, predicted but not the digit, the digit but missed. */
const OVERLAY = { hit: [30, 180, 80], extra: [230, 40, 200], missed: [255, 190, 0] };

/** A colour key. The chip's colour goes through the CSSOM: a style attribute breaks a strict CSP. */
function swatch(rgb, text) {
  const chip = el('span', { class: 'chip', 'aria-hidden': 'true' });
  chip.style.background = `rgb(${rgb.join(',')})`;
  return el('span', { class: 'swatch' }, chip, text);
}

/**
 * `count` images side by side: the input in gray, and where a pixel is predicted (>= 0.5) or is
 * the digit's (target >= 0.5), the overlay colours on top.
 */
function drawOverlay(canvas, inputs, predicted, targets, side, count) {
  drawGrid(canvas, inputs, count, side, count);
  const g = canvas.getContext('2d');
  const image = g.getImageData(0, 0, canvas.width, canvas.height);
  const size = side * side;
  for (let k = 0; k < count; k++) {
    for (let i = 0; i < size; i++) {
      const p = predicted[k * size + i] >= 0.5, t = targets[k * size + i] >= 0.5;
      const at = ((Math.floor(i / side) * canvas.width) + k * side + (i % side)) * 4;
      if (p || t) image.data.set(p && t ? OVERLAY.hit : p ? OVERLAY.extra : OVERLAY.missed, at);
      else for (let c = 0; c < 3; c++) image.data[at + c] = Math.round(image.data[at + c] * 0.55);
    }
  }
  g.putImageData(image, 0, 0);
}

/** The IoU of the best plain threshold of the inputs: what the model has to beat. */
function bestThreshold(inputs, targets) {
  return Math.max(...[0.3, 0.4, 0.5, 0.6, 0.7].map((t) => scores(inputs, targets, t).iou));
}

const toBytes = (values) => Uint8Array.from(values, (v) => Math.round(v * 255));

export function mountSegment(root, mnist) {
  const side = mnist.cols;
  const size = mnist.size;
  const held = pairs(mnist.test, side, HELD_OUT.count, HELD_OUT.seed);
  const threshold = bestThreshold(held.inputs, held.targets);
  let own = null; // the user's model, once created
  const view = modelView(root, PRETRAINED, {
    choices: async () => [
      { value: PRETRAINED, label: 'segmenter (pretrained)' },
      { value: SEGMENTED, label: own ? 'your own (trained here)' : 'your own (train it first)' },
    ],
  });

  // Held-out examples: one strip of SHOWN images per row.
  const rows = {
    input: 'input',
    target: 'true mask',
    predicted: 'predicted mask',
    overlay: 'overlay',
  };
  const strips = Object.fromEntries(Object.entries(rows).map(([key, text]) => [key, el('canvas', { class: `strip-${key}`, role: 'img', 'aria-label': `${text} of ${SHOWN} held-out pairs` })]));
  const perImage = el('div', { class: 'seg-ious', role: 'group', 'aria-label': 'IoU of each pair' });
  const others = el('button', { type: 'button' }, 'Other examples');
  const heldReadout = el('p', { class: 'readout held-readout' }, '–');
  const examples = el('figure', { class: 'seg-examples' },
    el('div', { class: 'seg-grid' },
      ...Object.entries(rows).flatMap(([key, text]) => [el('span', { class: 'seg-label' }, text), strips[key]]),
      el('span', { class: 'seg-label' }, 'IoU'), perImage),
    el('figcaption', {},
      'Held-out pairs (digits no model here trained on). Overlay: ',
      swatch(OVERLAY.hit, 'found'), ' ', swatch(OVERLAY.extra, 'marked but not the digit'), ' ', swatch(OVERLAY.missed, 'missed')));

  // Train your own.
  const hidden = number(16, 2048, 1, 256);
  const latent = number(1, 512, 1, 64);
  const batch = number(1, 1024, 1, 64);
  const epochs = number(1, 200, 1, 12);
  const lr = number(0.00001, 1, 0.0001, 0.004);
  const train = el('button', { type: 'button', class: 'primary' }, 'Train from scratch');
  const resume = el('button', { type: 'button', disabled: true }, 'Resume');
  const stop = el('button', { type: 'button', disabled: true }, 'Stop');
  const progress = el('progress', { max: 1, value: 0, 'aria-label': 'training progress' });
  const trainReadout = el('p', { class: 'readout train-readout', 'aria-live': 'off' }, '–');
  const chart = el('canvas', { class: 'chart', role: 'img', 'aria-label': 'held-out IoU of your model while it trains' });

  // Draw your own.
  const START = 3; // the held-out digit the pad starts with, on clutter
  const ink = new Float32Array(size); // the strokes drawn (or the digit put there), without clutter
  let back = null; // the clutter behind them, or null
  let drawnByUser = false;
  const pad = sketchPad(side, 'input', (values) => {
    const shown = composite();
    for (let i = 0; i < size; i++) if (values[i] > shown[i]) ink[i] = values[i];
    drawnByUser = true;
    caption();
    drawnChanged();
  });
  const addClutter = el('button', { type: 'button' }, 'Add clutter');
  const removeClutter = el('button', { type: 'button' }, 'Remove clutter');
  const drawnMask = figure('predicted mask', { width: 196, height: 196 });
  const drawnOverlay = figure('overlay on your strokes', { width: 196, height: 196 });
  const drawnReadout = el('p', { class: 'readout drawn-readout' }, '–');

  const left = el('div', { class: 'seg-main' },
    el('div', { class: 'controls' }, labelled('Model', view.picker), others),
    examples, heldReadout,
    el('p', { class: 'hint' }, `IoU (intersection over union): the pixels both masks mark, divided by the pixels either marks; 1 is perfect. To beat: a plain threshold of the input, at best IoU ${threshold.toFixed(3)}. Pixel accuracy looks high even for an empty mask, as most pixels are background.`));
  root.append(
    el('h2', {}, 'Segment'),
    el('p', { class: 'explain' }, 'Paired training teaches a network by example: it sees many inputs, each with the image we want it to make from that input (its target), and is nudged until what it makes matches the targets. Here the input is a handwritten digit lost in clutter and the target is the digit’s mask, white on its strokes and black elsewhere, so the network learns to pick out the digit: that is segmentation.'),
    el('div', { class: 'seg-layout' },
      left,
      el('section', { class: 'seg-train', 'aria-label': 'Train your own' },
        el('h3', {}, 'Train your own'),
        el('p', { class: 'explain' }, `A new model starts knowing nothing. It trains on ${TRAINING.count.toLocaleString('en')} pairs made from the training digits; about every second its masks and held-out IoU are redrawn.`),
        el('div', { class: 'controls grid5' },
          labelled('Hidden width', hidden), labelled('Code size', latent), labelled('Batch size', batch),
          labelled('Epochs', epochs), labelled('Learning rate', lr)),
        el('div', { class: 'controls buttons' }, train, resume, stop),
        progress, trainReadout,
        el('figure', { class: 'chart-figure' }, chart,
          el('figcaption', {}, 'your model’s held-out IoU at each check, beside the pretrained segmenter and the best plain threshold of the input (no learning)')))),
    el('section', { class: 'seg-draw', 'aria-label': 'Draw your own' },
      el('h3', {}, 'Draw your own'),
      el('p', { class: 'explain' }, 'Draw a digit on the pad (mouse, pen or finger; or focus it and use the arrow keys, Space to finish), add clutter behind it, and see which pixels the model calls digit.'),
      el('div', { class: 'controls' }, pad.clear, addClutter, removeClutter),
      el('div', { class: 'row draw-row' },
        el('div', { class: 'row pipeline' }, pad.node, el('p', { class: 'arrow', 'aria-hidden': 'true' }, '→'), drawnMask.fig, drawnOverlay.fig),
        drawnReadout)),
  );
  const setStatus = view.attach(left);

  // ---- Held-out pairs and their scores ----
  let offset = 0; // the first held-out pair shown
  let last = null; // { predicted, name, quality } of the last evaluation shown
  let checks = 0;
  let reference = null; // the pretrained segmenter's held-out IoU, once measured
  const history = []; // your model's held-out IoU at each check

  function drawExamples() {
    const part = (values) => values.subarray(offset * size, (offset + SHOWN) * size);
    drawGrid(strips.input, part(held.inputs), SHOWN, side, SHOWN);
    drawGrid(strips.target, part(held.targets), SHOWN, side, SHOWN);
    if (!last) {
      drawGrid(strips.predicted, new Float32Array(SHOWN * size), SHOWN, side, SHOWN);
      drawGrid(strips.overlay, part(held.inputs), SHOWN, side, SHOWN);
      perImage.replaceChildren(...Array.from({ length: SHOWN }, () => el('span', {}, '–')));
      return;
    }
    drawGrid(strips.predicted, part(last.predicted), SHOWN, side, SHOWN);
    drawOverlay(strips.overlay, part(held.inputs), part(last.predicted), part(held.targets), side, SHOWN);
    perImage.replaceChildren(...Array.from({ length: SHOWN }, (_, k) => {
      const at = (offset + k) * size;
      const { iou } = scores(last.predicted.subarray(at, at + size), held.targets.subarray(at, at + size));
      return el('span', {}, iou.toFixed(2));
    }));
  }

  /** Show `predicted` (masks of all held-out pairs) made by the model called `name`. */
  function showHeldOut(predicted, name) {
    const quality = scores(predicted, held.targets);
    last = { predicted, name, quality };
    if (name === PRETRAINED) reference = quality.iou;
    checks += 1;
    drawExamples();
    const who = name === PRETRAINED ? 'the pretrained segmenter' : 'your model';
    heldReadout.textContent = `Held-out IoU ${quality.iou.toFixed(3)} · pixel accuracy ${(100 * quality.accuracy).toFixed(1)} % — ${who}, on ${HELD_OUT.count} held-out pairs`;
    Object.assign(heldReadout.dataset, { iou: quality.iou.toFixed(4), accuracy: quality.accuracy.toFixed(4), model: name, checks: String(checks) });
    return quality;
  }

  function blankHeldOut() {
    last = null;
    drawExamples();
    heldReadout.textContent = '–';
    for (const key of ['iou', 'accuracy', 'model']) delete heldReadout.dataset[key];
  }

  others.addEventListener('click', () => {
    offset = (offset + SHOWN) % HELD_OUT.count;
    drawExamples();
  });

  // ---- Draw your own ----
  function composite() {
    const out = Float32Array.from(ink);
    if (back) for (let i = 0; i < size; i++) out[i] = Math.max(out[i], back[i]);
    return out;
  }
  function caption() {
    const what = drawnByUser ? 'your drawing' : `a held-out ${mnist.test.labels[START]}`;
    pad.caption(`input: ${what}${back ? ' on clutter' : ''}`);
    removeClutter.disabled = !back;
  }
  function showDrawn(predicted) {
    const strokes = ink.map((v) => (v >= 0.5 ? 1 : 0));
    drawGray(drawnMask.canvas, predicted, side, side);
    drawOverlay(drawnOverlay.canvas, composite(), predicted, strokes, side, 1);
    const marked = predicted.reduce((n, v) => n + (v >= 0.5 ? 1 : 0), 0);
    const inked = strokes.reduce((n, v) => n + v, 0);
    const { iou } = scores(predicted, strokes);
    drawnOverlay.cap.textContent = inked ? `overlay on your strokes: IoU ${iou.toFixed(2)}` : 'overlay on your strokes';
    drawnReadout.textContent = inked
      ? `The model marks ${marked} pixels as digit; your strokes cover ${inked}. IoU with your strokes: ${iou.toFixed(2)}.`
      : `Nothing drawn yet: the model marks ${marked} pixels as digit.`;
    Object.assign(drawnReadout.dataset, { iou: iou.toFixed(4), marked: String(marked), inked: String(inked), mask: Array.from(predicted, (v) => (v >= 0.5 ? 1 : 0)).join('') });
  }
  ink.set(mnist.test.image(START));
  let clutterSeed = 1;
  const testDigit = (random) => () => {
    const i = Math.floor(random() * mnist.test.count);
    return mnist.test.pixels.subarray(i * size, (i + 1) * size);
  };
  const newClutter = () => {
    const random = seeded(clutterSeed++);
    back = clutter(side, random, testDigit(random));
  };
  newClutter();
  pad.set(composite());
  caption();
  addClutter.addEventListener('click', () => { newClutter(); pad.set(composite()); caption(); drawnChanged(); });
  removeClutter.addEventListener('click', () => { back = null; pad.set(composite()); caption(); drawnChanged(); });
  pad.clear.addEventListener('click', () => { ink.fill(0); back = null; drawnByUser = true; caption(); drawnChanged(); });

  // ---- Requests (latest wins), and training ----
  let training = false;
  let drawnWaiting = false; // the drawing changed while the model trains: predicted at the next check
  const inFlight = new Set(); // requests not settled yet
  const tracked = (request) => (...args) => {
    const settled = request(...args);
    inFlight.add(settled);
    settled.finally(() => inFlight.delete(settled));
    return settled;
  };
  const evaluate = tracked(view.channel(async (model) => {
    const name = view.picker.value;
    const predicted = await model.reconstruct(held.inputs);
    return () => showHeldOut(predicted, name);
  }));
  const predictDrawn = tracked(view.channel(async (model) => {
    const predicted = await model.reconstruct(pad.values());
    return () => showDrawn(predicted);
  }));
  function drawnChanged() {
    // The model that trains cannot answer meanwhile: its next check draws the mask.
    if (training) drawnWaiting = true;
    else void predictDrawn();
  }
  const refresh = () => Promise.all([evaluate(), predictDrawn()]);
  view.picker.addEventListener('change', () => { blankHeldOut(); void refresh(); });

  let controller = null;
  let trainedSteps = 0;
  let data = null; // the training pairs, made on the first training
  const redrawChart = () => {
    const flat = (v) => Array.from({ length: Math.max(history.length, 2) }, () => v);
    const series = history.length === 0 ? [] : [
      { name: 'your model', values: history, color: COLORS[0] },
      ...(reference === null ? [] : [{ name: `pretrained (${reference.toFixed(2)})`, values: flat(reference), color: COLORS[2] }]),
      { name: `plain threshold (${threshold.toFixed(2)})`, values: flat(threshold), color: COLORS[5] },
    ];
    drawChart(chart, series, { title: 'held-out IoU (higher is better)', xLabel: 'check (about one a second)', legend: 'above', floor: 0 });
  };
  new ResizeObserver(() => redrawChart()).observe(chart);

  /** Between training slices: score the model on the held-out pairs, and mask the drawing. */
  async function check() {
    const predicted = await own.reconstruct(held.inputs);
    const quality = showHeldOut(predicted, SEGMENTED);
    history.push(quality.iou);
    redrawChart();
    drawnWaiting = false;
    showDrawn(await own.reconstruct(pad.values()));
    return quality;
  }

  const savedNote = (steps = trainedSteps) => (steps === 0 ? 'before any training' : `after ${steps} training steps`);
  const config = () => ({ kind: 'paired', architecture: 'dense', inputShape: [1, mnist.rows, mnist.cols], hidden: [Number(hidden.value)], latent: Number(latent.value), loss: 'bce' });

  // A model brought back on the CPU after a lost GPU device: go on with that one.
  onModelsChanged((name, next, why) => {
    if (name !== SEGMENTED || !next || next === own) return;
    own = next;
    resume.disabled = false;
    if (why === 'recovered') setStatus(`Your model is back on the CPU from its last save (${savedNote()}): press Resume to train on.`, 'recovered');
  });

  async function run(fresh) {
    await busy(setStatus, [train, resume], async () => {
      // Requests already made finish first: the model cannot answer while it trains.
      await Promise.all(inFlight);
      training = true;
      view.picker.disabled = true;
      try {
        if (fresh || !own) {
          setStatus('Starting a new model…', 'starting');
          own = await createModel(SEGMENTED, config(), { backend: getBackend(), seed: 1 });
          trainedSteps = 0;
          history.length = 0;
          await putModel(SEGMENTED, own, { bytes: await own.save(), note: savedNote() });
        }
        await view.refresh();
        if (view.picker.value !== SEGMENTED) {
          view.picker.value = SEGMENTED;
          blankHeldOut();
        }
        if (!data) {
          setStatus(`Making ${TRAINING.count.toLocaleString('en')} training pairs…`, 'starting');
          await new Promise((resolve) => setTimeout(resolve, 20)); // let the status show
          const made = pairs(mnist.train, side, TRAINING.count, TRAINING.seed);
          data = { inputs: toBytes(made.inputs), targets: toBytes(made.targets) };
        }
        // Where it starts from: the untrained model's masks.
        if (history.length === 0) await check();
        const batchSize = Number(batch.value);
        const perEpoch = Math.ceil(TRAINING.count / batchSize);
        let until = Number(epochs.value) * perEpoch;
        if (until <= trainedSteps) until = (Math.ceil(trainedSteps / perEpoch) + Number(epochs.value)) * perEpoch;
        controller = new AbortController();
        stop.disabled = false;
        setStatus(trainedSteps > 0 ? `Training on from step ${trainedSteps}…` : 'Training…', 'training');
        let latest = null;
        const where = (p) => `epoch ${p.epoch + 1}/${Math.ceil(p.until / p.stepsPerEpoch)} · step ${p.step}/${p.stepsPerEpoch} · loss ${p.loss.toFixed(1)}`;
        let result;
        try {
          result = await trainLive(own, SEGMENTED, data.inputs, {
            targets: data.targets, from: trainedSteps, until, batchSize, learningRate: Number(lr.value), seed: 1,
            signal: controller.signal, note: savedNote, between: check,
            onProgress: (p) => {
              latest = p;
              progress.value = p.done / p.until;
              trainReadout.dataset.step = String(p.done);
              trainReadout.textContent = `${where(p)} · ${(p.stepsPerSecond * batchSize).toFixed(0)} pairs/s · ${Math.max(0, p.secondsLeft).toFixed(0)} s left`;
            },
          });
        } catch (error) {
          if (error.done !== undefined && !['DEVICE_LOST', 'DISPOSED', 'BACKEND'].includes(error?.code)) trainedSteps = error.done;
          if (latest) trainReadout.textContent = where(latest);
          throw error;
        } finally {
          stop.disabled = true;
        }
        trainedSteps = result.done;
        if (latest) trainReadout.textContent = where(latest);
        const { iou } = await check();
        resume.disabled = false;
        const steps = `${result.steps} step${result.steps === 1 ? '' : 's'}`;
        const score = `held-out IoU ${iou.toFixed(3)}${reference === null ? '' : ` (the pretrained segmenter: ${reference.toFixed(3)})`}`;
        setStatus(result.cancelled ? `Stopped after ${steps}, ${score}: press Resume to go on from there.` : `Done: ${steps}, ${score}.`, 'done');
      } finally {
        training = false;
        view.picker.disabled = false;
        if (drawnWaiting) {
          drawnWaiting = false;
          void predictDrawn();
        }
      }
    });
    resume.disabled = !own;
  }

  train.addEventListener('click', () => run(true));
  resume.addEventListener('click', () => run(false));
  stop.addEventListener('click', () => controller?.abort());
  drawExamples();
  redrawChart();
  setStatus('Loading the pretrained segmenter…', 'starting');
  return { async show() { await view.refresh(); if (!training) await refresh(); } };
}

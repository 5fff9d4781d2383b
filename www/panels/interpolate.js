// Interpolate: walk from one digit's code to another's and decode each step. Linear or spherical
// (slerp, which stays where a VAE's prior puts its mass). A slider scrubs through the path.
// The two ends are drawing pads that show the chosen held-out digits: draw on them to change an
// end, or clear one and draw your own digit.
import { drawGray, drawGrid, figure } from '../draw.js';
import { el, labelled, select, slider, digitPicker } from '../ui.js';
import { sketchPad } from '../ui.js';
import { modelView } from '../view.js';

const STEPS = 10;

export function mountInterpolate(root, mnist) {
  const view = modelView(root, 'vae-20d');
  const method = select([{ value: 'linear', label: 'linear' }, { value: 'slerp', label: 'spherical (slerp)' }], 'slerp');
  const scrub = slider(0, STEPS - 1, 1, 0);
  const scrubValue = el('output', {}, '0');
  const strip = el('canvas', { class: 'strip', role: 'img', 'aria-label': 'decoded steps from the first digit to the second' });
  const frame = figure('step 0', { width: 224, height: 224 });
  const ends = [
    { pad: null, picker: null, word: 'start', drawn: false },
    { pad: null, picker: null, word: 'end', drawn: false },
  ];
  for (const [k, end] of ends.entries()) {
    end.pad = sketchPad(mnist.cols, `${end.word}`, () => { end.drawn = true; label(end); update(); });
    end.picker = digitPicker(mnist, k === 0 ? 'From digit' : 'To digit', k === 0 ? 230 : 1850, (i) => {
      // Choosing a digit puts it on the pad, replacing any drawing.
      end.pad.set(mnist.test.image(i));
      end.index = i;
      end.drawn = false;
      label(end);
      update();
    });
    end.pad.clear.addEventListener('click', () => { end.drawn = true; label(end); update(); });
  }
  function label(end) {
    end.pad.caption(end.drawn
      ? `${end.word}: your drawing`
      : `${end.word}: a held-out ${mnist.test.labels[end.index]} (no. ${end.index})`);
  }
  root.append(
    el('h2', {}, 'Interpolate'),
    el('p', { class: 'explain' }, 'Encode two digits, walk between their codes, and decode every step. A VAE’s smooth latent space gives plausible digits all the way. The ends are held-out digits (ones the model never trained on): pick others, or draw on them (clear one to draw your own).'),
    el('div', { class: 'controls' }, labelled('Model', view.picker), ends[0].picker.node, ends[1].picker.node, labelled('Path', method)),
    el('div', { class: 'row ends' },
      el('div', { class: 'row pipeline' }, ends[0].pad.node, el('p', { class: 'arrow', 'aria-hidden': 'true' }, '→'), ends[1].pad.node),
      el('div', { class: 'scrubber' }, frame.fig, el('div', { class: 'controls' }, labelled('Scrub', scrub), scrubValue))),
    el('figure', {}, strip, el('figcaption', {}, `the path in ${STEPS} steps: each image is decoded from a code between the two ends’ codes`)),
  );
  view.attach();
  let path = null;

  function showFrame() {
    if (!path) return;
    const i = Number(scrub.value);
    scrubValue.textContent = String(i);
    frame.cap.textContent = `step ${i} of ${STEPS - 1}`;
    drawGray(frame.canvas, path.subarray(i * mnist.size, (i + 1) * mnist.size), mnist.cols, mnist.rows);
  }

  const update = view.channel(async (model) => {
    const [first, last] = ends.map((end) => Float32Array.from(end.pad.values()));
    const out = await model.interpolate(first, last, STEPS, { method: method.value });
    return () => {
      path = out;
      drawGrid(strip, path, STEPS, mnist.cols, STEPS);
      showFrame();
    };
  });

  scrub.addEventListener('input', showFrame);
  method.addEventListener('change', () => update());
  view.picker.addEventListener('change', () => update());
  return { async show() { await view.refresh(); ends.forEach((end) => (end.drawn ? update() : end.picker.update())); } };
}

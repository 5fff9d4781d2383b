// Interpolate: walk from one image's code to another's and decode each step. Linear or spherical
// (slerp, which stays where a VAE's prior puts its mass). A slider scrubs through the path.
// With a digit model the two ends are drawing pads that show the chosen held-out digits: draw on
// them to change an end, or clear one and draw your own digit. With the colour emoji VAE the ends
// are two held-out emoji, chosen from lists, and every step is drawn in colour.
import { drawGrid, drawImage, figure } from '../draw.js';
import { el, labelled, select, slider, digitPicker } from '../ui.js';
import { sketchPad } from '../ui.js';
import { modelView } from '../view.js';
import { imageModels, inColour } from '../store.js';
import { listEmoji, emojiCredit } from '../emoji.js';

const STEPS = 10;
/** The emoji ends shown first: a face to a cat's face, both held out (and both reconstructed well: about 18 dB). */
const EMOJI_ENDS = ['smiling face with heart-shaped eyes', 'cat face with wry smile'];

export function mountInterpolate(root, mnist) {
  const view = modelView(root, 'vae-20d', { accepts: imageModels });
  const method = select([{ value: 'linear', label: 'linear' }, { value: 'slerp', label: 'spherical (slerp)' }], 'slerp');
  const scrub = slider(0, STEPS - 1, 1, 0);
  const scrubValue = el('output', {}, '0');
  const strip = el('canvas', { class: 'strip', role: 'img', 'aria-label': 'decoded steps from the first image to the second' });
  const frame = figure('step 0', { width: 224, height: 224 });
  const explain = el('p', { class: 'explain' });
  const credit = emojiCredit();
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
    // The colour ends: a list of the held-out emoji (filled when first needed) and the chosen one.
    end.emoji = select([], '');
    end.emoji.addEventListener('change', () => update());
    end.emojiFigure = figure(`${end.word}`, { width: 168, height: 168 });
    end.emojiFigure.canvas.classList.add('emoji-end');
  }
  function label(end) {
    end.pad.caption(end.drawn
      ? `${end.word}: your drawing`
      : `${end.word}: a held-out ${mnist.test.labels[end.index]} (no. ${end.index})`);
  }
  // Digit ends and emoji ends: one set is shown, for the kind of model picked.
  const digitControls = el('span', { class: 'picker-pair' }, ends[0].picker.node, ends[1].picker.node);
  const emojiControls = el('span', { class: 'picker-pair', hidden: true },
    labelled('From emoji', ends[0].emoji), labelled('To emoji', ends[1].emoji));
  const digitEnds = el('div', { class: 'row pipeline' }, ends[0].pad.node, el('p', { class: 'arrow', 'aria-hidden': 'true' }, '→'), ends[1].pad.node);
  const emojiEnds = el('div', { class: 'row pipeline', hidden: true }, ends[0].emojiFigure.fig, el('p', { class: 'arrow', 'aria-hidden': 'true' }, '→'), ends[1].emojiFigure.fig);
  root.append(
    el('h2', {}, 'Interpolate'),
    explain,
    el('div', { class: 'controls' }, labelled('Model', view.picker), digitControls, emojiControls, labelled('Path', method)),
    el('div', { class: 'row ends' },
      digitEnds, emojiEnds,
      el('div', { class: 'scrubber' }, frame.fig, el('div', { class: 'controls' }, labelled('Scrub', scrub), scrubValue))),
    el('figure', {}, strip, el('figcaption', {}, `the path in ${STEPS} steps: each image is decoded from a code between the two ends’ codes`)),
    credit,
  );
  view.attach();
  let path = null;
  let colour = false;

  /** Show the controls of the picked model's kind of image. */
  function showMode(inColourNow) {
    colour = inColourNow;
    digitControls.hidden = colour;
    digitEnds.hidden = colour;
    emojiControls.hidden = !colour;
    emojiEnds.hidden = !colour;
    credit.hidden = !colour;
    explain.textContent = colour
      ? 'Encode two emoji, walk between their codes, and decode every step: a VAE’s smooth latent space morphs one into the other in colour. Both ends are held-out emoji (ones the model never trained on): pick others from the lists.'
      : 'Encode two digits, walk between their codes, and decode every step. A VAE’s smooth latent space gives plausible digits all the way. The ends are held-out digits (ones the model never trained on): pick others, or draw on them (clear one to draw your own).';
  }
  showMode(false);

  /** The emoji lists, filled once from the held-out emoji. */
  let emoji = null;
  async function emojiSet() {
    [emoji] = await Promise.all(ends.map((end, k) => listEmoji(end.emoji, EMOJI_ENDS[k])));
    return emoji;
  }

  function showFrame() {
    if (!path) return;
    const i = Number(scrub.value);
    scrubValue.textContent = String(i);
    frame.cap.textContent = `step ${i} of ${STEPS - 1}`;
    drawImage(frame.canvas, path.values.subarray(i * path.size, (i + 1) * path.size), path.shape);
  }

  const update = view.channel(async (model) => {
    const shape = model.inputShape;
    const wantsColour = inColour(model.config);
    let first;
    let last;
    if (wantsColour) {
      const set = await emojiSet();
      [first, last] = ends.map((end) => set.image(Number(end.emoji.value)));
    } else {
      [first, last] = ends.map((end) => Float32Array.from(end.pad.values()));
    }
    const out = await model.interpolate(first, last, STEPS, { method: method.value });
    return () => {
      showMode(wantsColour);
      if (wantsColour) {
        ends.forEach((end, k) => {
          drawImage(end.emojiFigure.canvas, k === 0 ? first : last, shape);
          end.emojiFigure.cap.textContent = `${end.word}: ${emoji.names[Number(end.emoji.value)]} (held out)`;
        });
      }
      path = { values: out, shape, size: shape[0] * shape[1] * shape[2] };
      drawGrid(strip, out, STEPS, shape, STEPS);
      strip.dataset.channels = String(shape[0]);
      showFrame();
    };
  });

  scrub.addEventListener('input', showFrame);
  method.addEventListener('change', () => update());
  view.picker.addEventListener('change', () => update());
  return { async show() { await view.refresh(); if (colour) update(); else ends.forEach((end) => (end.drawn ? update() : end.picker.update())); } };
}

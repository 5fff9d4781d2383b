// Small helpers for building labelled, keyboard-reachable controls.
import { explain } from './messages.js';

export const $ = (selector, root = document) => root.querySelector(selector);

export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (key === 'class') node.className = value;
    else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else if (value !== undefined && value !== null && value !== false) node.setAttribute(key, value === true ? '' : value);
  }
  node.append(...children.filter((c) => c !== null && c !== undefined));
  return node;
}

let ids = 0;

/** A control with a visible <label> above it (the label alone names the control). */
export function labelled(text, control) {
  control.id ||= `control-${++ids}`;
  return el('div', { class: 'field' }, el('label', { for: control.id }, text), control);
}

export function select(options, value, attributes = {}) {
  const node = el('select', attributes);
  setOptions(node, options, value);
  return node;
}

export function setOptions(node, options, value) {
  node.replaceChildren(...options.map((o) => el('option', { value: o.value }, o.label)));
  if (value !== undefined && options.some((o) => o.value === value)) node.value = value;
}

export function slider(min, max, step, value, attributes = {}) {
  return el('input', { type: 'range', min, max, step, value, ...attributes });
}

export function number(min, max, step, value, attributes = {}) {
  return el('input', { type: 'number', min, max, step, value, ...attributes });
}

const statusLines = new Set();

/**
 * A status line announced to screen readers, appended to `into` (`root` itself by default):
 * `set(text, state, detail)`.
 * `state` goes to data-state (on the line and on `root`) for tests and styling; `detail`, the
 * library's own words for an error, goes under a "Details" disclosure below the line.
 */
export function status(root, into = root) {
  const node = el('p', { class: 'status', role: 'status', 'aria-live': 'polite' });
  const more = el('details', { class: 'status-detail', hidden: true }, el('summary', {}, 'Details'), el('code'));
  into.append(node, more);
  const set = (text, state = 'ready', detail = null) => {
    node.textContent = text;
    node.dataset.state = state;
    root.dataset.state = state;
    more.hidden = !detail;
    more.open = false;
    more.querySelector('code').textContent = detail ?? '';
    if (detail) node.dataset.code = detail.split(':')[0];
    else delete node.dataset.code;
  };
  statusLines.add({ node, set });
  return set;
}

/** What a panel's status line says when its call failed because the GPU device was lost. */
export const LOST_STATUS = explain({ code: 'DEVICE_LOST', message: '' }).text;

/** Replace every status line still saying the GPU was lost (once the models are back on the CPU). */
export function clearLostStatus(text) {
  for (const { node, set } of statusLines) if (node.dataset.state === 'lost') set(text, 'ready');
}

/** Say on a status line that `error` happened, in words a student can read. */
export function reportError(setStatus, error) {
  if (error?.code === 'DEVICE_LOST') return setStatus(LOST_STATUS, 'lost');
  const { text, detail } = explain(error);
  setStatus(text, 'error', detail);
}

/** Run an async action with the given buttons disabled, reporting errors on the status line. */
export async function busy(setStatus, buttons, action) {
  buttons.forEach((b) => { b.disabled = true; });
  try {
    return await action();
  } catch (error) {
    reportError(setStatus, error);
    return undefined;
  } finally {
    buttons.forEach((b) => { b.disabled = false; });
  }
}

/** "WebGPU" or "the CPU": where a model runs, in words. */
export const runsOn = (model) => (model.backend === 'webgpu' ? 'WebGPU' : 'the CPU');

/** A digit picker: a number input over the held-out digits, with its label shown. */
export function digitPicker(mnist, label, initial, onChange) {
  const input = number(0, mnist.test.count - 1, 1, initial);
  const shown = el('span', { class: 'digit-label' });
  // `byUser` tells a choice made in the input from a refresh when the panel is shown.
  const update = (byUser = false) => {
    const i = Math.max(0, Math.min(mnist.test.count - 1, Number(input.value) || 0));
    shown.textContent = `(a ${mnist.test.labels[i]})`;
    onChange(i, byUser);
  };
  input.addEventListener('change', () => update(true));
  return { node: el('span', { class: 'picker' }, labelled(label, input), shown), input, update, get index() { return Number(input.value); } };
}

/**
 * A pad to draw a digit on with the mouse, a pen or a finger (or the keyboard: arrows move,
 * Space paints), `side x side` pixels shown large. `values()` gives gray values in [0, 1];
 * `set(values)` shows an image on it (drawing then paints over it); `caption(text)` relabels it.
 */
export function sketchPad(side, label, onChange) {
  const values = new Float32Array(side * side);
  const canvas = el('canvas', { class: 'sketch', role: 'img', 'aria-label': label, tabindex: 0, width: side, height: side });
  const caption = el('figcaption', {}, label);
  const redraw = () => {
    const g = canvas.getContext('2d');
    const image = g.createImageData(side, side);
    for (let i = 0; i < values.length; i++) {
      const v = Math.round(values[i] * 255);
      image.data.set([v, v, v, 255], i * 4);
    }
    g.putImageData(image, 0, 0);
  };
  // A soft round brush about 2.5 pixels wide, like a pen stroke in MNIST.
  const stamp = (x, y) => {
    for (let yy = Math.floor(y - 2); yy <= Math.ceil(y + 2); yy++) {
      for (let xx = Math.floor(x - 2); xx <= Math.ceil(x + 2); xx++) {
        if (xx < 0 || yy < 0 || xx >= side || yy >= side) continue;
        const d = Math.hypot(xx + 0.5 - x, yy + 0.5 - y);
        const ink = Math.max(0, Math.min(1, 1.6 - d * 0.8));
        values[yy * side + xx] = Math.max(values[yy * side + xx], ink);
      }
    }
    redraw();
  };
  paintWith(canvas, side, stamp, () => onChange(values));
  const clear = el('button', { type: 'button' }, 'Clear drawing');
  clear.addEventListener('click', () => { values.fill(0); redraw(); });
  redraw();
  return {
    node: el('figure', { class: 'pad' }, canvas, caption, clear),
    canvas,
    clear,
    values: () => values,
    hasInk: () => values.some((v) => v > 0),
    set(image) { values.set(image); redraw(); },
    caption(text) { caption.textContent = text; canvas.setAttribute('aria-label', text); },
  };
}

/**
 * Painting on a `side x side` canvas shown at any size: pointer strokes (mouse, pen, touch; the
 * path between events is filled in) and the keyboard (arrows move and paint, Space or Enter
 * commits). `stamp(x, y)` paints one point in pixel units; `commit()` runs when a stroke ends.
 */
export function paintWith(canvas, sideOf, stamp, commit) {
  // `sideOf`: the image's side in pixels, or a function giving it (when the image can change size).
  const size = () => (typeof sideOf === 'function' ? sideOf() : sideOf);
  canvas.style.touchAction = 'none';
  let drawing = false;
  let last = null;
  const at = (e) => {
    const r = canvas.getBoundingClientRect();
    return { x: ((e.clientX - r.left) / r.width) * size(), y: ((e.clientY - r.top) / r.height) * size() };
  };
  const line = (p) => {
    const steps = last ? Math.ceil(Math.hypot(p.x - last.x, p.y - last.y) * 2) : 0;
    for (let s = 1; s <= steps; s++) stamp(last.x + ((p.x - last.x) * s) / steps, last.y + ((p.y - last.y) * s) / steps);
    stamp(p.x, p.y);
    last = p;
  };
  canvas.addEventListener('pointerdown', (e) => { drawing = true; last = null; canvas.setPointerCapture(e.pointerId); line(at(e)); });
  canvas.addEventListener('pointermove', (e) => { if (drawing) line(at(e)); });
  canvas.addEventListener('pointerup', () => { drawing = false; commit(); });
  let cursor = { x: size() / 2, y: size() / 2 };
  canvas.addEventListener('keydown', (e) => {
    const moves = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };
    if (moves[e.key]) {
      const side = size();
      cursor = { x: Math.max(0, Math.min(side - 1, cursor.x + moves[e.key][0])), y: Math.max(0, Math.min(side - 1, cursor.y + moves[e.key][1])) };
      stamp(cursor.x, cursor.y);
      e.preventDefault();
    } else if (e.key === ' ' || e.key === 'Enter') {
      commit();
      e.preventDefault();
    }
  });
}

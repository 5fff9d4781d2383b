// Small helpers for building labelled, keyboard-reachable controls.

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

/** A status line announced to screen readers; `state` goes to data-state for tests and styling. */
export function status(root) {
  const node = el('p', { class: 'status', role: 'status', 'aria-live': 'polite' });
  root.append(node);
  return (text, state = 'ready') => {
    node.textContent = text;
    node.dataset.state = state;
    root.dataset.state = state;
  };
}

/** Run an async action with the given buttons disabled, reporting errors on the status line. */
export async function busy(setStatus, buttons, action) {
  buttons.forEach((b) => { b.disabled = true; });
  try {
    return await action();
  } catch (error) {
    setStatus(`Error${error.code ? ` (${error.code})` : ''}: ${error.message}`, 'error');
    return undefined;
  } finally {
    buttons.forEach((b) => { b.disabled = false; });
  }
}

/** A digit picker: a number input over the held-out digits, with its label shown. */
export function digitPicker(mnist, label, initial, onChange) {
  const input = number(0, mnist.test.count - 1, 1, initial);
  const shown = el('span', { class: 'digit-label' });
  const update = () => {
    const i = Math.max(0, Math.min(mnist.test.count - 1, Number(input.value) || 0));
    shown.textContent = `(a ${mnist.test.labels[i]})`;
    onChange(i);
  };
  input.addEventListener('change', update);
  return { node: el('span', { class: 'picker' }, labelled(label, input), shown), input, update, get index() { return Number(input.value); } };
}

// The message shown when the GPU stops working (a call failed with DEVICE_LOST): it says what
// happened and what continuing on the CPU brings back and loses, and offers it in one click.
import { el } from './ui.js';
import { onDeviceLost, modelsToMove, modelLabel } from './store.js';

const plural = (n, word) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** What continuing on the CPU does to each model, in words. */
function consequences(list) {
  if (list.length === 0) return [el('li', {}, 'No model needs to be loaded again: new models will start on the CPU.')];
  return list.map(({ label, note, unsaved }) => el('li', {},
    `${label[0].toUpperCase()}${label.slice(1)} is loaded again from its last save (${note ?? 'when it was made'})`,
    unsaved > 0 ? `: the ${plural(unsaved, 'training step')} taken since then will be lost.` : ': nothing is lost.'));
}

/**
 * Fill `banner` (an empty role="alert" region) when a model's GPU device is lost. `onContinue()`
 * moves the models to the CPU; it runs once per click of the banner's one button.
 */
export function mountDeviceLost(banner, onContinue) {
  let state = 'idle';

  async function showLost() {
    if (state === 'moving') return;
    state = 'lost';
    const list = await modelsToMove();
    if (state !== 'lost') return;
    const button = el('button', { type: 'button', class: 'primary' }, 'Continue on the CPU');
    button.addEventListener('click', () => move(button));
    const message = el('p', { class: 'banner-title', tabindex: -1 },
      el('strong', {}, 'The GPU stopped working (device lost).'),
      ' Your model is safe as of its last save: continue on the CPU?');
    banner.dataset.state = 'lost';
    banner.replaceChildren(
      message,
      el('ul', { class: 'banner-details' }, ...consequences(list),
        el('li', {}, 'Your images, the other panels’ settings and the training chart stay as they are.')),
      button,
    );
  }

  async function move(button) {
    state = 'moving';
    banner.dataset.state = 'moving';
    button.disabled = true;
    button.textContent = 'Moving to the CPU…';
    try {
      const moved = await onContinue();
      state = 'idle';
      const dismiss = el('button', { type: 'button' }, 'Dismiss');
      const message = el('p', { class: 'banner-title', tabindex: -1 },
        el('strong', {}, 'Now running on the CPU.'),
        moved.length > 0 ? ` Loaded again from the last save: ${moved.map(modelLabel).join(', ')}.` : ' New models start on the CPU.');
      dismiss.addEventListener('click', () => {
        banner.replaceChildren();
        delete banner.dataset.state;
        // Keyboard users land back on the panel they were using.
        document.querySelector('[role="tab"][aria-selected="true"]')?.focus();
      });
      banner.dataset.state = 'recovered';
      banner.replaceChildren(message, dismiss);
      message.focus();
    } catch (error) {
      state = 'lost';
      banner.dataset.state = 'failed';
      button.disabled = false;
      button.textContent = 'Continue on the CPU';
      banner.querySelector('.banner-error')?.remove();
      button.before(el('p', { class: 'banner-error' }, `That did not work: ${error?.message ?? error}. Try again, or reload the page.`));
    }
  }

  onDeviceLost(() => { void showLost(); });
}

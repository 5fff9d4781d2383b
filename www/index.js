// The teaching demo: one page of panels sharing one model store. Each panel mounts lazily the
// first time it is shown; every model runs in the store's shared worker (see store.js).
import { loadMnist } from './mnist.js';
import { el, clearLostStatus } from './ui.js';
import { setBackend, onModelStarted, continueOnCpu, modelLabel } from './store.js';
import { mountDeviceLost } from './gpu-lost.js';
import { reasonText } from './messages.js';
import { mountTrain } from './panels/train.js';
import { mountDenoise } from './panels/denoise.js';
import { mountInpaint } from './panels/inpaint.js';
import { mountSegment } from './panels/segment.js';
import { mountInterpolate } from './panels/interpolate.js';
import { mountSample } from './panels/sample.js';
import { mountImages } from './panels/images.js';
import { mountModels } from './panels/models.js';

const PANELS = [
  ['train', 'Train', mountTrain],
  ['denoise', 'Denoise', mountDenoise],
  ['inpaint', 'Inpaint', mountInpaint],
  ['segment', 'Segment', mountSegment],
  ['interpolate', 'Interpolate', mountInterpolate],
  ['sample', 'Sample', mountSample],
  ['images', 'Your images', mountImages],
  ['models', 'Models', mountModels],
];

async function main() {
  const mnist = await loadMnist();
  const nav = document.querySelector('nav');
  const main = document.getElementById('panels');
  main.replaceChildren();
  const tabs = [];
  const mounted = new Map();
  let active = null;

  async function show(id, focus = false) {
    for (const { id: other, tab, panel } of tabs) {
      const on = other === id;
      tab.setAttribute('aria-selected', String(on));
      tab.tabIndex = on ? 0 : -1;
      panel.hidden = !on;
      if (on && focus) tab.focus();
    }
    const entry = tabs.find((t) => t.id === id);
    if (!mounted.has(id)) mounted.set(id, entry.mount(entry.panel, mnist) ?? {});
    history.replaceState(null, '', `#${id}`);
    active = id;
    await mounted.get(id).show?.();
  }

  PANELS.forEach(([id, label, mount], i) => {
    const tab = el('button', { role: 'tab', id: `tab-${id}`, 'aria-controls': `panel-${id}`, type: 'button' }, label);
    const panel = el('section', { role: 'tabpanel', id: `panel-${id}`, 'aria-labelledby': `tab-${id}`, hidden: true });
    tab.addEventListener('click', () => show(id));
    tab.addEventListener('keydown', (e) => {
      const step = { ArrowRight: 1, ArrowLeft: -1 }[e.key];
      if (step) show(PANELS[(i + step + PANELS.length) % PANELS.length][0], true);
    });
    nav.append(tab);
    main.append(panel);
    tabs.push({ id, tab, panel, mount });
  });
  const backend = document.getElementById('backend');
  backend.addEventListener('change', async () => {
    setBackend(backend.value);
    // Redraw the visible panel with models on the new backend.
    if (active) await mounted.get(active)?.show?.();
  });
  // What each model runs on, and why (what `auto` found, or what was asked for).
  const info = document.getElementById('backend-info');
  onModelStarted((name, model) => {
    info.textContent = `Running on ${model.backend === 'webgpu' ? 'WebGPU' : 'the CPU'} (${modelLabel(name)}). Why: ${reasonText(model)}.`;
    info.dataset.backend = model.backend;
  });
  // A lost GPU device: one click brings the models back on the CPU from their last saves.
  mountDeviceLost(document.getElementById('device-lost'), async () => {
    const moved = await continueOnCpu();
    backend.value = 'cpu';
    clearLostStatus('Now running on the CPU.');
    // Redraw the visible panel with its model back (not awaited: the banner says so at once).
    if (active) void mounted.get(active)?.show?.();
    return moved;
  });
  const start = location.hash.slice(1);
  await show(PANELS.some(([id]) => id === start) ? start : 'train');
  document.body.dataset.ready = 'true';
}

main().catch((error) => {
  document.getElementById('panels').textContent = `Could not start the demo: ${error.message}`;
});

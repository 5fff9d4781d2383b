// The glue every model panel shares, in one place: a model picker kept in step with the store, a
// status line, and requests that follow "latest request wins".
//
// A panel says what to compute and how to show it; this file says when. A slider dragged over
// twenty positions while the model works on the first does not queue twenty runs: each new
// request replaces the one waiting, so only the newest position runs next, and a result that a
// newer request has made stale is dropped instead of drawn.
import { select, setOptions, status, reportError, runsOn } from './ui.js';
import { getModel, modelChoices, onModelsChanged } from './store.js';

/**
 * "Latest request wins" around `work(current, ...args)`, which resolves with a function that
 * shows its result (or with nothing). `request(...args)` starts the work if none runs (after the
 * current task, so that events dispatched together count as one request); while one runs, it
 * waits in place of any request already waiting. `current()` tells `work` whether it is still the
 * newest request (to skip further steps once it is not); its result is shown only if it is.
 * Hooks: `onBusy()` when a request is made, `onIdle(outcome)` when none runs or waits any more,
 * with `{ error }` (the newest request failed), `{ dropped: true }` or `{}`. `request()` resolves
 * then too.
 */
export function latest(work, { onBusy, onIdle } = {}) {
  let version = 0;
  let waiting = null; // the arguments of the newest request not yet started
  let running = false;
  let settle = [];

  async function pump() {
    let outcome = {};
    while (waiting) {
      const args = waiting;
      waiting = null;
      const mine = version;
      const current = () => mine === version;
      try {
        const show = await work(current, ...args);
        if (current()) {
          show?.();
          outcome = {};
        } else outcome = { dropped: true };
      } catch (error) {
        // An error of a request that a newer one replaced is as stale as its result.
        outcome = current() ? { error } : { dropped: true };
      }
    }
    running = false;
    const done = settle;
    settle = [];
    onIdle?.(outcome);
    done.forEach((resolve) => resolve());
  }

  return function request(...args) {
    version++;
    waiting = args;
    onBusy?.();
    const settled = new Promise((resolve) => settle.push(resolve));
    if (!running) {
      running = true;
      queueMicrotask(pump);
    }
    return settled;
  };
}

/**
 * A panel's model picker (`picker`, a <select> of the store's models that `accepts(config)` takes,
 * `preferred` first), and,
 * once `attach()` has put the panel's status line in place, `channel(work)`: a "latest request
 * wins" request function whose `work(model, current, ...args)` gets the picked model. Every
 * channel of the panel shares its status line: "Working…" while any runs, then what the newest
 * request of the last one came to ("Ready (running on …)", or the error in plain words).
 */
export function modelView(root, preferred, { accepts, choices = () => modelChoices(accepts) } = {}) {
  const picker = select([], preferred);
  let setStatus = null;
  let running = 0;
  let last = null; // what the status line says once nothing runs

  const refresh = async () => setOptions(picker, await choices(), picker.value || preferred);
  onModelsChanged(() => { void refresh(); });

  return {
    picker,
    refresh,
    /** Put the panel's status line here (at the end of `into`, `root` by default); returns its setter. */
    attach(into = root) {
      setStatus = status(root, into);
      return setStatus;
    },
    channel(work) {
      let active = false;
      return latest(async (current, ...args) => {
        const model = await getModel(picker.value);
        if (!current()) return undefined;
        const show = await work(model, current, ...args);
        return () => {
          show?.();
          last = { text: `Ready (running on ${runsOn(model)}).`, state: 'ready' };
        };
      }, {
        onBusy() {
          if (!active) running++;
          active = true;
          setStatus('Working…', 'busy');
        },
        onIdle({ error }) {
          active = false;
          running--;
          if (error) last = { error };
          if (running > 0 || !last) return;
          if (last.error) reportError(setStatus, last.error);
          else setStatus(last.text, last.state);
        },
      });
    },
  };
}

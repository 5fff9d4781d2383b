// Training that can be watched: a run is cut into slices of about a second, and between slices
// the panel draws what the model does now (reconstructions, a 2-D latent map). A model cannot
// answer other calls while `train` runs (they reject with BUSY), so this is how a learner sees the
// reconstructions sharpen while it trains, not only when it ends.
//
// Each slice is one `train` call, stopped after about a second through its signal; the next call
// resumes from the weights and optimiser state ("a train after another resumes it"). Each slice
// shuffles afresh (its seed is the run's seed plus the step it starts at, so a run is still
// reproducible), and the step counter is the model's own, across slices, Stop and Resume: epoch
// `e` is the model's steps `e * stepsPerEpoch` to `(e + 1) * stepsPerEpoch - 1`.
//
// The store is told about every step (markUnsaved) and, when the run ends, gets the model's save
// (recordSave), so that a lost GPU device brings back what was trained.
import { markUnsaved, recordSave } from './store.js';

/** Images held by an `ImageInput` of a model with `inputSize` values per image. */
export const imageCount = (data, inputSize) => data.length / inputSize;

/**
 * Train `model` (called `name` in the store) on `data` until its step count reaches `until`,
 * from `from` (the steps it has taken so far), in slices of about `every` ms (longer when
 * drawing between them is slow).
 *
 * Options: `batchSize`, `learningRate`, `seed`, `targets` (paired training: the image each one of
 * `data` should become), `signal` (Stop), `onProgress(p)` with
 * `{ done, until, epoch, step, stepsPerEpoch, loss, terms, stepsPerSecond, secondsLeft }` after
 * every step (`done` is the model's step count, 1-based step and epoch counting from 0),
 * `between()` awaited between slices (draw what the model does now), `note(done)` for the save.
 * Resolves with `{ steps, done, cancelled }`; on failure the error carries `steps` (taken by
 * this run before it), and the weights kept by the library are saved unless the model is gone.
 */
export async function trainLive(model, name, data, { from, until, batchSize, learningRate, seed = 1, targets, signal, onProgress, between, note, every = 1000 }) {
  const stepsPerEpoch = Math.ceil(imageCount(data, model.inputSize) / batchSize);
  const started = performance.now();
  let done = from;
  let steps = 0; // steps of this run
  // A slice lasts `every` ms, or three times as long as drawing between slices took (on a slow
  // backend, drawing must not take most of the time).
  let sliceMs = every;
  try {
    while (done < until && !signal?.aborted) {
      const slice = new AbortController();
      const stop = () => slice.abort();
      signal?.addEventListener('abort', stop, { once: true });
      const timer = setTimeout(stop, sliceMs);
      const remaining = until - done;
      const at = done;
      try {
        const result = await model.train(data, {
          epochs: Math.ceil(remaining / stepsPerEpoch), maxSteps: remaining, batchSize, learningRate,
          seed: seed + at, signal: slice.signal, ...(targets ? { targets } : {}),
          onProgress: (p) => {
            done = at + p.globalStep;
            steps += 1;
            markUnsaved(name, steps);
            const stepsPerSecond = (steps / (performance.now() - started)) * 1000;
            onProgress?.({
              done, until, stepsPerEpoch, epoch: Math.floor((done - 1) / stepsPerEpoch), step: ((done - 1) % stepsPerEpoch) + 1,
              loss: p.loss, terms: p.terms, stepsPerSecond, secondsLeft: (until - done) / stepsPerSecond,
            });
          },
        });
        done = at + result.steps;
      } finally {
        clearTimeout(timer);
        signal?.removeEventListener('abort', stop);
      }
      if (done < until && !signal?.aborted && between) {
        const drawing = performance.now();
        await between();
        sliceMs = Math.max(every, 3 * (performance.now() - drawing));
      }
    }
  } catch (error) {
    // Other failures (DIVERGED, CALLBACK, ...) keep the last good weights: save them.
    if (!['DEVICE_LOST', 'DISPOSED', 'BACKEND'].includes(error?.code)) {
      await model.save().then((bytes) => recordSave(name, bytes, note(done)), () => {});
    }
    throw Object.assign(error, { steps, done });
  }
  recordSave(name, await model.save(), note(done));
  return { steps, done, cancelled: done < until };
}

import init, { Autoencoder } from 'autoencoders';
import { loadMnist } from './mnist.js';
import { drawGray, makeCanvases } from './draw.js';

const $ = (id) => document.getElementById(id);
const SHOWN = 10;
let model = null;
let abort = null;

function setStatus(text, state) {
  $('status').textContent = text;
  document.body.dataset.state = state;
}

/// One held-out digit of each class, 0 to 9.
function shownDigits(mnist) {
  const out = new Uint8Array(SHOWN * mnist.size);
  for (let digit = 0; digit < SHOWN; digit++) {
    const i = mnist.test.labels.indexOf(digit);
    out.set(mnist.test.pixels.subarray(i * mnist.size, (i + 1) * mnist.size), digit * mnist.size);
  }
  return out;
}

async function showReconstructions(mnist, canvases) {
  const out = await model.reconstruct(shownDigits(mnist));
  canvases.forEach((c, i) => drawGray(c, out.subarray(i * mnist.size, (i + 1) * mnist.size), mnist.cols, mnist.rows));
}

async function main() {
  await init();
  const mnist = await loadMnist();
  const originals = makeCanvases($('originals'), SHOWN, 'original digit');
  const reconstructions = makeCanvases($('reconstructions'), SHOWN, 'reconstructed digit');
  const shown = shownDigits(mnist);
  originals.forEach((c, i) => drawGray(c, shown.subarray(i * mnist.size, (i + 1) * mnist.size), mnist.cols, mnist.rows));

  $('train').addEventListener('click', async () => {
    $('train').disabled = true;
    $('stop').disabled = false;
    abort = new AbortController();
    try {
      if (!model || model.backend !== $('backend').value) {
        setStatus('Starting the backend…', 'starting');
        model = await Autoencoder.create(
          { inputShape: [1, 28, 28], hidden: [256], latent: 32, loss: 'bce' },
          { backend: $('backend').value, seed: 1 },
        );
        $('backend-used').textContent = model.backend;
      }
      setStatus('Training…', 'training');
      const steps = Number($('steps').value);
      const history = await model.train(mnist.train.pixels, {
        epochs: 1000, batchSize: 64, learningRate: Number($('lr').value), maxSteps: steps, seed: 1,
        signal: abort.signal,
        onProgress: (p) => {
          $('loss').textContent = p.loss.toFixed(2);
          $('step').textContent = String(p.globalStep);
        },
      });
      await showReconstructions(mnist, reconstructions);
      setStatus(history.cancelled ? 'Stopped.' : 'Done.', 'done');
    } catch (error) {
      setStatus(`Error${error.code ? ` (${error.code})` : ''}: ${error.message}`, 'error');
    } finally {
      $('train').disabled = false;
      $('stop').disabled = true;
    }
  });
  $('stop').addEventListener('click', () => abort?.abort());
  $('train').disabled = false;
  setStatus('Ready: press Train.', 'ready');
}

main().catch((error) => setStatus(`Error: ${error.message}`, 'error'));

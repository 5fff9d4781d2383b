// What the page says when something fails. The library's errors carry a stable `code` and a
// message written for programmers ("invalid config: `latent` must be in 1..=65536, got 0"); each
// code becomes a sentence a student can act on. The library's message stays available as the
// detail (shown under "Details" below the status line), for a teacher or a bug report.

/** The page's names for the library's config and option fields. */
const FIELDS = {
  latent: 'Latent size',
  hidden: 'Hidden widths',
  klWeight: 'Penalty weight (β)',
  sparsityWeight: 'Penalty weight (λ)',
  contractiveWeight: 'Penalty weight (λ)',
  sparsityTarget: 'Sparsity target (ρ)',
  learningRate: 'Learning rate',
  batchSize: 'Batch size',
  epochs: 'Epochs',
  maxSteps: 'Stop after steps',
  iterations: 'Iterations',
  convChannels: 'Convolution channels',
  inputShape: 'Image size',
  steps: 'Steps',
  n: 'Number of images',
  seed: 'Seed',
};

/** "`latent` must be in 1..=65536, got 0" -> "Latent size must be from 1 to 65536 (it is 0)." */
function settingSentence(message) {
  const m = message.match(/`?(?:config\.|options\.)?([A-Za-z]+)(?:\[\d+\])?`? must be (.*?)(?:, got (.*?))?\.?$/);
  if (!m) return null;
  const [, field, rule, got] = m;
  const readable = rule
    .replace(/in (-?[\d.e-]+)\.\.=(-?[\d.e-]+)/, 'from $1 to $2')
    .replace(/in \((-?[\d.e-]+), (-?[\d.e-]+)\)/, 'more than $1 and less than $2')
    .replace(/in \[(-?[\d.e-]+), (-?[\d.e-]+)\)/, 'at least $1 and less than $2')
    .replace(/a finite number >= 0/, 'a number, 0 or more')
    .replace(/a finite number/, 'a number');
  return `${FIELDS[field] ?? field} must be ${readable}${got ? ` (it is ${got})` : ''}.`;
}

const FRIENDLY = {
  INVALID_CONFIG: (message) => `Check the settings: ${settingSentence(message) ?? 'one of them cannot be used.'}`,
  SHAPE_MISMATCH: () => 'These images do not have the size this model takes, so it cannot use them.',
  INVALID_DATA: () => 'This data cannot be used by the model (it is empty, or not images).',
  INVALID_STATE: (message) => (/sample/.test(message)
    ? 'This model cannot invent new images yet: it has never been trained. Train it first, or choose a pretrained model.'
    : 'This model cannot do that yet: train it first, or choose a pretrained model.'),
  BUSY: () => 'This model is busy training: wait until it finishes, or press Stop in the panel that trains it.',
  NO_WEBGPU: () => 'WebGPU is not available in this browser: choose “CPU (WebAssembly)” under “Run models on” at the top of the page.',
  CORRUPT_CHECKPOINT: (message) => {
    const looks = message.match(/looks like an? ([^)]*)\)/);
    if (looks) return `This file is not a model: it looks like ${/^[aeiou]/i.test(looks[1]) ? 'an' : 'a'} ${looks[1]}. Choose a model file (.ae) saved with “Save to a file”.`;
    if (/format version/.test(message)) return 'This model file was saved by a different version of this page, so it cannot be opened here.';
    return 'This file is not a model this page can open (or it is damaged). Choose a model file (.ae) saved with “Save to a file”.';
  },
  DIVERGED: () => 'Training became unstable (the loss blew up), so it stopped; the last good weights are kept. Lower the learning rate, then press Resume.',
  DISPOSED: () => 'This model was closed meanwhile (the backend changed, or the model was replaced): try again.',
  CALLBACK: () => 'Training stopped because the page failed while showing its progress; the weights so far are kept. Press Resume to go on.',
  BACKEND: () => 'The model engine failed. Reload the page to start again (your saved files are not affected).',
  DEVICE_LOST: () => 'The GPU stopped working (device lost): see the message at the top of the page to continue on the CPU.',
};

/**
 * `{ text, detail, code }` for an error: `text` for the status line, `detail` the library's own
 * message (or null when `text` already is the page's own message).
 */
export function explain(error) {
  const code = error?.code;
  const message = String(error?.message ?? error ?? 'unknown error');
  if (code && FRIENDLY[code]) return { text: FRIENDLY[code](message), detail: `${code}: ${message}`, code };
  // The browser's own failures (a DOMException carries a legacy numeric code, such as 11 for an
  // image that could not be decoded): said as the browser's, without the number.
  if (typeof DOMException !== 'undefined' && error instanceof DOMException) {
    return { text: `The browser could not do that: ${message.replace(/\.$/, '')}.`, detail: `${error.name}: ${message}`, code: null };
  }
  // The page's own errors are written for the user already.
  return { text: message.charAt(0).toUpperCase() + message.slice(1) + (/[.!?]$/.test(message) ? '' : '.'), detail: null, code: code ?? null };
}

/** Why a model runs where it does, from the library's `backendReason`, without its code. */
export function reasonText(model) {
  return String(model.backendReason ?? '').replace(/\s*\(\{ backend: '\w+' \}\)/, ' (the “Run models on” choice)');
}

// Reads data/emoji-heldout.bin (built by scripts/build-emoji.mjs: the held-out emoji of the
// colour data set, 3 x 32 x 32 over white, planar per image) for the colour panels. Loaded only
// when a colour model is first used. Emoji artwork: Noto Emoji by Google (Apache License 2.0; see
// data/EMOJI-NOTICE.txt, served beside the data).
const MAGIC = 'AEEMOJI\0';

let loading = null;

/** The held-out emoji, fetched once. */
export function loadEmoji(url = 'data/emoji-heldout.bin') {
  loading ??= fetch(url).then(async (response) => {
    if (!response.ok) throw new Error(`could not load ${url}: HTTP ${response.status}`);
    return parseEmoji(new Uint8Array(await response.arrayBuffer()));
  }).catch((error) => {
    loading = null; // a later use may try again
    throw error;
  });
  return loading;
}

export function parseEmoji(bytes) {
  const magic = String.fromCharCode(...bytes.subarray(0, 8));
  if (magic !== MAGIC) throw new Error('not an emoji asset');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const [version, count, channels, rows, cols] = [8, 12, 16, 20, 24].map((o) => view.getUint32(o, true));
  const size = channels * rows * cols;
  const namesAt = 28 + count * size + 2 * count + 4;
  if (version !== 1 || bytes.length < namesAt || bytes.length !== namesAt + view.getUint32(namesAt - 4, true)) throw new Error('corrupt emoji asset');
  const pixels = bytes.subarray(28, 28 + count * size);
  const lines = new TextDecoder().decode(bytes.subarray(namesAt)).split('\n').slice(0, count);
  const names = lines.map((line) => line.split('\t')[1] ?? '');
  const characters = lines.map((line) => String.fromCodePoint(...line.split('\t')[0].split('-').map((h) => parseInt(h, 16))));
  return {
    shape: [channels, rows, cols], size, count, names, characters,
    /** Image i as floats in [0, 1] (planar RGB). */
    image(i) { return Float32Array.from(pixels.subarray(i * size, (i + 1) * size), (v) => v / 255); },
    /** Index of the first emoji whose name contains `word` (or 0). */
    find(word) { return Math.max(0, names.findIndex((n) => n.includes(word))); },
  };
}

/**
 * Fill `select` with the held-out emoji (once: a filled list is left as it is), the first whose
 * name contains `first` chosen; resolves with the set.
 */
export async function listEmoji(select, first) {
  const set = await loadEmoji();
  if (select.options.length === 0) {
    select.replaceChildren(...set.names.map((name, i) => new Option(`${set.characters[i]} ${name}`, String(i))));
    select.value = String(set.find(first));
  }
  return set;
}

/** The emoji artwork's attribution, shown wherever emoji are (hidden until then). */
export function emojiCredit() {
  const credit = document.createElement('p');
  credit.className = 'credit';
  credit.hidden = true;
  const link = document.createElement('a');
  link.href = 'data/EMOJI-NOTICE.txt';
  link.textContent = 'Apache License 2.0';
  credit.append('Emoji artwork: Noto Emoji by Google, under the ', link, ' (shrunk to 32 × 32 over white for this model).');
  return credit;
}

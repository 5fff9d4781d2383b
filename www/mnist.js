// Reads data/mnist.bin (built by scripts/build-mnist.mjs) and applies the project's fixed split:
// image i is a test image when i % 5 == 4.
const MAGIC = 'AEMNIST\0';

export async function loadMnist(url = 'data/mnist.bin') {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`could not load ${url}: HTTP ${response.status}`);
  return parseMnist(new Uint8Array(await response.arrayBuffer()));
}

export function parseMnist(bytes) {
  const magic = String.fromCharCode(...bytes.subarray(0, 8));
  if (magic !== MAGIC) throw new Error('not an MNIST asset');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const [version, count, rows, cols] = [8, 12, 16, 20].map((o) => view.getUint32(o, true));
  const size = rows * cols;
  if (version !== 1 || bytes.length !== 24 + count * size + count) throw new Error('corrupt MNIST asset');
  const pixels = bytes.subarray(24, 24 + count * size);
  const labels = bytes.subarray(24 + count * size);
  const train = [];
  const test = [];
  for (let i = 0; i < count; i++) (i % 5 === 4 ? test : train).push(i);
  const gather = (indices) => {
    const out = new Uint8Array(indices.length * size);
    indices.forEach((src, dst) => out.set(pixels.subarray(src * size, (src + 1) * size), dst * size));
    return out;
  };
  const set = (indices) => ({
    pixels: gather(indices),
    labels: Uint8Array.from(indices, (i) => labels[i]),
    count: indices.length,
    /** `n` images evenly spread over the set (so every digit class appears), with their labels. */
    spread(n) {
      const step = this.count / n;
      const picks = Array.from({ length: n }, (_, k) => Math.floor(k * step));
      const pixels = new Uint8Array(n * size);
      picks.forEach((i, k) => pixels.set(this.pixels.subarray(i * size, (i + 1) * size), k * size));
      return { pixels, labels: Uint8Array.from(picks, (i) => this.labels[i]) };
    },
    /** Image i as floats in [0, 1]. */
    image(i) { return Float32Array.from(this.pixels.subarray(i * size, (i + 1) * size), (v) => v / 255); },
  });
  return { rows, cols, size, train: set(train), test: set(test) };
}

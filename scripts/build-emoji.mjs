// Converts the npm `emoji-datasource-google` package's 3,786 Noto emoji (64x64 RGBA PNGs, Apache
// License 2.0; see data/EMOJI-NOTICE.txt) into data/emoji.bin, a compact colour data set that the
// native tests, the pretraining and the evaluation read, and data/emoji-heldout.bin (the same
// format, the held-out images alone) for the demo page.
//
// Each image is reduced to 32x32 by averaging 2x2 blocks of premultiplied colour, then composited
// over white (emoji are drawn to be seen on light backgrounds: their dark outlines, eyes and black
// objects stay visible, which they would not over black). Values are round(v * 255) as u8.
//
// Canonical order: the PNG file names sorted (byte order). The split is fixed and stored in the
// asset: an emoji and its skin-tone variants form one group (from the package's emoji.json), groups
// are numbered in the sorted order of their base image's file name, and every image of group g is
// a test image when g % 10 == 9. Grouping keeps a held-out emoji's skin-tone twins out of training.
//
// Layout (little-endian): "AEEMOJI\0", u32 version = 1, u32 count, u32 channels = 3, u32 rows = 32,
// u32 cols = 32; count * channels * rows * cols u8 pixels, each image planar [c][y][x] (all of R,
// then G, then B); count u8 category labels (index into CATEGORIES below); count u8 split flags
// (0 train, 1 test); u32 byte length of the names, then the names: UTF-8 text of count lines, each
// "<unified code points>\t<name>\n" (e.g. "1F600\tgrinning face").
import { readFileSync, writeFileSync, mkdirSync, existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const { PNG } = require('pngjs');

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pkgDir = dirname(require.resolve('emoji-datasource-google/package.json'));
const pkgVersion = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')).version;
const imgDir = join(pkgDir, 'img', 'google', '64');
const SOURCE = 64;
const SIDE = 32;
const CHANNELS = 3;
const SCALE = SOURCE / SIDE;
export const CATEGORIES = [
  'Smileys & Emotion', 'People & Body', 'Component', 'Animals & Nature', 'Food & Drink',
  'Travel & Places', 'Activities', 'Objects', 'Symbols', 'Flags',
];
const TONES = {
  '1F3FB': 'light skin tone', '1F3FC': 'medium-light skin tone', '1F3FD': 'medium skin tone',
  '1F3FE': 'medium-dark skin tone', '1F3FF': 'dark skin tone',
};

// image file -> { base, unified, name, category } from the package's own index.
const entries = new Map();
for (const e of JSON.parse(readFileSync(join(pkgDir, 'emoji.json'), 'utf8'))) {
  const category = CATEGORIES.indexOf(e.category);
  if (category < 0) throw new Error(`${e.image}: unknown category ${e.category}`);
  const name = e.name.toLowerCase();
  entries.set(e.image, { base: e.image, unified: e.unified, name, category });
  for (const [key, v] of Object.entries(e.skin_variations ?? {})) {
    const tones = key.split('-').map((t) => TONES[t] ?? t).join(', ');
    entries.set(v.image, { base: e.image, unified: v.unified, name: `${name}: ${tones}`, category });
  }
}

const cmp = (a, b) => (a < b ? -1 : a > b ? 1 : 0);
const files = readdirSync(imgDir).filter((f) => f.endsWith('.png')).sort(cmp);
if (files.length === 0) throw new Error(`no PNGs in ${imgDir}`);
const missing = files.filter((f) => !entries.has(f));
if (missing.length) throw new Error(`not in emoji.json: ${missing.slice(0, 5).join(', ')}`);
const bases = [...new Set(files.map((f) => entries.get(f).base))].sort(cmp);
const group = new Map(bases.map((b, g) => [b, g]));

const size = CHANNELS * SIDE * SIDE;
const pixels = new Uint8Array(files.length * size);
const categories = new Uint8Array(files.length);
const heldOut = new Uint8Array(files.length);
const names = [];
files.forEach((file, i) => {
  const png = PNG.sync.read(readFileSync(join(imgDir, file)));
  if (png.width !== SOURCE || png.height !== SOURCE) {
    throw new Error(`${file} is ${png.width}x${png.height}, expected ${SOURCE}x${SOURCE}`);
  }
  const d = png.data; // RGBA, straight alpha
  const image = pixels.subarray(i * size, (i + 1) * size);
  for (let y = 0; y < SIDE; y++) {
    for (let x = 0; x < SIDE; x++) {
      // Average the block in premultiplied colour, then put it over white: c + (1 - a).
      const sum = [0, 0, 0];
      let alpha = 0;
      for (let dy = 0; dy < SCALE; dy++) {
        for (let dx = 0; dx < SCALE; dx++) {
          const p = ((y * SCALE + dy) * SOURCE + x * SCALE + dx) * 4;
          const a = d[p + 3] / 255;
          for (let c = 0; c < 3; c++) sum[c] += (d[p + c] / 255) * a;
          alpha += a;
        }
      }
      const n = SCALE * SCALE;
      for (let c = 0; c < CHANNELS; c++) {
        const v = (sum[c] + (n - alpha)) / n;
        image[c * SIDE * SIDE + y * SIDE + x] = Math.round(Math.min(1, Math.max(0, v)) * 255);
      }
    }
  }
  const entry = entries.get(file);
  categories[i] = entry.category;
  heldOut[i] = group.get(entry.base) % 10 === 9 ? 1 : 0;
  names.push(`${entry.unified}\t${entry.name.replace(/[\t\n]/g, ' ')}\n`);
});

/** The asset's bytes for the images at `indices` (in that order). */
function asset(indices) {
  const text = Buffer.from(indices.map((i) => names[i]).join(''), 'utf8');
  const header = Buffer.alloc(28);
  header.write('AEEMOJI\0', 0, 'latin1');
  [1, indices.length, CHANNELS, SIDE, SIDE].forEach((v, k) => header.writeUInt32LE(v, 8 + 4 * k));
  const textLength = Buffer.alloc(4);
  textLength.writeUInt32LE(text.length, 0);
  const pick = (array, width) => Buffer.concat(indices.map((i) => array.subarray(i * width, (i + 1) * width)));
  return Buffer.concat([header, pick(pixels, size), pick(categories, 1), pick(heldOut, 1), textLength, text]);
}

/** Write `bytes` to data/`name` unless it already holds them. */
function write(name, bytes, summary) {
  const path = join(root, 'data', name);
  if (existsSync(path) && Buffer.compare(readFileSync(path), bytes) === 0) {
    console.log(`data/${name} is up to date: ${summary}`);
  } else {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, bytes);
    console.log(`wrote data/${name}: ${summary}, ${bytes.length} bytes`);
  }
}

const all = files.map((_, i) => i);
const testIndices = all.filter((i) => heldOut[i] === 1);
write('emoji.bin', asset(all), `${files.length} images (${files.length - testIndices.length} train, ${testIndices.length} test, ${bases.length} emoji groups) from emoji-datasource-google ${pkgVersion}`);
// The demo page needs only the held-out emoji (Interpolate's ends): 1.2 MB instead of 11.8 MB.
write('emoji-heldout.bin', asset(testIndices), `the ${testIndices.length} held-out images alone, for the demo page`);

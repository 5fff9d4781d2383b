// Builds the bench page's TF.js script (entry.js) with webpack, once: the bundle is kept in
// node_modules/.cache (served with the rest of the repository) and rebuilt only when entry.js or
// the installed TF.js packages are newer than it.
import { statSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import webpack from 'webpack';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '..', '..');
const OUT_DIR = join(ROOT, 'node_modules', '.cache', 'autoencoders-bench');
const PACKAGES = ['tfjs-core', 'tfjs-backend-wasm', 'tfjs-backend-webgl', 'tfjs-backend-webgpu'];

/** The bundle's path under the repository root (what the page fetches). */
export const TFJS_BUNDLE = 'node_modules/.cache/autoencoders-bench/tfjs.js';

function stale() {
  const out = join(ROOT, TFJS_BUNDLE);
  if (!existsSync(out)) return true;
  const built = statSync(out).mtimeMs;
  const inputs = [join(HERE, 'entry.js'), ...PACKAGES.map((p) => join(ROOT, 'node_modules', '@tensorflow', p, 'package.json'))];
  return inputs.some((f) => statSync(f).mtimeMs > built);
}

export async function buildTfjsBundle() {
  if (!stale()) return false;
  // Development mode: no minifier pass (a minute on two cores); the size table uses TF.js's own
  // minified files, not this bundle.
  const compiler = webpack({
    mode: 'development', devtool: false, entry: join(HERE, 'entry.js'),
    output: { path: OUT_DIR, filename: 'tfjs.js' },
    performance: { hints: false },
  });
  const stats = await new Promise((resolve, reject) => compiler.run((e, s) => (e ? reject(e) : resolve(s))));
  await new Promise((resolve) => compiler.close(resolve));
  if (stats.hasErrors()) throw new Error(`TF.js bundle: ${stats.toString({ all: false, errors: true })}`);
  return true;
}

// The Segment panel's pretrained model (www/models/segmenter.ae, made by
// scripts/pretrain-segmenter.mjs): on held-out pairs of the generated task (digits of the MNIST test
// split on cluttered backgrounds), its masks must reach the stated IoU. Runs in Node.js through the
// package's Node entry, the way the pretrain script made it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Autoencoder } from '../../pkg/node.js';
import { parseMnist } from '../../www/mnist.js';
import { pairs, scores } from '../../www/segmentation.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The bars the README states: IoU of the digit's mask, and pixel accuracy. */
const BARS = { iou: 0.65, accuracy: 0.96 };

test(`the pretrained segmenter masks held-out digits on clutter (IoU >= ${BARS.iou})`, async () => {
  const mnist = parseMnist(new Uint8Array(readFileSync(join(root, 'data', 'mnist.bin'))));
  const model = await Autoencoder.load(readFileSync(join(root, 'www', 'models', 'segmenter.ae')), { backend: 'cpu' });
  assert.equal(model.config.kind, 'paired');
  const held = pairs(mnist.test, mnist.cols, 1000, 12);
  const quality = scores(await model.reconstruct(held.inputs), held.targets);
  console.log(`held-out IoU ${quality.iou.toFixed(3)}, pixel accuracy ${quality.accuracy.toFixed(4)}`);
  assert.ok(quality.iou >= BARS.iou, `IoU ${quality.iou}`);
  assert.ok(quality.accuracy >= BARS.accuracy, `pixel accuracy ${quality.accuracy}`);
  // The task is hard for a threshold: the input itself, thresholded at its best, scores lower.
  const best = Math.max(...[0.3, 0.4, 0.5, 0.6, 0.7].map((t) => scores(held.inputs, held.targets, t).iou));
  console.log(`the best threshold of the input: IoU ${best.toFixed(3)}`);
  assert.ok(best < quality.iou - 0.08, `thresholding the input gives IoU ${best}`);
  const entry = JSON.parse(readFileSync(join(root, 'www', 'models', 'manifest.json'), 'utf8')).find((m) => m.file === 'segmenter.ae');
  assert.equal(entry.heldOut.iou, +quality.iou.toFixed(3), 'the manifest states the measured IoU');
  model.dispose();
});

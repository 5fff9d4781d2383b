// TF.js for the bench page, bundled by bench/tfjs/bundle.mjs into one script that sets window.tf:
// tfjs-core, its gradients (tfjs-core's own UMD build has none, so it could not train; the union
// package @tensorflow/tfjs would add layers, converter and data that the bench does not need), and
// the three backends measured. Each backend only registers itself here; the page starts one.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients.js';
import { setWasmPaths, setThreadsCount, getThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import '@tensorflow/tfjs-backend-webgl';
import '@tensorflow/tfjs-backend-webgpu';

window.tf = { ...tf, wasm: { setWasmPaths, setThreadsCount, getThreadsCount } };

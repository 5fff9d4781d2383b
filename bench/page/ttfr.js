// Time to first reconstruction: what a page must do before it can show its first reconstructed
// digit. Every mark is performance.now(), i.e. milliseconds since navigation start.
// Inputs from the driver: ?model=<url of a saved model>, and window.benchDigit (784 values in [0, 1],
// set by an init script so that the page fetches nothing it would not need).
const marks = { module_start: performance.now() };

async function firstReconstruction() {
  // The model file comes while the module is fetched and compiled.
  const modelBytes = fetch(new URLSearchParams(location.search).get('model')).then(async (response) => {
    if (!response.ok) throw new Error(`model: HTTP ${response.status}`);
    const bytes = new Uint8Array(await response.arrayBuffer());
    marks.model_fetched = performance.now();
    return bytes;
  });
  const pkg = await import('/pkg/index.js');
  marks.imported = performance.now();
  await pkg.default();
  marks.initialised = performance.now();
  const bytes = await modelBytes;
  const model = await pkg.Autoencoder.load(bytes, { backend: 'cpu' });
  marks.model_loaded = performance.now();
  const output = await model.reconstruct(Float32Array.from(window.benchDigit));
  marks.first_reconstruction = performance.now();
  if (output.length !== 784) throw new Error(`reconstruct returned ${output.length} values`);
  const wasm = performance.getEntriesByType('resource').find((e) => e.name.endsWith('.wasm'));
  return { marks, wasm_fetch_ms: wasm ? wasm.responseEnd - wasm.startTime : null, model_bytes: bytes.length };
}

window.ttfr = firstReconstruction().catch((error) => ({ error: String(error?.message ?? error), marks }));

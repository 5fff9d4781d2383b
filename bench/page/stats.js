// Small statistics helpers shared by the bench page and the Node driver (plain ES module, no DOM).

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const n = sorted.length;
  if (n === 0) return NaN;
  return n % 2 ? sorted[(n - 1) / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
}

export function mean(values) {
  return values.length ? values.reduce((a, b) => a + b, 0) / values.length : NaN;
}

/** `x` rounded to `digits` decimals (JSON stays readable; nothing here is finer than that). */
export function round(x, digits = 3) {
  if (!Number.isFinite(x)) return x;
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** Throughput from a median time: `items` per second when one call of `items` takes `ms`. */
export function perSecond(items, ms) {
  return items / (ms / 1000);
}

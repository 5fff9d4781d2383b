// The two bench networks written in plain TF.js ops, as the package builds them (src/model.rs,
// src/objective.rs), so that the rows compare the same arithmetic:
//   VAE  784 -> 400 relu -> (mu 20, logvar 20); z = mu + eps * exp(logvar / 2); 20 -> 400 relu -> 784
//   DAE  784 -> 400 relu -> 64 (linear code) -> 400 relu -> 784, input clip(x + 0.5 N(0, 1), 0, 1)
// Output sigmoid; loss = BCE summed over pixels (+ KL for the VAE), averaged over the batch, i.e.
// nats per image, like the package. Weights start as PyTorch's (and the package's) default:
// U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weights and biases.

/** The denoiser's corruption: the package's default for kind 'denoising' (Gaussian, sigma 0.5). */
export const DAE_SIGMA = 0.5;

function linear(tf, fanIn, fanOut, seed) {
  const bound = 1 / Math.sqrt(fanIn);
  // tidy frees the initial values (a variable keeps its own reference; tidy never disposes variables).
  const variable = (shape, s) => tf.tidy(() => tf.variable(tf.randomUniform(shape, -bound, bound, 'float32', s)));
  return { W: variable([fanIn, fanOut], seed), b: variable([fanOut], seed + 1) };
}

const dense = (tf, layer, x) => tf.add(tf.matMul(x, layer.W), layer.b);

/** BCE(sigmoid(logits), x) summed over everything, in the stable form max(l, 0) - l x + log1p(e^-|l|). */
function bceFromLogits(tf, logits, x) {
  return tf.sum(tf.add(tf.sub(tf.relu(logits), tf.mul(logits, x)), tf.log1p(tf.exp(tf.neg(tf.abs(logits))))));
}

function network(tf, layers, loss, logitsOfInput) {
  const vars = Object.values(layers).flatMap((l) => [l.W, l.b]);
  return {
    vars,
    /** Mean loss per image of the batch `x` ([batch, 784]). */
    loss: (x) => tf.div(loss(x), x.shape[0]),
    /** Encode then decode, no noise (a VAE uses its mean code, as the package's `reconstruct`). */
    reconstruct: (x) => tf.sigmoid(logitsOfInput(x)),
    dispose: () => vars.forEach((v) => v.dispose()),
  };
}

export function makeVae(tf, { seed = 1, hidden = 400, latent = 20 } = {}) {
  const p = {
    enc: linear(tf, 784, hidden, seed), mu: linear(tf, hidden, latent, seed + 2), logvar: linear(tf, hidden, latent, seed + 4),
    dec: linear(tf, latent, hidden, seed + 6), out: linear(tf, hidden, 784, seed + 8),
  };
  const encode = (x) => {
    const h = tf.relu(dense(tf, p.enc, x)); // [batch, hidden]
    return [dense(tf, p.mu, h), dense(tf, p.logvar, h)]; // [batch, latent] each
  };
  const decodeLogits = (z) => dense(tf, p.out, tf.relu(dense(tf, p.dec, z))); // [batch, 784]
  const loss = (x) => {
    const [mu, logvar] = encode(x);
    const z = tf.add(mu, tf.mul(tf.randomNormal(mu.shape), tf.exp(tf.mul(logvar, 0.5))));
    const kl = tf.mul(-0.5, tf.sum(tf.sub(tf.sub(tf.add(1, logvar), tf.square(mu)), tf.exp(logvar))));
    return tf.add(bceFromLogits(tf, decodeLogits(z), x), kl);
  };
  return network(tf, p, loss, (x) => decodeLogits(encode(x)[0]));
}

export function makeDae(tf, { seed = 11, hidden = 400, latent = 64, sigma = DAE_SIGMA } = {}) {
  const p = {
    enc: linear(tf, 784, hidden, seed), code: linear(tf, hidden, latent, seed + 2),
    dec: linear(tf, latent, hidden, seed + 4), out: linear(tf, hidden, 784, seed + 6),
  };
  const logits = (x) => dense(tf, p.out, tf.relu(dense(tf, p.dec, dense(tf, p.code, tf.relu(dense(tf, p.enc, x))))));
  const loss = (x) => {
    // Fresh noise every step, clean target: what the package does on the host before each step.
    const noisy = tf.clipByValue(tf.add(x, tf.mul(tf.randomNormal(x.shape), sigma)), 0, 1);
    return bceFromLogits(tf, logits(noisy), x);
  };
  return network(tf, p, loss, logits);
}

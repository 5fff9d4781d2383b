// What is measured: the two networks, the training recipe and the inference batch. Read by the page
// (to build the models) and by the Node driver and report (to describe them): one place for each.

export const NETWORKS = {
  vae: {
    label: 'VAE 784-400-20',
    config: { kind: 'variational', architecture: 'dense', loss: 'bce', inputShape: [1, 28, 28], hidden: [400], latent: 20 },
  },
  dae: {
    label: 'DAE 784-400-64-400-784',
    // corruption left out on purpose: the package's default for 'denoising' (Gaussian, sigma 0.5).
    config: { kind: 'denoising', architecture: 'dense', loss: 'bce', inputShape: [1, 28, 28], hidden: [400], latent: 64 },
  },
};

/** Adam with the package's default betas; the same numbers go to TF.js. */
export const TRAIN = { batchSize: 128, learningRate: 1e-3 };

/** Images per inference call (encode + decode of one batch). */
export const INFER_BATCH = 256;

/** Seeds: the package's weight seed and the TF.js initialisers' seed base. */
export const SEED = 1;

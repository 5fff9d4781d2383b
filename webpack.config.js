// Bundles the demo in www/ (which imports the wasm package from pkg/) into dist/.
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import HtmlWebpackPlugin from 'html-webpack-plugin';
import CopyWebpackPlugin from 'copy-webpack-plugin';

const root = dirname(fileURLToPath(import.meta.url));

export default (_env, argv) => ({
  mode: argv.mode ?? 'production',
  entry: { main: './www/index.js' },
  output: {
    path: resolve(root, 'dist'),
    filename: '[name].[contenthash].js',
    assetModuleFilename: 'assets/[name].[contenthash][ext]',
    clean: true,
  },
  resolve: {
    // The demo uses the package exactly as an npm user would: `import ... from 'autoencoders'`.
    alias: {
      autoencoders$: resolve(root, 'pkg/index.js'),
      'autoencoders/worker$': resolve(root, 'pkg/client.js'),
    },
  },
  performance: { hints: false },
  // Separate .map files and no eval() anywhere in the bundle: the demo must run under a strict
  // Content-Security-Policy (script-src 'self' 'wasm-unsafe-eval'; see tests/page/csp.test.mjs).
  devtool: 'source-map',
  plugins: [
    new HtmlWebpackPlugin({ template: './www/index.html' }),
    new CopyWebpackPlugin({
      patterns: [
        { from: 'data/mnist.bin', to: 'data/mnist.bin' },
        // Colour emoji (Noto Emoji, Apache 2.0): the licence notice travels with the data.
        { from: 'data/emoji-heldout.bin', to: 'data/emoji-heldout.bin' },
        { from: 'data/EMOJI-NOTICE.txt', to: 'data/EMOJI-NOTICE.txt' },
        { from: 'data/EMOJI-LICENSE.txt', to: 'data/EMOJI-LICENSE.txt' },
        { from: 'www/style.css', to: 'style.css' },
        { from: 'www/favicon.svg', to: 'favicon.svg' },
        { from: 'www/models', to: 'models' },
      ],
    }),
  ],
});

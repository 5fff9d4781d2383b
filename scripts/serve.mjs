// A small static server for dist/ on 127.0.0.1 (webpack-dev-server 5 would do, but this has no
// dependencies and serves .wasm with the right type). Usage: node scripts/serve.mjs [port] [dir]
// (set SERVE_CSP=strict to send the strict Content-Security-Policy the page tests check the demo under)
import { createServer } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.mjs': 'text/javascript',
  '.wasm': 'application/wasm', '.json': 'application/json', '.map': 'application/json',
  '.css': 'text/css', '.png': 'image/png', '.svg': 'image/svg+xml', '.bin': 'application/octet-stream', '.txt': 'text/plain; charset=utf-8', '.ae': 'application/octet-stream',
};

/// The strict policy the demo is tested under (tests/page/csp.test.mjs).
export const STRICT_CSP = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self'";

/// Serve `dir` on `host:port`. `headers` are extra response headers sent with every file (for
/// example a Content-Security-Policy); by default only the content type and no-cache are sent.
export function serve(dir, port = 8080, host = '127.0.0.1', { headers = {} } = {}) {
  const root = resolve(dir);
  const server = createServer(async (request, response) => {
    try {
      const path = decodeURIComponent(new URL(request.url, 'http://x').pathname);
      let file = normalize(join(root, path));
      if (!file.startsWith(root)) throw Object.assign(new Error('outside root'), { status: 403 });
      if ((await stat(file)).isDirectory()) file = join(file, 'index.html');
      const body = await readFile(file);
      response.writeHead(200, { ...headers, 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-cache' });
      response.end(body);
    } catch (error) {
      response.writeHead(error.status ?? 404, { ...headers, 'content-type': 'text/plain' });
      response.end(error.status === 403 ? 'forbidden' : 'not found');
    }
  });
  return new Promise((ok) => server.listen(port, host, () => ok(server)));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const port = Number(process.argv[2] ?? 8080);
  const dir = process.argv[3] ?? join(dirname(fileURLToPath(import.meta.url)), '..', 'dist');
  const headers = process.env.SERVE_CSP === 'strict' ? { 'content-security-policy': STRICT_CSP } : {};
  const server = await serve(dir, port, '127.0.0.1', { headers });
  const { port: actual } = server.address();
  console.log(`Serving ${dir} at http://127.0.0.1:${actual}/  (Ctrl+C to stop)`);
}

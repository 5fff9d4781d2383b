// A small static server for dist/ on 127.0.0.1 (webpack-dev-server 5 would do, but this has no
// dependencies and serves .wasm with the right type). Usage: node scripts/serve.mjs [port] [dir]
import { createServer } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.mjs': 'text/javascript',
  '.wasm': 'application/wasm', '.json': 'application/json', '.map': 'application/json',
  '.css': 'text/css', '.png': 'image/png', '.bin': 'application/octet-stream', '.ae': 'application/octet-stream',
};

export function serve(dir, port = 8080, host = '127.0.0.1') {
  const root = resolve(dir);
  const server = createServer(async (request, response) => {
    try {
      const path = decodeURIComponent(new URL(request.url, 'http://x').pathname);
      let file = normalize(join(root, path));
      if (!file.startsWith(root)) throw Object.assign(new Error('outside root'), { status: 403 });
      if ((await stat(file)).isDirectory()) file = join(file, 'index.html');
      const body = await readFile(file);
      response.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-cache' });
      response.end(body);
    } catch (error) {
      response.writeHead(error.status ?? 404, { 'content-type': 'text/plain' });
      response.end(error.status === 403 ? 'forbidden' : 'not found');
    }
  });
  return new Promise((ok) => server.listen(port, host, () => ok(server)));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const port = Number(process.argv[2] ?? 8080);
  const dir = process.argv[3] ?? join(dirname(fileURLToPath(import.meta.url)), '..', 'dist');
  const server = await serve(dir, port);
  const { port: actual } = server.address();
  console.log(`Serving ${dir} at http://127.0.0.1:${actual}/  (Ctrl+C to stop)`);
}

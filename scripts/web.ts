/**
 * `npm run web`: build the page of web/ into dist-web/ and serve it on http://localhost:8080
 * (`--port N`; `--build-only` builds and exits). esbuild bundles web/main.ts (the page) and
 * web/refine-worker.ts (its Web Worker) from the sources for a browser, with the Node-only
 * modules swapped for their browser twins (scripts/build.ts); the HTML, the stylesheet and
 * the shipped policies (web/policy/, made by scripts/web-policy.ts) are copied beside them.
 * The server is Node's own http module, serving those files and nothing else.
 */
import { copyFileSync, cpSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { type Server, createServer } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';
import { ROOT, browserTwinsPlugin } from './build.js';

const WEB = join(ROOT, 'web');

export async function buildWeb(out = join(ROOT, 'dist-web')): Promise<{ out: string; bytes: Record<string, number> }> {
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  await build({
    entryPoints: [join(WEB, 'main.ts'), join(WEB, 'refine-worker.ts')],
    outdir: out,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    plugins: [browserTwinsPlugin()],
    logLevel: 'warning',
  });
  for (const file of ['index.html', 'style.css']) copyFileSync(join(WEB, file), join(out, file));
  cpSync(join(WEB, 'policy'), join(out, 'policy'), { recursive: true });
  const policies = readdirSync(join(out, 'policy')).filter((f) => f.endsWith('.safetensors')).map((f) => `policy/${f}`);
  const sizes = Object.fromEntries(['main.js', 'refine-worker.js', ...policies].map((f) => [f, statSync(join(out, f)).size]));
  return { out, bytes: sizes };
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.safetensors': 'application/octet-stream',
  '.png': 'image/png',
};

/** Serve the files under `dir` (GET only, no listing, nothing outside it); `port` 0 picks a free one. */
export function serveStatic(dir: string, port: number): Promise<{ server: Server; url: string }> {
  const root = normalize(dir + sep);
  const server = createServer((request, response) => {
    const path = decodeURIComponent(new URL(request.url ?? '/', 'http://localhost').pathname);
    const file = normalize(join(root, path.endsWith('/') ? `${path}index.html` : path));
    if (request.method !== 'GET' || !file.startsWith(root)) {
      response.writeHead(request.method === 'GET' ? 403 : 405).end();
      return;
    }
    let body: Buffer;
    try {
      body = readFileSync(file);
    } catch {
      response.writeHead(404, { 'content-type': 'text/plain' }).end(`not found: ${path}`);
      return;
    }
    response.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' }).end(body);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const address = server.address();
      const actual = typeof address === 'object' && address !== null ? address.port : port;
      resolve({ server, url: `http://localhost:${actual}/` });
    });
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values } = parseArgs({ options: { port: { type: 'string', default: '8080' }, 'build-only': { type: 'boolean', default: false } } });
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new RangeError(`--port must be an integer in [0, 65535], got ${values.port}`);
  const { out, bytes } = await buildWeb();
  console.log(`built ${out}: ${Object.entries(bytes).map(([f, n]) => `${f} ${(n / 1024).toFixed(0)} KiB`).join(', ')}`);
  if (!values['build-only']) {
    const { url } = await serveStatic(out, port);
    console.log(`serving ${url} (Ctrl-C stops)`);
  }
}

/**
 * What the kernels take from their host, Node's version: the core count and worker threads
 * for the `threads` backend, and the loader of gpu.js. The engine's only imports of `node:*`
 * are here and in the worker side of the threads backend.
 *
 * A browser build swaps this file for its twin `platform.browser.ts` (the rule "X.browser.ts
 * replaces X.ts" of scripts/build.ts, and package.json's `browser` map for bundlers of the
 * package), which exports the same names.
 */
import { createRequire } from 'node:module';

export { availableParallelism } from 'node:os';
export { Worker } from 'node:worker_threads';

/**
 * gpu.js, loaded on first use (it is large and CommonJS, so through `require`). Its type is
 * the caller's business (gpu.ts declares the slice it uses).
 */
export function loadGpuJs(): unknown {
  return createRequire(import.meta.url)('gpu.js');
}

/**
 * What the kernels take from their host, the browser's version (the twin of platform.ts,
 * substituted in browser builds; same names).
 *
 * - No worker threads for the `threads` backend: its synchronous protocol blocks the
 *   calling thread on `Atomics.wait`, which a page's main thread may not do (and
 *   SharedArrayBuffer needs a cross-origin-isolated page). With one core as far as the
 *   backend knows, it has no extra threads and reports itself unavailable.
 * - gpu.js is bundled (its `browser` build), where it runs on WebGL when the page has a
 *   GL context and on its CPU fallback otherwise.
 */
import * as gpuJs from 'gpu.js';

/** The threads backend uses availableParallelism() - 1 extra threads: none here. */
export function availableParallelism(): number {
  return 1;
}

/** Never constructed in a browser (no extra threads); fails loudly if it ever is. */
export class Worker {
  constructor(_url: URL) {
    throw new Error('threads backend: worker threads are Node-only; in a browser the backend is unavailable');
  }
  postMessage(_message: unknown): void {}
  unref(): void {}
}

export function loadGpuJs(): unknown {
  return gpuJs;
}

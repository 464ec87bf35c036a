/**
 * The worker pool in a browser build (the twin of pool.ts, substituted by the rule "X.browser.ts
 * replaces X.ts" of scripts/build.ts and package.json's `browser` map): Node's worker threads
 * do not exist there, so constructing a pool fails with a message that says what to do
 * instead. A job is data either way: a page runs `runJob` (jobs.ts) on its own thread or in
 * a Web Worker it starts itself (web/refine-worker.ts does that for solves).
 */
export class WorkerPool<Request, Result, Progress = never> {
  readonly size: number = 0;

  constructor(_entry: URL, _size?: number) {
    throw new Error('WorkerPool: Node worker threads are not available in a browser; run jobs with runJob, on this thread or in a Web Worker');
  }

  run(_request: Request, _onProgress?: (progress: Progress) => void): Promise<Result> {
    return Promise.reject(new Error('WorkerPool: not available in a browser'));
  }

  async abort(_reason: Error): Promise<void> {}

  async close(): Promise<void> {}
}

/**
 * A pool of worker threads that runs jobs described as data: each worker runs the same
 * handler on a structured-cloneable request (jobs.ts), so a job gives the same result on any
 * worker as on this thread. Requests go to idle workers in the order they came; each result
 * comes back through its own promise. A job may report progress while it runs.
 *
 * The protocol, both ways (worker.mjs is the other end):
 *   to a worker     { id, request }
 *   from a worker   { ready: true } once, then per job any number of { id, progress }
 *                   and one { id, result } or { id, error }
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';

type Reply<Result, Progress> =
  | { ready: true }
  | { id: number; progress: Progress }
  | { id: number; result: Result }
  | { id: number; error: string };

interface Pending<Request, Result, Progress> {
  id: number;
  request: Request;
  onProgress?: (progress: Progress) => void;
  resolve: (result: Result) => void;
  reject: (error: Error) => void;
}

interface Slot<Request, Result, Progress> {
  worker: Worker;
  ready: Promise<void>;
  busy: Pending<Request, Result, Progress> | null;
}

export class WorkerPool<Request, Result, Progress = never> {
  readonly size: number;
  private readonly slots: Slot<Request, Result, Progress>[] = [];
  private readonly queue: Pending<Request, Result, Progress>[] = [];
  private nextId = 0;
  private closed = false;

  /** `entry`: the worker script; `size` threads (default: one per core). */
  constructor(entry: URL, size = Math.max(1, availableParallelism())) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`WorkerPool: size must be a positive integer, got ${size}`);
    this.size = size;
    for (let i = 0; i < size; i++) this.slots.push(this.startWorker(entry));
  }

  private startWorker(entry: URL): Slot<Request, Result, Progress> {
    const worker = new Worker(entry);
    const slot: Slot<Request, Result, Progress> = { worker, busy: null, ready: Promise.resolve() };
    slot.ready = new Promise<void>((resolve, reject) => {
      worker.once('error', reject);
      worker.on('message', (reply: Reply<Result, Progress>) => {
        if ('ready' in reply) return resolve();
        const job = slot.busy;
        if (job === null || reply.id !== job.id) return;
        if ('progress' in reply) return job.onProgress?.(reply.progress);
        slot.busy = null;
        if ('error' in reply) job.reject(new Error(`worker: ${reply.error}`));
        else job.resolve(reply.result);
        this.dispatch();
      });
    });
    worker.on('error', (e) => {
      const job = slot.busy;
      slot.busy = null;
      job?.reject(e instanceof Error ? e : new Error(String(e)));
    });
    return slot;
  }

  /** Run one job on the next idle worker. */
  run(request: Request, onProgress?: (progress: Progress) => void): Promise<Result> {
    if (this.closed) return Promise.reject(new Error('WorkerPool: closed'));
    return new Promise<Result>((resolve, reject) => {
      this.queue.push({ id: this.nextId++, request, onProgress, resolve, reject });
      this.dispatch();
    });
  }

  private dispatch(): void {
    for (const slot of this.slots) {
      if (slot.busy !== null || this.queue.length === 0) continue;
      const job = this.queue.shift()!;
      slot.busy = job;
      slot.ready.then(
        () => slot.worker.postMessage({ id: job.id, request: job.request }),
        (e: unknown) => {
          slot.busy = null;
          job.reject(e instanceof Error ? e : new Error(String(e)));
        },
      );
    }
  }

  /** Stop every worker; queued and running jobs are rejected with `reason`. */
  async abort(reason: Error): Promise<void> {
    for (const job of this.queue.splice(0)) job.reject(reason);
    for (const slot of this.slots) {
      slot.busy?.reject(reason);
      slot.busy = null;
    }
    await this.close();
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }
}

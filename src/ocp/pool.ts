/**
 * A pool of worker threads that solves many independent problems in parallel (the papers
 * collect datasets of thousands of solves). Each worker runs `solveRequest` (requests.ts)
 * on serializable descriptions, so results equal the serial path bit for bit on the same
 * machine. Requests are dispatched to idle workers in order; results come back in
 * request order. A failed solve is a result (converged = false); only a broken request
 * (unknown module, throwing factory) rejects.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { SolveRequest } from './requests.js';
import type { OcpSolution } from './solution.js';

interface Pending {
  request: SolveRequest;
  resolve: (s: OcpSolution) => void;
  reject: (e: Error) => void;
}

interface Slot {
  worker: Worker;
  ready: Promise<void>;
  busy: Pending | null;
}

export class SolverPool {
  readonly size: number;
  private readonly slots: Slot[] = [];
  private readonly queue: Pending[] = [];
  private nextId = 0;
  private closed = false;

  constructor(size = Math.max(1, availableParallelism())) {
    this.size = size;
    const entry = new URL('./pool-worker.mjs', import.meta.url);
    for (let i = 0; i < size; i++) {
      const worker = new Worker(entry);
      const slot: Slot = { worker, busy: null, ready: Promise.resolve() };
      slot.ready = new Promise<void>((resolve, reject) => {
        const onMessage = (msg: { ready?: boolean }) => {
          if (msg.ready) {
            worker.off('message', onMessage);
            resolve();
          }
        };
        worker.on('message', onMessage);
        worker.once('error', reject);
      });
      worker.on('message', (msg: { id?: number; solution?: OcpSolution; error?: string }) => {
        if (msg.id === undefined || !slot.busy) return;
        const p = slot.busy;
        slot.busy = null;
        if (msg.error !== undefined) p.reject(new Error(`solver worker: ${msg.error}`));
        else p.resolve(msg.solution!);
        this.dispatch();
      });
      worker.on('error', (e) => {
        const p = slot.busy;
        slot.busy = null;
        p?.reject(e instanceof Error ? e : new Error(String(e)));
      });
      this.slots.push(slot);
    }
  }

  /** Solve one request on the next idle worker. */
  solve(request: SolveRequest): Promise<OcpSolution> {
    if (this.closed) return Promise.reject(new Error('SolverPool: closed'));
    return new Promise<OcpSolution>((resolve, reject) => {
      this.queue.push({ request, resolve, reject });
      this.dispatch();
    });
  }

  /** Solve all requests; results in request order. */
  solveAll(requests: readonly SolveRequest[]): Promise<OcpSolution[]> {
    return Promise.all(requests.map((r) => this.solve(r)));
  }

  private dispatch(): void {
    for (const slot of this.slots) {
      if (slot.busy || this.queue.length === 0) continue;
      const p = this.queue.shift()!;
      slot.busy = p;
      const id = this.nextId++;
      slot.ready.then(
        () => slot.worker.postMessage({ id, request: p.request }),
        (e: unknown) => {
          slot.busy = null;
          p.reject(e instanceof Error ? e : new Error(String(e)));
        },
      );
    }
  }

  /** Terminate the workers. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }
}

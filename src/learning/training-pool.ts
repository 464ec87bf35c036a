/**
 * Training jobs on worker threads, one job per thread at a time: the four methods of an
 * experiment train concurrently on the machine's cores. Each job is plain data in and out
 * (train-methods.ts), so a worker gives the same policy as this thread would.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { ProgressReport, TrainedArtifact, TrainingJob } from './train-methods.js';

interface Pending {
  id: number;
  job: TrainingJob;
  report: ProgressReport;
  resolve: (a: TrainedArtifact) => void;
  reject: (e: Error) => void;
}

interface Slot {
  worker: Worker;
  busy: Pending | null;
}

export class TrainingPool {
  private readonly slots: Slot[] = [];
  private readonly queue: Pending[] = [];
  private nextId = 0;

  constructor(size = Math.max(1, availableParallelism())) {
    for (let i = 0; i < size; i++) {
      const worker = new Worker(new URL('./training-worker.mjs', import.meta.url));
      const slot: Slot = { worker, busy: null };
      worker.on('message', (msg: { id?: number; progress?: { done: number; total: number; loss: number }; artifact?: TrainedArtifact; error?: string }) => {
        const p = slot.busy;
        if (msg.id === undefined || p === null || msg.id !== p.id) return;
        if (msg.progress) return p.report(msg.progress.done, msg.progress.total, msg.progress.loss);
        slot.busy = null;
        if (msg.error !== undefined) p.reject(new Error(`training worker: ${msg.error}`));
        else p.resolve(msg.artifact!);
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

  train(job: TrainingJob, report: ProgressReport): Promise<TrainedArtifact> {
    return new Promise((resolve, reject) => {
      this.queue.push({ id: this.nextId++, job, report, resolve, reject });
      this.dispatch();
    });
  }

  private dispatch(): void {
    for (const slot of this.slots) {
      if (slot.busy !== null) continue;
      const next = this.queue.shift();
      if (next === undefined) return;
      slot.busy = next;
      slot.worker.postMessage({ id: next.id, job: next.job });
    }
  }

  /** Stop every worker; queued and running jobs are rejected with `reason` (their last checkpoints stay on disk). */
  async abort(reason: Error): Promise<void> {
    for (const p of this.queue.splice(0)) p.reject(reason);
    for (const slot of this.slots) {
      slot.busy?.reject(reason);
      slot.busy = null;
    }
    await this.close();
  }

  async close(): Promise<void> {
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }
}

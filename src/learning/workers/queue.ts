/**
 * Solves past one machine: a job queue on Redis (BullMQ), as a second `SolveBackend` beside
 * the in-process worker pool. An experiment started with `--queue redis://HOST:PORT` adds
 * its solve jobs to the queue; `npx tsx src/experiments/worker.ts --queue redis://HOST:PORT`
 * on any number of machines takes them, solves them on its own worker threads, and returns
 * the solutions. The experiment's code does not change: it sees a `SolveBackend`.
 *
 * Why the results are exactly those of a local run:
 *   - a job is data (task name, instance, guess, options: jobs.ts) and its solve is
 *     deterministic, so any worker, or the same one again, gives the same solution;
 *   - numbers travel as their float64 bytes (wire.ts), never as rounded text;
 *   - every job has an id (`<run>-<n>`), the experiment keeps one promise per id and takes
 *     the first result for it, so a job that runs twice is still counted once.
 *
 * When a worker process dies mid-job, its lock on the job lapses (`lockDurationMs`), another
 * worker's stalled-job check puts the job back in the queue, and it runs again elsewhere. The
 * solves run on worker threads, so the worker's own event loop stays free to renew its locks
 * however long a solve takes: a short lock does not make long solves look stalled.
 *
 * When Redis cannot be reached at the start, or stops answering for `unavailableAfterMs`
 * during a run, every pending solve fails with a `QueueUnavailableError`: the run stops (its
 * trained policies are already on disk; `--resume` continues it), it does not hang.
 */
import { type ConnectionOptions, type Job as QueueJob, Queue, QueueEvents, Worker } from 'bullmq';
import type { OcpSolution } from '../../ocp/index.js';
import { JobPool, type SolveJob, type SolveBackend } from './jobs.js';
import { decodeWire, encodeWire } from './wire.js';

/** The queue every experiment and worker uses (one Redis can serve several experiments at once). */
export const SOLVE_QUEUE = 'sobolev-to-solves';

/** Redis could not be reached, or stopped answering during a run. */
export class QueueUnavailableError extends Error {
  constructor(url: string, detail: string) {
    super(`job queue at ${url}: ${detail}`);
    this.name = 'QueueUnavailableError';
  }
}

/** redis://HOST:PORT[/DB] as connection options; anything else is a RangeError naming the flag. */
export function parseRedisUrl(url: string): { host: string; port: number; db: number } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new RangeError(`--queue: expected redis://HOST:PORT, got "${url}"`);
  }
  if (parsed.protocol !== 'redis:' || parsed.hostname === '') throw new RangeError(`--queue: expected redis://HOST:PORT, got "${url}"`);
  const port = parsed.port === '' ? 6379 : Number(parsed.port);
  const db = parsed.pathname.length > 1 ? Number(parsed.pathname.slice(1)) : 0;
  if (!Number.isInteger(db) || db < 0) throw new RangeError(`--queue: the database in "${url}" must be a non-negative integer`);
  return { host: parsed.hostname.replace(/^\[|\]$/g, ''), port, db };
}

export interface QueueBackendOptions {
  /** How long Redis may stay silent before the pending solves fail (ms). */
  unavailableAfterMs?: number;
  /** Progress lines: retried jobs, no workers connected. */
  log?: (line: string) => void;
  /** The queue's name (tests use their own). */
  queueName?: string;
}

interface Pending {
  resolve: (solution: OcpSolution) => void;
  reject: (error: Error) => void;
}

/** How often the backend checks Redis and sweeps for results whose event it missed (ms). */
const WATCH_INTERVAL_MS = 1000;
/** Warn when jobs wait this long with no worker connected (ms). */
const NO_WORKER_WARNING_MS = 10_000;

/** The experiment's side: solve jobs go to the queue, solutions come back by job id. */
export class QueueBackend implements SolveBackend {
  private readonly pending = new Map<string, Pending>();
  private readonly runId = `${Date.now().toString(36)}-${process.pid}`;
  private nextJob = 0;
  private failure: QueueUnavailableError | null = null;
  private lastAnswer = Date.now();
  private waitingWithoutWorkers: number | null = null;
  private readonly watch: NodeJS.Timeout;
  private readonly log: (line: string) => void;

  private constructor(
    readonly url: string,
    private readonly queue: Queue,
    private readonly events: QueueEvents,
    private readonly unavailableAfterMs: number,
    log: (line: string) => void,
  ) {
    this.log = log;
    // Connection errors arrive as events (ioredis retries by itself); the watchdog judges them.
    queue.on('error', () => {});
    events.on('error', () => {});
    events.on('completed', ({ jobId, returnvalue }) => this.deliver(jobId, returnvalue));
    events.on('failed', ({ jobId, failedReason }) => this.fail(jobId, new Error(`solve job ${jobId} failed on a worker: ${failedReason}`)));
    events.on('stalled', ({ jobId }) => {
      if (this.pending.has(jobId)) this.log(`queue: job ${jobId} stalled (its worker stopped?); it goes back to the queue`);
    });
    this.watch = setInterval(() => void this.check(), WATCH_INTERVAL_MS);
  }

  /** Connect and check that Redis answers within `unavailableAfterMs` (else QueueUnavailableError). */
  static async connect(url: string, options: QueueBackendOptions = {}): Promise<QueueBackend> {
    const { host, port, db } = parseRedisUrl(url);
    const unavailableAfterMs = options.unavailableAfterMs ?? 5000;
    const name = options.queueName ?? SOLVE_QUEUE;
    // No retry limit per command: the watchdog below decides when Redis is gone.
    const connection: ConnectionOptions = { host, port, db, maxRetriesPerRequest: null, connectTimeout: unavailableAfterMs };
    const queue = new Queue(name, { connection, streams: { events: { maxLen: 1000 } } });
    const events = new QueueEvents(name, { connection });
    let lastError = 'no answer';
    queue.on('error', (e: Error) => (lastError = e.message));
    events.on('error', (e: Error) => (lastError = e.message));
    try {
      await withTimeout(queue.count(), unavailableAfterMs);
      await withTimeout(events.waitUntilReady(), unavailableAfterMs);
    } catch {
      await shutdown(queue, events, true);
      throw new QueueUnavailableError(url, `cannot reach Redis within ${unavailableAfterMs} ms (${lastError})`);
    }
    return new QueueBackend(url, queue, events, unavailableAfterMs, options.log ?? ((line) => console.log(line)));
  }

  solve(job: Omit<SolveJob, 'kind'>): Promise<OcpSolution> {
    if (this.failure) return Promise.reject(this.failure);
    const jobId = `${this.runId}-${this.nextJob++}`;
    return new Promise<OcpSolution>((resolve, reject) => {
      this.pending.set(jobId, { resolve, reject });
      // attempts 1: a solve that throws will throw again (it is deterministic); stalls are retried by BullMQ.
      this.queue.add('solve', encodeWire({ kind: 'solve', ...job }), { jobId, attempts: 1 }).catch((e: Error) => this.fail(jobId, e));
    });
  }

  private deliver(jobId: string, returnvalue: unknown): void {
    const waiting = this.pending.get(jobId);
    if (waiting === undefined) return; // another experiment's job, or one already delivered
    this.pending.delete(jobId);
    try {
      const value = typeof returnvalue === 'string' ? JSON.parse(returnvalue) : returnvalue;
      waiting.resolve(decodeWire(value) as OcpSolution);
    } catch (error) {
      waiting.reject(error instanceof Error ? error : new Error(String(error)));
    }
    this.queue.remove(jobId).catch(() => {});
  }

  private fail(jobId: string, error: Error): void {
    const waiting = this.pending.get(jobId);
    if (waiting === undefined) return;
    this.pending.delete(jobId);
    waiting.reject(error);
    this.queue.remove(jobId).catch(() => {});
  }

  /** The watchdog: is Redis answering; any result whose event was missed; are there workers. */
  private async check(): Promise<void> {
    if (this.failure) return;
    try {
      await withTimeout(this.queue.count(), WATCH_INTERVAL_MS); // one round trip to Redis
      this.lastAnswer = Date.now();
    } catch {
      const silent = Date.now() - this.lastAnswer;
      if (silent > this.unavailableAfterMs) this.failAll(new QueueUnavailableError(this.url, `Redis stopped answering ${silent} ms ago`));
      return;
    }
    if (this.pending.size === 0) {
      this.waitingWithoutWorkers = null;
      return;
    }
    // The events stream is trimmed: a result whose event was trimmed away is found here.
    for (const jobId of [...this.pending.keys()].slice(0, 64)) {
      const job: QueueJob | undefined = await this.queue.getJob(jobId).catch(() => undefined);
      if (job?.finishedOn === undefined) continue;
      if (job.failedReason) this.fail(jobId, new Error(`solve job ${jobId} failed on a worker: ${job.failedReason}`));
      else this.deliver(jobId, job.returnvalue);
    }
    const workers = await this.queue.getWorkersCount().catch(() => 1);
    if (workers > 0) this.waitingWithoutWorkers = null;
    else if (this.waitingWithoutWorkers === null) this.waitingWithoutWorkers = Date.now();
    else if (Date.now() - this.waitingWithoutWorkers > NO_WORKER_WARNING_MS) {
      this.log(`queue: ${this.pending.size} solve jobs wait and no worker is connected; start one with: npx tsx src/experiments/worker.ts --queue ${this.url}`);
      this.waitingWithoutWorkers = Date.now();
    }
  }

  private failAll(error: QueueUnavailableError): void {
    this.failure = error;
    for (const waiting of this.pending.values()) waiting.reject(error);
    this.pending.clear();
  }

  /** Reject every pending solve with `reason` and take this run's waiting jobs off the queue. */
  async abort(reason: Error): Promise<void> {
    const ids = [...this.pending.keys()];
    for (const waiting of this.pending.values()) waiting.reject(reason);
    this.pending.clear();
    if (!this.failure) await Promise.allSettled(ids.map((id) => withTimeout(this.queue.remove(id), WATCH_INTERVAL_MS)));
    await this.close();
  }

  async close(): Promise<void> {
    clearInterval(this.watch);
    await shutdown(this.queue, this.events, this.failure !== null);
  }
}

/** Close the connections; with a dead Redis a graceful close would wait for it forever, so cut them. */
async function shutdown(queue: Queue, events: QueueEvents, dead: boolean): Promise<void> {
  if (!dead) {
    const closed = await Promise.allSettled([withTimeout(events.close(), WATCH_INTERVAL_MS), withTimeout(queue.close(), WATCH_INTERVAL_MS)]);
    if (closed.every((c) => c.status === 'fulfilled')) return;
  }
  // (disconnect itself can wait for a connection that never came: it gets a second too.)
  await Promise.allSettled([withTimeout(events.disconnect(), WATCH_INTERVAL_MS), withTimeout(queue.disconnect(), WATCH_INTERVAL_MS)]);
}

export interface QueueWorkerOptions {
  /** Jobs solved at once, each on its own worker thread. */
  concurrency: number;
  /** How long a job's lock lasts without renewal: how soon a dead worker's job runs elsewhere (ms). */
  lockDurationMs?: number;
  queueName?: string;
  log?: (line: string) => void;
}

/** The worker's side: take solve jobs from the queue and solve them on `concurrency` threads. */
export async function serveSolveQueue(url: string, options: QueueWorkerOptions): Promise<{ close(): Promise<void> }> {
  const { host, port, db } = parseRedisUrl(url);
  const { concurrency } = options;
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new RangeError(`--concurrency: expected a positive integer, got ${concurrency}`);
  const lockDuration = options.lockDurationMs ?? 30_000;
  const log = options.log ?? ((line: string) => console.log(line));
  const pool = new JobPool(concurrency);
  const worker = new Worker(
    options.queueName ?? SOLVE_QUEUE,
    async (job: QueueJob) => {
      const request = decodeWire(job.data) as SolveJob;
      if (request?.kind !== 'solve') throw new Error(`job ${job.id} is not a solve job`);
      return encodeWire(await pool.solve(request));
    },
    {
      connection: { host, port, db, maxRetriesPerRequest: null },
      concurrency,
      lockDuration,
      stalledInterval: Math.max(500, Math.round(lockDuration / 2)),
      // A job whose workers keep dying is given up after three tries (it fails, with that reason).
      maxStalledCount: 3,
    },
  );
  worker.on('error', (e) => log(`worker: ${e.message}`));
  await worker.waitUntilReady();
  return {
    async close() {
      await worker.close();
      await pool.close();
    },
  };
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    promise.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}

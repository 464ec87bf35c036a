/**
 * The job queue's throughput and overhead (issue 22): double-pendulum solves (cold, from the
 * task's interpolation guess, n_max 1000) through
 *   - the in-process worker pool with 1 and 2 threads,
 *   - the Redis queue (BullMQ) served by 1, 2 and 4 worker processes of one thread each,
 * on this machine, with a throwaway redis-server. Each configuration first solves a warm-up
 * batch (every worker builds the task once and V8 warms up), then the timed batch. The queue's
 * per-job overhead is (queue with one worker - pool with one thread) / jobs on the same jobs.
 * The last line is one JSON object.
 *
 *   npm run bench:queue [-- --jobs N]
 */
import type { ChildProcess } from 'node:child_process';
import { parseArgs } from 'node:util';
import { Rng } from '../src/autodiff/index.js';
import { JobPool, type SolveBackend } from '../src/learning/workers/jobs.js';
import { QueueBackend } from '../src/learning/workers/queue.js';
import { taskByName } from '../src/tasks/index.js';
import { startRedis, startWorker } from '../tests/learning/local-redis.js';

const { values } = parseArgs({ options: { jobs: { type: 'string', default: '40' } } });
const JOBS = Number(values.jobs);
const TASK = 'double-pendulum';

const task = taskByName(TASK);
const instances = (seed: number, n: number) => {
  const rng = new Rng(seed);
  return Array.from({ length: n }, () => task.sampleInstance(rng));
};
const warmup = instances(1, 8);
const timed = instances(2, JOBS);

async function solveAll(backend: SolveBackend, batch: ReturnType<typeof instances>): Promise<{ ms: number; iterations: number }> {
  const t0 = performance.now();
  const solutions = await Promise.all(batch.map((instance) => backend.solve({ task: TASK, instance, options: { history: false } })));
  return { ms: performance.now() - t0, iterations: solutions.reduce((n, s) => n + s.iterations, 0) };
}

interface Row { backend: string; processes: number; threads: number; ms: number; solvesPerSecond: number; msPerIteration: number }
const rows: Row[] = [];
function record(backend: string, processes: number, threads: number, r: { ms: number; iterations: number }) {
  const row = { backend, processes, threads, ms: r.ms, solvesPerSecond: (1000 * JOBS) / r.ms, msPerIteration: r.ms / r.iterations };
  rows.push(row);
  console.log(`${backend.padEnd(10)} ${String(processes).padStart(2)} processes x ${threads} threads: ${JOBS} solves in ${(r.ms / 1000).toFixed(2)} s, ${row.solvesPerSecond.toFixed(1)} solves/s`);
}

for (const threads of [1, 2]) {
  const pool = new JobPool(threads);
  await solveAll(pool, warmup);
  record('pool', 1, threads, await solveAll(pool, timed));
  await pool.close();
}

const redis = await startRedis();
const workers: ChildProcess[] = [];
try {
  const queue = await QueueBackend.connect(redis.url);
  for (const processes of [1, 2, 4]) {
    while (workers.length < processes) workers.push(await startWorker(redis.url, 1));
    await solveAll(queue, warmup);
    record('queue', processes, 1, await solveAll(queue, timed));
  }
  await queue.close();
} finally {
  for (const w of workers) w.kill('SIGKILL');
  redis.process.kill('SIGKILL');
}

const pool1 = rows.find((r) => r.backend === 'pool' && r.threads === 1)!;
const queue1 = rows.find((r) => r.backend === 'queue' && r.processes === 1)!;
const overheadMs = (queue1.ms - pool1.ms) / JOBS;
console.log(`queue overhead per job (1 worker against 1 pool thread): ${overheadMs.toFixed(1)} ms; mean solve ${(pool1.ms / JOBS).toFixed(1)} ms`);
console.log(JSON.stringify({ task: TASK, jobs: JOBS, rows, overheadMsPerJob: overheadMs, meanSolveMs: pool1.ms / JOBS }));
process.exit(0);

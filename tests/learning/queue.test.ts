/**
 * The job queue (src/learning/workers/queue.ts) against a real Redis, started here on a free
 * loopback port (`redis-server` from Debian; .ci/run installs it): a collection through the
 * queue with two worker processes equals the in-process pool's bit for bit; a worker killed
 * in the middle of a job has the job retried elsewhere, and every trajectory arrives exactly
 * once; an unreachable or stopped Redis gives a QueueUnavailableError, not a hang. And the
 * wire format (wire.ts) round-trips every float64 exactly.
 */
import type { ChildProcess } from 'node:child_process';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../../src/autodiff/index.js';
import { type Collection, collectTrajectories, taskSolver } from '../../src/learning/collect.js';
import { JobPool, runJob } from '../../src/learning/workers/jobs.js';
import { QueueBackend, QueueUnavailableError, parseRedisUrl } from '../../src/learning/workers/queue.js';
import { WireFormatError, decodeWire, encodeWire } from '../../src/learning/workers/wire.js';
import type { OcpSolution } from '../../src/ocp/index.js';
import { taskByName } from '../../src/tasks/index.js';
import { freePort, startRedis, startWorker } from './local-redis.js';

const SEED = 20_261_203;
console.log(`queue tests: fast-check seed ${SEED}`);

const exited = (child: ChildProcess) => new Promise<void>((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('exit', () => resolve())));

function expectSameCollection(a: Collection, b: Collection): void {
  expect(a.trajectories.length).toBe(b.trajectories.length);
  expect(a.rejected).toBe(b.rejected);
  expect(a.coldIterations).toEqual(b.coldIterations);
  a.trajectories.forEach((t, i) => {
    const u = b.trajectories[i]!;
    expect(t.instance).toEqual(u.instance);
    expect(t.cost).toBe(u.cost);
    for (const key of ['xs', 'us', 'K', 'fx', 'fu'] as const) {
      // toEqual on Float64Arrays compares with Object.is: bit for bit up to NaN payloads.
      expect(t[key]).toEqual(u[key]);
    }
  });
}

describe('wire format', () => {
  it('round-trips any float64, in typed arrays, number arrays and scalars', () => {
    fc.assert(
      fc.property(fc.array(fc.double(), { minLength: 0, maxLength: 40 }), fc.double(), (values, scalar) => {
        const message = { xs: [Float64Array.from(values)], plain: values, scalar, name: 'x', flag: true, nothing: null };
        const back = decodeWire(JSON.parse(JSON.stringify(encodeWire(message)))) as typeof message;
        expect(back.xs[0]).toEqual(Float64Array.from(values));
        expect(back.plain).toEqual(values);
        expect(Object.is(back.scalar, scalar)).toBe(true);
        expect(back).toMatchObject({ name: 'x', flag: true, nothing: null });
      }),
      { seed: SEED, numRuns: 200 },
    );
  });

  it('carries a solution exactly, and refuses what it cannot carry', () => {
    const solution = runJob({ kind: 'solve', task: 'pendulum', instance: { x0: [3.0, 0] } }) as OcpSolution;
    const back = decodeWire(JSON.parse(JSON.stringify(encodeWire(solution)))) as OcpSolution;
    expect(back).toEqual(solution);
    expect(() => encodeWire({ $typed: 1 })).toThrow(WireFormatError);
    expect(() => encodeWire(new BigInt64Array(2))).toThrow(/BigInt64Array is not supported/);
    expect(() => decodeWire({ $typed: 'Float64Array', bytes: Buffer.from([1, 2, 3]).toString('base64') })).toThrow(/not a whole number of elements/);
    expect(() => decodeWire({ $typed: 'Array', bytes: '' })).toThrow(/unknown typed array/);
    expect(() => decodeWire({ $num: 'seven' })).toThrow(/unknown \$num/);
  });
});

describe('job queue on Redis', () => {
  let redis: { url: string; process: ChildProcess };
  const workers: ChildProcess[] = [];
  beforeAll(async () => {
    redis = await startRedis();
  }, 30_000);
  afterAll(async () => {
    for (const w of workers) w.kill('SIGKILL');
    redis?.process.kill('SIGKILL');
  });

  const task = taskByName('pendulum');
  const collect = (backend: Parameters<typeof taskSolver>[2]) => {
    const rng = new Rng(SEED);
    return collectTrajectories(6, taskSolver(task, { history: false }, backend), { sampleInstance: () => task.sampleInstance(rng) });
  };

  it('collects with two worker processes exactly what the in-process pool collects', async () => {
    workers.push(await startWorker(redis.url), await startWorker(redis.url));
    const pool = new JobPool(2);
    const local = await collect(pool);
    await pool.close();
    const queue = await QueueBackend.connect(redis.url);
    const remote = await collect(queue);
    await queue.close();
    expectSameCollection(remote, local);
  }, 120_000);

  it('retries the job of a worker killed mid-job elsewhere; every trajectory arrives once', async () => {
    for (const w of workers.splice(0)) {
      w.kill('SIGKILL');
      await exited(w);
    }
    const lines: string[] = [];
    const queue = await QueueBackend.connect(redis.url, { log: (line) => lines.push(line) });
    const doomed = await startWorker(redis.url);
    workers.push(doomed);
    // The first job a fresh worker takes includes building (compiling) the task: it is still
    // running when the worker is killed the moment the job becomes active.
    const events = (queue as unknown as { events: import('bullmq').QueueEvents }).events;
    events.once('active', () => doomed.kill('SIGKILL'));
    const collecting = collect(queue);
    await exited(doomed);
    workers.push(await startWorker(redis.url));
    const remote = await collecting;
    await queue.close();
    expect(lines.some((line) => /stalled/.test(line))).toBe(true);
    const pool = new JobPool(1);
    const local = await collect(pool);
    await pool.close();
    expectSameCollection(remote, local);
  }, 120_000);

  it('fails with QueueUnavailableError when Redis is unreachable or stops mid-run', async () => {
    const nobody = `redis://127.0.0.1:${await freePort()}`;
    await expect(QueueBackend.connect(nobody, { unavailableAfterMs: 1000 })).rejects.toThrow(QueueUnavailableError);
    for (const w of workers.splice(0)) w.kill('SIGKILL');
    const queue = await QueueBackend.connect(redis.url, { unavailableAfterMs: 1500 });
    const waiting = queue.solve({ task: 'pendulum', instance: { x0: [3.0, 0] } }); // no worker: it waits
    const outcome = waiting.then(() => 'solved', (e: unknown) => e);
    redis.process.kill('SIGKILL');
    const started = Date.now();
    const error = await outcome;
    expect(error).toBeInstanceOf(QueueUnavailableError);
    expect(Date.now() - started).toBeLessThan(10_000);
    await expect(queue.solve({ task: 'pendulum', instance: { x0: [3.0, 0] } })).rejects.toThrow(QueueUnavailableError);
    await queue.close();
  }, 60_000);

  it('refuses a queue address that is not redis://HOST:PORT', () => {
    expect(parseRedisUrl('redis://10.0.0.2:7000')).toEqual({ host: '10.0.0.2', port: 7000, db: 0 });
    expect(() => parseRedisUrl('http://localhost:6379')).toThrow(/--queue: expected redis:\/\/HOST:PORT/);
    expect(() => parseRedisUrl('localhost:6379')).toThrow(RangeError);
  });
});

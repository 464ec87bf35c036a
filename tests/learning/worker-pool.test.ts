/**
 * The worker pool runs jobs as data: a solve on a worker equals the same job on this thread
 * bit for bit (the same code on the same task instance), DDP, FDDP and warm-started alike;
 * training progress arrives while the job runs; a broken job rejects with its error, and a
 * closed or aborted pool rejects what it still holds.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { type SolveJob, JobPool, runJob } from '../../src/learning/workers/jobs.js';
import type { OcpSolution } from '../../src/ocp/index.js';

describe('JobPool', () => {
  const pool = new JobPool(2);
  afterAll(() => pool.close());

  it('solves task instances in parallel with the same results as this thread', async () => {
    const jobs: Omit<SolveJob, 'kind'>[] = [2.7, 2.9, 3.1, 3.3, 3.5, 2.8].map((q0) => ({
      task: 'pendulum', instance: { x0: [q0, 0] }, options: { history: false },
    }));
    // A warm start: the cold solution of another instance, on the first one.
    const warmFrom = runJob({ kind: 'solve', ...jobs[1] }) as OcpSolution;
    jobs.push({ ...jobs[0], guess: { xs: warmFrom.xs, us: warmFrom.us } });
    const parallel = await Promise.all(jobs.map((job) => pool.solve(job)));
    for (let i = 0; i < jobs.length; i++) {
      const serial = runJob({ kind: 'solve', ...jobs[i] }) as OcpSolution;
      const p = parallel[i];
      expect(serial.converged).toBe(true);
      expect(p.converged).toBe(serial.converged);
      expect(p.iterations).toBe(serial.iterations);
      expect(p.cost).toBe(serial.cost);
      for (const key of ['xs', 'us', 'K', 'k', 'Vx', 'Vxx', 'fx', 'fu'] as const) {
        expect(p[key].map((a) => Array.from(a))).toEqual(serial[key].map((a) => Array.from(a)));
      }
    }
    expect(parallel[6].iterations).not.toBe(parallel[0].iterations);
  }, 120_000);

  it('passes training progress on while the job runs, and returns its artifact', async () => {
    const solution = runJob({ kind: 'solve', task: 'pendulum', instance: { x0: [3.0, 0] } }) as OcpSolution;
    const { xs, us, K, fx, fu } = solution;
    const reports: number[] = [];
    const artifact = await pool.train({
      task: 'pendulum', method: 'mlp', trajectories: [{ xs, us, K, fx, fu }], epochs: 3, seed: 0,
      settings: {
        horizon: 16, historyLength: 1, diffusionSteps: 5, alphaSob: 1, diffusionBatch: 8, diffusionLr: 1e-3,
        diffusionDtype: 'float64', mlpDtype: 'float64', mlpHidden: [8], mlpBatch: 64, mlpLr: 1e-3,
      },
      checkpointPath: '', policyPath: '',
    }, (p) => reports.push(p.done));
    expect(artifact.kind).toBe('mlp');
    expect(Number.isFinite(artifact.finalLoss)).toBe(true);
    expect(reports.at(-1)).toBe(3);
  }, 60_000);

  it('rejects a job for an unknown task with the registry error', async () => {
    await expect(pool.solve({ task: 'nope', instance: { x0: [0, 0] } })).rejects.toThrow(/unknown task "nope"/);
  });

  it('a closed pool rejects new jobs', async () => {
    const small = new JobPool(1);
    await small.close();
    await expect(small.solve({ task: 'pendulum', instance: { x0: [3, 0] } })).rejects.toThrow(/closed/);
  });
});

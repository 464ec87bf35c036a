/**
 * The main job end to end on a tiny configuration (two trajectories, a few epochs, a small
 * U-Net): the pipeline runs, its outputs are complete and finite, and the Sobolev targets
 * built from a collected trajectory match central differences of the solver's closed loop.
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/autodiff/index.js';
import { parseConfig, runPendulum } from '../../src/experiments/pendulum.js';
import { torqueChunkDataset } from '../../src/learning/chunks.js';
import { collectTrajectories, requestSolver } from '../../src/learning/collect.js';
import { PENDULUM_TASK_MODULE, pendulumModel, samplePendulumStarts } from '../../src/learning/pendulum-task.js';

describe('pendulum experiment', () => {
  it('runs Alg. 1 (two iterations) end to end on a tiny configuration and writes complete, finite results', async () => {
    const out = mkdtempSync(join(tmpdir(), 'pendulum-'));
    const config = parseConfig(['--n-traj', '2', '--epochs', '4', '--eval-tasks', '3', '--th', '16', '--ta', '8', '--n-algo', '2', '--workers', '1', '--out', out])!;
    config.unetDownDims = [8, 8];
    config.mlpHidden = [16, 16];
    const results = await runPendulum(config);
    for (const file of ['config.json', 'results.json', 'results.md', 'cost_vs_ntraj.svg', 'solver_iterations.svg', 'trajectories_sob-diff.svg', 'torques_mlp.svg']) {
      expect(existsSync(join(out, file)), file).toBe(true);
    }
    const json = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
    for (const method of ['sob-diff', 'diff', 'mlp', 'sob-mlp']) {
      const entry = json.summary['epochs=4'][method]['2'];
      for (const v of [entry.policyCost.mean, entry.policyCost.median, entry.refinedCost.mean, entry.refinedCost.median, entry.solverIterations.mean, entry.rolloutSeconds]) {
        expect(Number.isFinite(v), `${method}: ${JSON.stringify(entry)}`).toBe(true);
      }
    }
    expect(Number.isFinite(json.toAlone.cost.mean) && json.toAlone.convergedRate >= 0).toBe(true);
    expect(results.interrupted).toBe(false);
    // Alg. 1's second iteration collected per method, warm-started from each policy.
    const collections = json.seeds[0].runs[0].collections;
    for (const method of ['sob-diff', 'diff', 'mlp', 'sob-mlp']) expect(collections[`${method}/1`].warm.length).toBeGreaterThanOrEqual(2);
    expect(readFileSync(join(out, 'results.md'), 'utf8')).toContain('| Sob+Diff | 2 |');
  });

  it('the Sobolev targets of a collected trajectory match central differences of the closed loop', async () => {
    const solver = requestSolver(PENDULUM_TASK_MODULE, 'pendulumProblem', { history: false });
    const rng = new Rng(3);
    const { trajectories } = await collectTrajectories(1, solver, { sampleStart: () => samplePendulumStarts(rng, 1)[0] });
    const tr = trajectories[0];
    const horizon = 8;
    const data = torqueChunkDataset([tr], { horizon, historyLength: 1 });
    const targets = data.dTau0dXHist!.concrete().data;
    const nx = pendulumModel.nx;
    // Closed loop u_s = u_bar_s + K_s (x_s - x_bar_s) from x_t + e, actions u_t .. u_{t+horizon-1}.
    const actions = (t: number, e: Float64Array) => {
      let x = Float64Array.from(tr.xs[t], (v, i) => v + e[i]);
      const us: number[] = [];
      for (let h = 0; h < horizon; h++) {
        const s = t + h;
        let u = tr.us[s][0];
        for (let j = 0; j < nx; j++) u += tr.K[s][j] * (x[j] - tr.xs[s][j]);
        us.push(u);
        const next = new Float64Array(nx);
        pendulumModel.step(x, Float64Array.of(u), next);
        x = next;
      }
      return us;
    };
    const perChunk = horizon * nx;
    for (const t of [0, 40, 120, 192]) {
      for (let j = 0; j < nx; j++) {
        const step = 1e-6;
        const e = new Float64Array(nx);
        e[j] = step;
        const plus = actions(t, e);
        e[j] = -step;
        const minus = actions(t, e);
        for (let h = 0; h < horizon; h++) {
          const fd = (plus[h] - minus[h]) / (2 * step);
          const target = targets[t * perChunk + h * nx + j];
          // Central differences: O(step^2) truncation, O(eps / step) rounding; ~1e-8 here.
          expect(Math.abs(target - fd), `chunk ${t}, entry ${h}, state ${j}`).toBeLessThan(1e-6 * (1 + Math.abs(fd)));
        }
      }
    }
  });
});

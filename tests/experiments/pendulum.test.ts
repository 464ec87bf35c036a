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
import { parseConfig } from '../../src/experiments/runner/config.js';
import { PENDULUM_EXPERIMENT } from '../../src/experiments/pendulum.js';
import type { ResultsFile } from '../../src/experiments/runner/report.js';
import { runExperiment } from '../../src/experiments/runner/runner.js';
import { torqueChunkDataset } from '../../src/learning/chunks.js';
import { collectTrajectories, taskSolver } from '../../src/learning/collect.js';
import { taskByName } from '../../src/tasks/index.js';

describe('pendulum experiment', () => {
  it('runs Alg. 1 (two iterations) end to end on a tiny configuration and writes complete, finite results', async () => {
    const out = mkdtempSync(join(tmpdir(), 'pendulum-'));
    const { config } = parseConfig(PENDULUM_EXPERIMENT, ['--n-traj', '2', '--epochs', '4', '--eval-tasks', '3', '--th', '16', '--ta', '8', '--n-algo', '2', '--workers', '1', '--out', out])!;
    config.unetDownDims = [8, 8];
    config.mlpHidden = [16, 16];
    const results = await runExperiment(config);
    for (const file of ['config.json', 'results.json', 'results.md', 'cost_vs_ntraj.svg', 'solver_iterations.svg', 'trajectories_sob-diff.svg', 'controls_mlp.svg']) {
      expect(existsSync(join(out, file)), file).toBe(true);
    }
    const json = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as ResultsFile;
    expect([json.experiment, json.task]).toEqual(['pendulum', 'pendulum']);
    expect(json.summary.map((r) => r.method)).toEqual(['sob-diff', 'diff', 'mlp', 'sob-mlp']);
    for (const row of json.summary) {
      expect([row.nTraj, row.epochs, row.seeds]).toEqual([2, 4, 1]);
      const { policyCost, refinedCost, solverIterations, solveSeconds, rolloutSeconds, convergedRate } = row;
      for (const v of [policyCost.mean, policyCost.median, refinedCost.mean, refinedCost.median, solverIterations.cold.mean, solverIterations.warm.mean,
        solveSeconds.cold.median, solveSeconds.warm.median, rolloutSeconds, convergedRate.cold, convergedRate.warm]) {
        expect(Number.isFinite(v), `${row.method}: ${JSON.stringify(row)}`).toBe(true);
      }
    }
    const toAlone = json.toAlone!;
    expect(Number.isFinite(toAlone.cost.mean) && Number.isFinite(toAlone.solveSeconds.mean) && toAlone.convergedRate >= 0).toBe(true);
    expect(toAlone.solverIterations).toEqual(json.summary[0].solverIterations.cold);
    expect(results.interrupted).toBe(false);
    // Alg. 1's second iteration collected per method, warm-started from each policy.
    const collections = (json.seeds as { runs: { collections: Record<string, { warm: number[] }> }[] }[])[0].runs[0].collections;
    for (const method of ['sob-diff', 'diff', 'mlp', 'sob-mlp']) expect(collections[`${method}/1`].warm.length).toBeGreaterThanOrEqual(2);
    expect(readFileSync(join(out, 'results.md'), 'utf8')).toContain('| Sob+Diff | 2 |');
  });

  it('averages over seeds and shows the spread of the seeds\' means', async () => {
    const out = mkdtempSync(join(tmpdir(), 'pendulum-seeds-'));
    const { config } = parseConfig(PENDULUM_EXPERIMENT, [
      '--seeds', '0,1', '--methods', 'mlp', '--n-traj', '1', '--epochs', '2', '--eval-tasks', '3', '--mlp-hidden', '8', '--workers', '1', '--out', out,
    ])!;
    const results = await runExperiment(config);
    const json = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as ResultsFile;
    const [row] = json.summary;
    type Seed = { runs: { evaluations: { methods: Record<string, { policyCost: { mean: number } }> }[] }[] };
    const means = (json.seeds as Seed[]).map((s) => s.runs[0].evaluations[0].methods.mlp.policyCost.mean);
    expect(row.seeds).toBe(2);
    expect(row.seedRange.policyCost).toEqual([Math.min(...means), Math.max(...means)]);
    expect(row.policyCost.mean).toBeCloseTo((means[0] + means[1]) / 2, 12);
    expect(results.summaryTable).toMatch(/\| policy cost \| over seeds \|/);
  });

  it('runs with state actions (planned states decoded by inverse dynamics): complete, finite results', async () => {
    const out = mkdtempSync(join(tmpdir(), 'pendulum-state-'));
    const { config } = parseConfig(PENDULUM_EXPERIMENT, [
      '--task', 'pendulum-state', '--methods', 'sob-diff,diff', '--n-traj', '2', '--epochs', '4', '--eval-tasks', '2', '--th', '16', '--ta', '8',
      '--unet-dims', '8,8', '--workers', '1', '--out', out,
    ])!;
    await runExperiment(config);
    const json = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as ResultsFile;
    expect(json.task).toBe('pendulum-state');
    for (const row of json.summary) {
      expect(row.seeds).toBe(1);
      expect(Number.isNaN(row.policyCost.median), row.method).toBe(false);
      expect(Number.isFinite(row.rolloutSeconds)).toBe(true);
    }
    expect(json.summary.map((r) => r.method)).toEqual(['sob-diff', 'diff']);
  });

  it('the Sobolev targets of a collected trajectory match central differences of the closed loop', async () => {
    const task = taskByName('pendulum');
    const pendulumModel = task.dynamics;
    const rng = new Rng(3);
    const { trajectories } = await collectTrajectories(1, taskSolver(task, { history: false }), { sampleInstance: () => task.sampleInstance(rng) });
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

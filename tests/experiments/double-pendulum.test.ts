/**
 * The double-pendulum experiment end to end on a tiny configuration (two iterations of Alg. 1,
 * a small U-Net, two T_a values): it completes, writes every output, evaluates after each
 * iteration, and the second iteration's collection solved every instance warm-started from
 * each method's policy, keeping the cheaper of the two solves.
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/experiments/runner/config.js';
import { DOUBLE_PENDULUM_EXPERIMENT } from '../../src/experiments/double-pendulum.js';
import type { ResultsFile } from '../../src/experiments/runner/report.js';
import { runExperiment } from '../../src/experiments/runner/runner.js';

describe('double-pendulum experiment', () => {
  it('runs two iterations of Alg. 1 on a tiny configuration, evaluating after each and at two T_a', async () => {
    const out = mkdtempSync(join(tmpdir(), 'double-pendulum-'));
    const { config } = parseConfig(DOUBLE_PENDULUM_EXPERIMENT, [
      '--n-traj', '2', '--epochs', '3', '--eval-tasks', '3', '--n-algo', '2', '--eval-ta', '8', '--workers', '1', '--out', out,
    ])!;
    config.unetDownDims = [8, 8];
    config.mlpHidden = [16, 16];
    await runExperiment(config);
    for (const file of ['config.json', 'results.json', 'results.md', 'cost_vs_iteration.svg', 'solver_iterations.svg', 'stroboscope_sob-diff.svg', 'stroboscope_to-alone.svg']) {
      expect(existsSync(join(out, file)), file).toBe(true);
    }
    const json = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as ResultsFile;
    const settings = (m: string) => json.summary.filter((r) => r.method === m).map((r) => `${r.iteration}/${r.actionsPerPlan}`);
    expect(settings('sob-diff')).toEqual(['1/4', '1/8', '2/4', '2/8']);
    expect(settings('mlp')).toEqual(['1/4', '2/4']);
    type Evaluated = { methods: Record<string, { perTask: { policyCost: (number | null)[]; diverged: boolean[]; refinedCost: number[] } }> };
    const seeds = json.seeds as { runs: { evaluations: Evaluated[]; collections: Record<string, { warm: number[]; keptWarm: number }> }[] }[];
    // A policy's cost is finite unless its rollout diverged (then null: JSON's infinity).
    for (const evaluation of seeds[0].runs[0].evaluations) {
      for (const [method, result] of Object.entries(evaluation.methods)) {
        result.perTask.policyCost.forEach((c, i) => expect(c === null, `${method} task ${i}`).toBe(result.perTask.diverged[i]));
      }
    }
    expect(Number.isFinite(json.toAlone!.cost.mean)).toBe(true);
    const collections = seeds[0].runs[0].collections;
    for (const method of ['sob-diff', 'diff', 'mlp', 'sob-mlp']) {
      const second = collections[`${method}/1`];
      expect(second.warm.length, method).toBeGreaterThanOrEqual(2);
      expect(Number.isInteger(second.keptWarm) && second.keptWarm <= 2, String(second.keptWarm)).toBe(true);
    }
    expect(readFileSync(join(out, 'results.md'), 'utf8')).toMatch(/Sob\+Diff at several T_a/);
  }, 60_000);
});

/**
 * n_traj per iteration of Alg. 1 (--n-traj-per-iteration; the main paper's UR5 Fig. 3: 50 for
 * three iterations, then 100): the flag's checks, the UR5 --full schedule, and a tiny pendulum
 * run whose second collection has the scheduled size.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PENDULUM_EXPERIMENT } from '../../src/experiments/pendulum.js';
import { parseConfig } from '../../src/experiments/runner/config.js';
import type { ExperimentRun, ResultsFile } from '../../src/experiments/runner/report.js';
import { runExperiment } from '../../src/experiments/runner/runner.js';
import { ur5Experiment } from '../../src/experiments/ur5.js';

describe('n_traj per iteration of Alg. 1', () => {
  it('is the paper\'s 50, 50, 50, 100, 100 in UR5 --full (doubled with a random target), and bad schedules are refused', () => {
    expect(parseConfig(ur5Experiment(1, 0), ['--full'])!.config).toMatchObject({ nTraj: [50], nTrajPerIteration: [50, 50, 50, 100, 100], nAlgo: 5 });
    expect(parseConfig(ur5Experiment(1, 1), ['--full'])!.config).toMatchObject({ nTraj: [100], nTrajPerIteration: [100, 100, 100, 200, 200] });
    expect(parseConfig(PENDULUM_EXPERIMENT, ['--n-algo', '2', '--n-traj-per-iteration', '4,6'])!.config.nTraj).toEqual([4]);
    expect(() => parseConfig(PENDULUM_EXPERIMENT, ['--n-algo', '3', '--n-traj-per-iteration', '4,6'])).toThrow(/2 values for n_algo = 3/);
    expect(() => parseConfig(PENDULUM_EXPERIMENT, ['--n-algo', '2', '--n-traj-per-iteration', '4,6', '--n-traj-final', '9'])).toThrow(/choose one/);
    expect(() => parseConfig(PENDULUM_EXPERIMENT, ['--n-algo', '2', '--n-traj-per-iteration', '4,6', '--n-traj', '5'])).toThrow(/first value, 4/);
    expect(() => parseConfig(PENDULUM_EXPERIMENT, ['--n-algo', '2', '--n-traj-per-iteration', '4,0'])).toThrow(RangeError);
  });

  it('collects the scheduled number of trajectories at each iteration', async () => {
    const out = mkdtempSync(join(tmpdir(), 'schedule-'));
    const { config } = parseConfig(PENDULUM_EXPERIMENT, [
      '--methods', 'mlp', '--n-algo', '2', '--n-traj-per-iteration', '2,3', '--epochs', '2', '--eval-tasks', '2', '--workers', '1', '--out', out,
    ])!;
    config.mlpHidden = [8, 8];
    await runExperiment(config);
    const json = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as ResultsFile;
    // results.json's seeds are ExperimentRun records (report.ts), typed `unknown` in the file's schema.
    const { collections } = (json.seeds[0] as { runs: ExperimentRun[] }).runs[0]!;
    // Every drawn task is solved cold (and, after the first iteration, warm too); none is rejected here.
    expect(collections['all/0']!.rejected).toBe(0);
    expect(collections['all/0']!.cold).toHaveLength(2);
    expect(collections['mlp/1']!.rejected).toBe(0);
    expect(collections['mlp/1']!.cold).toHaveLength(3);
    expect(readFileSync(join(out, 'results.md'), 'utf8')).toContain('(n_traj 2, 3 over the iterations)');
  }, 60_000);
});

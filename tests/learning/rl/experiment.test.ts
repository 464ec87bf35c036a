/**
 * The RL experiment end to end at its --quick size: both algorithms train, the learning curve
 * and the held-out evaluation land in results.json, results.md and the figure; bad flags are
 * typed errors before anything runs.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RL_STUDY } from '../../../src/experiments/rl.js';
import { runStudy } from '../../../src/experiments/runner/study.js';

describe('src/experiments/rl.ts --quick', () => {
  const root = mkdtempSync(join(tmpdir(), 'rl-study-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it.each(['ppo', 'sac'])('%s on the constrained LQR writes the curve, the held-out table and the figure', async (algo) => {
    const out = join(root, algo);
    const report = await runStudy(RL_STUDY, ['--quick', '--algo', algo, '--task', 'lqr', '--out', out]);
    expect(report).not.toBeNull();
    for (const file of ['config.json', 'results.json', 'results.md', 'learning_curves.svg']) expect(existsSync(join(out, file))).toBe(true);
    const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
    const seed = results.results.seeds[0];
    expect(seed.curve.map((p: { steps: number }) => p.steps)).toEqual([0, 300, 600]);
    expect(seed.simulatorCalls).toBe(600);
    // The solver alone solves the convex LQR; warm-started from the policy it finds the same optimum.
    expect(seed.heldOut.refinedCost.mean).toBeCloseTo(seed.toAlone.cost.mean, 5);
    expect(seed.heldOut.policyCost.mean).toBeGreaterThanOrEqual(seed.toAlone.cost.mean - 1e-9);
    expect(report!.markdown).toContain(`${algo.toUpperCase()} on`);
  });

  it('rejects an unknown algorithm or task, and SAC on a task without bounds needs a positive action box', async () => {
    await expect(runStudy(RL_STUDY, ['--algo', 'ddpg', '--out', join(root, 'x')])).rejects.toThrow(RangeError);
    await expect(runStudy(RL_STUDY, ['--task', 'nope', '--out', join(root, 'y')])).rejects.toThrow(RangeError);
    await expect(runStudy(RL_STUDY, ['--algo', 'sac', '--task', 'unicycle', '--action-bound', '0', '--out', join(root, 'z')])).rejects.toThrow(RangeError);
  });
});

/**
 * The value-learning study end to end (src/experiments/value.ts --quick): every part runs on a
 * tiny budget and writes its tables and figures; bad parameters are refused before anything runs.
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runStudy } from '../../src/experiments/runner/study.js';
import { VALUE_STUDY } from '../../src/experiments/value.js';

describe('value study (--quick)', () => {
  it('runs every part on the pendulum and writes results, tables and figures', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'value-')), 'run');
    const report = await runStudy(VALUE_STUDY, ['--quick', '--out', out]);
    expect(report).not.toBeNull();
    const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')).results;
    expect(results.dvp).toHaveLength(2);
    expect(results.dvp[1].validation.value).toBeGreaterThan(0);
    expect(Number.isFinite(results.dvp[1].bellmanResidual)).toBe(true);
    expect(Object.keys(results.horizons.sweep)).toEqual(['20', '40']);
    expect(results.sobolev.map((r: { samples: number }) => r.samples)).toEqual([5, 10]);
    expect(Object.keys(results.architectures)).toEqual(['gauss-residual', 'feed-forward']);
    // Part ppo: the discounted comparison, finite errors of both estimates, three closed loops with finite costs.
    expect(results.ppo.discount).toBe(0.99);
    for (const row of [results.ppo.grid.dvp, results.ppo.grid.critic]) expect(row.mse).toBeGreaterThan(0);
    expect(results.ppo.dvp).toHaveLength(2);
    expect(results.ppo.trajectories).toHaveLength(3);
    for (const r of results.ppo.trajectories) for (const c of Object.values(r.cost) as number[]) expect(Number.isFinite(c)).toBe(true);
    const md = readFileSync(join(out, 'results.md'), 'utf8');
    for (const heading of ['DVP by iteration', 'Horizon sweep', 'Noisy first dataset', 'Sobolev against classical', 'Gauss-residual against feed-forward', 'Against PPO']) expect(md).toContain(heading);
    for (const f of ['dvp-mse.svg', 'value-truth.svg', 'value-learned.svg', 'value-error.svg', 'horizons-mse.svg', 'horizons-trajectories-value.svg', 'noise.svg', 'sobolev.svg', 'architectures.svg', 'gradients.svg',
      'ppo-difference-truth-dvp.svg', 'ppo-difference-truth-ppo.svg', 'ppo-difference-dvp-ppo.svg', 'ppo-trajectories-0.svg', 'ppo-trajectories-1.svg']) {
      expect(existsSync(join(out, f)), f).toBe(true);
    }
  }, 120_000);

  it('part ppo on a three-dimensional state (the unicycle): the difference maps on a slice through the goal', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'value-')), 'run');
    await runStudy(VALUE_STUDY, ['--quick', '--task', 'unicycle', '--parts', 'ppo', '--grid', '2', '--out', out]);
    const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')).results;
    expect(results.groundTruth).toBeUndefined();
    expect(results.ppo.groundTruth.states).toBe(8);
    expect(results.ppo.map.note).toContain('slice');
    expect(results.ppo.map.critic.mse).toBeGreaterThan(0);
    for (const i of [0, 1, 2]) expect(existsSync(join(out, `ppo-trajectories-${i}.svg`))).toBe(true);
  }, 120_000);

  it('refuses an unknown task or part, and a grid of one point', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'value-')), 'run');
    await expect(runStudy(VALUE_STUDY, ['--quick', '--task', 'pendulum', '--out', out])).rejects.toThrow(/--task/);
    await expect(runStudy(VALUE_STUDY, ['--quick', '--parts', 'dvp,sac', '--out', out])).rejects.toThrow(/unknown part "sac"/);
    await expect(runStudy(VALUE_STUDY, ['--quick', '--discount', '0', '--out', out])).rejects.toThrow(/--discount/);
    await expect(runStudy(VALUE_STUDY, ['--quick', '--grid', '1', '--out', out])).rejects.toThrow(/--grid/);
  });
});

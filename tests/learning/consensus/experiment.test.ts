/**
 * The consensus experiment end to end (--quick on the constrained LQR, two algorithms and the
 * task's default baselines, PPO and SAC, at --quick's tiny budget): the run folder gets its
 * files, the tables name every learner, the baselines are evaluated on the same test instances
 * as the consensus algorithms, and bad flags are clear errors.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CONSENSUS_STUDY } from '../../../src/experiments/consensus.js';
import { runStudy } from '../../../src/experiments/runner/study.js';

describe('experiments/consensus.ts', () => {
  const dir = mkdtempSync(join(tmpdir(), 'consensus-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('--quick on the LQR writes config, results, tables and figures', async () => {
    const out = join(dir, 'run');
    const report = await runStudy(CONSENSUS_STUDY, ['--quick', '--task', 'lqr', '--algorithms', 'PDDP+S,PLAL+M+S', '--workers', '2', '--out', out]);
    expect(report).not.toBeNull();
    for (const name of ['PDDP+S', 'PLAL+M+S', 'PPO', 'SAC']) expect(report!.markdown).toContain(`| ${name} |`);
    const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
    expect(results.results.summary.map((s: { algorithm: string }) => s.algorithm)).toEqual(['PDDP+S', 'PLAL+M+S', 'PPO', 'SAC']);
    // The baselines: no consensus residual, no OC phase row.
    for (const name of ['PPO', 'SAC']) {
      expect(report!.markdown).toMatch(new RegExp(`\\| ${name} \\|[^\\n]*\\| - \\| \\d+ \\|\\n`));
      expect(report!.markdown.split('## The OC phase')[1]).not.toContain(`| ${name} |`);
    }
    const [seed] = results.results.seeds;
    const toAlone = seed.cold.map((c: { cost: number }) => c.cost);
    for (const run of seed.runs.filter((r: { kind: string }) => r.kind === 'baseline')) {
      // --baseline-steps 300 of --quick (PPO collects one whole rollout of 2048); on the LQR a decision is one dynamics step.
      expect(run.steps).toBe(run.algorithm === 'PPO' ? 2048 : 300);
      expect(run.simulatorCalls).toBe(run.steps);
      // The learning curve runs on the test instances: SAC's last point (after its last update, at the run's end) is the mean of the final costs.
      const last = run.curve[run.curve.length - 1];
      if (run.algorithm === 'SAC') expect(last.evalCost).toBeCloseTo(run.finalCosts.reduce((a: number, b: number) => a + b, 0) / run.finalCosts.length, 9);
      // The convex LQR: the solver warm-started from the policy's rollout ends at TO alone's optimum, which the policy cannot beat.
      run.warm.forEach((w: { cost: number }, i: number) => expect(w.cost).toBeCloseTo(toAlone[i], 5));
      run.finalCosts.forEach((c: number, i: number) => expect(c).toBeGreaterThanOrEqual(toAlone[i] - 1e-9));
    }
    // Their sample-efficiency curves end at the final policy, at the run's simulator calls.
    for (const name of ['PPO', 'SAC']) {
      const summary = results.results.summary.find((s: { algorithm: string }) => s.algorithm === name);
      const run = seed.runs.find((r: { algorithm: string }) => r.algorithm === name);
      expect(summary.kind).toBe('baseline');
      expect(summary.curve.simulatorCalls.at(-1)).toBe(run.simulatorCalls);
      expect(summary.curve.testCost.at(-1)).toBeCloseTo(summary.testCost.mean, 9);
    }
    // iteration 0 and the two of --quick, with growing simulator calls
    const curve = results.results.summary[0].curve;
    expect(curve.simulatorCalls).toHaveLength(3);
    expect(curve.simulatorCalls[2]).toBeGreaterThan(curve.simulatorCalls[1]);
    expect(readFileSync(join(out, 'sample-efficiency.svg'), 'utf8')).toContain('<svg');
    expect(readFileSync(join(out, 'cost-gaps.svg'), 'utf8')).toContain('<svg');
    expect(JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')).params.task).toBe('lqr');
    // The OC phases ran on a pool of two workers, which the table's caption and the protocol name.
    expect(results.results.protocol.workers).toBe(2);
    expect(report!.markdown).toContain('in parallel on 2 worker thread(s)');
  }, 120_000);

  it('rejects an unknown task, algorithm or schedule before running', async () => {
    const out = join(dir, 'bad');
    await expect(runStudy(CONSENSUS_STUDY, ['--task', 'cartpole2', '--out', out])).rejects.toThrow(/unknown task/);
    await expect(runStudy(CONSENSUS_STUDY, ['--algorithms', 'PDDP+M', '--out', out])).rejects.toThrow(/\+M needs/);
    await expect(runStudy(CONSENSUS_STUDY, ['--mu-schedule', 'fast', '--out', out])).rejects.toThrow(/mu-schedule/);
    await expect(runStudy(CONSENSUS_STUDY, ['--baselines', 'ddpg', '--out', out])).rejects.toThrow(/--baselines/);
    await expect(runStudy(CONSENSUS_STUDY, ['--baselines', 'ppo,none', '--out', out])).rejects.toThrow(/--baselines/);
    await expect(runStudy(CONSENSUS_STUDY, ['--baseline-steps', '-5', '--out', out])).rejects.toThrow(/--baseline-steps/);
    await expect(runStudy(CONSENSUS_STUDY, ['--workers', '1.5', '--out', out])).rejects.toThrow(/--workers/);
    // No default budget on the double pendulum: the steps must be given.
    await expect(runStudy(CONSENSUS_STUDY, ['--task', 'double-pendulum', '--baselines', 'sac', '--out', out])).rejects.toThrow(/no default budget/);
    // A task without a protocol of its own borrows the pendulum's, but not its baselines (cartpole has no default budget).
    expect(() => CONSENSUS_STUDY.check!({ ...CONSENSUS_STUDY.defaults, task: 'cartpole' })).not.toThrow();
  });

  it('--baselines none leaves the consensus algorithms alone', async () => {
    const out = join(dir, 'none');
    const report = await runStudy(CONSENSUS_STUDY, ['--quick', '--task', 'lqr', '--algorithms', 'PODS', '--baselines', 'none', '--workers', '1', '--out', out]);
    const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
    expect(results.results.summary.map((s: { algorithm: string }) => s.algorithm)).toEqual(['PODS']);
    expect(report!.markdown).not.toContain('| PPO |');
  }, 60_000);
});

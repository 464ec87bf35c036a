/**
 * The consensus experiment end to end (--quick on the constrained LQR, two algorithms): the
 * run folder gets its files, the tables name every algorithm, and bad flags are clear errors.
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
    const report = await runStudy(CONSENSUS_STUDY, ['--quick', '--task', 'lqr', '--algorithms', 'PDDP+S,PLAL+M+S', '--out', out]);
    expect(report).not.toBeNull();
    for (const name of ['PDDP+S', 'PLAL+M+S']) expect(report!.markdown).toContain(`| ${name} |`);
    const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
    expect(results.results.summary.map((s: { algorithm: string }) => s.algorithm)).toEqual(['PDDP+S', 'PLAL+M+S']);
    // iteration 0 and the two of --quick, with growing simulator calls
    const curve = results.results.summary[0].curve;
    expect(curve.simulatorCalls).toHaveLength(3);
    expect(curve.simulatorCalls[2]).toBeGreaterThan(curve.simulatorCalls[1]);
    expect(readFileSync(join(out, 'sample-efficiency.svg'), 'utf8')).toContain('<svg');
    expect(readFileSync(join(out, 'cost-gaps.svg'), 'utf8')).toContain('<svg');
    expect(JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')).params.task).toBe('lqr');
  }, 120_000);

  it('rejects an unknown task, algorithm or schedule before running', async () => {
    const out = join(dir, 'bad');
    await expect(runStudy(CONSENSUS_STUDY, ['--task', 'cartpole2', '--out', out])).rejects.toThrow(/unknown task/);
    await expect(runStudy(CONSENSUS_STUDY, ['--algorithms', 'PDDP+M', '--out', out])).rejects.toThrow(/\+M needs/);
    await expect(runStudy(CONSENSUS_STUDY, ['--mu-schedule', 'fast', '--out', out])).rejects.toThrow(/mu-schedule/);
  });
});

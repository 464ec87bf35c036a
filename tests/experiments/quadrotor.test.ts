/**
 * The quadrotor experiment end to end on a tiny configuration of the 1-column layout: it
 * completes, writes every output with the constraint columns (violations, final distances,
 * solve seconds cold and warm) in results.json and results.md, the policies are conditioned on
 * the goal and observe the 12-number encoding, and top_down.svg draws the Fig. 4 grid. The
 * command line maps --columns to the registered layouts and --full to the paper's protocol.
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadPolicy } from '../../src/diffusion/index.js';
import { parseColumns, quadrotorExperiment, runQuadrotor } from '../../src/experiments/quadrotor.js';
import type { ResultsFile } from '../../src/experiments/runner/report.js';

describe('quadrotor experiment', () => {
  it('maps --columns to the layouts, and --full to the paper\'s protocol per layout', () => {
    expect(parseColumns(['--quick', '--columns', '3,9', '--seeds', '2'])).toEqual({ columns: [3, 9], rest: ['--quick', '--seeds', '2'] });
    expect(parseColumns([]).columns).toEqual([0, 1]);
    expect(() => parseColumns(['--columns', '2'])).toThrow(/any of 0, 1, 3, 9/);
    expect(() => parseColumns(['--columns', '1,1'])).toThrow(/twice/);
    expect(() => parseColumns(['--columns=1', '--task', 'quadrotor'])).toThrow(/drop --task/);
    expect(quadrotorExperiment(9).task).toBe('quadrotor-9-columns');
    expect(quadrotorExperiment(9).full).toMatchObject({ nAlgo: 5, nTraj: [30], nTrajFinal: 100, epochs: [10_000] });
    expect(quadrotorExperiment(3).full).toMatchObject({ nAlgo: 1, nTraj: [50], epochs: [20_000] });
    expect(quadrotorExperiment(0).defaults.alphaSob).toBe(1e-3);
  });

  it('runs the 1-column layout on a tiny configuration and reports the constraints', async () => {
    const out = mkdtempSync(join(tmpdir(), 'quadrotor-'));
    const { runs } = await runQuadrotor([
      '--columns', '1', '--n-traj', '2', '--epochs', '1', '--eval-tasks', '2', '--unet-dims', '8,8', '--max-iterations', '60', '--workers', '1', '--out', out,
    ]);
    expect(runs.map((r) => r.columns)).toEqual([1]);
    const folder = join(out, 'columns-1');
    for (const file of ['config.json', 'results.json', 'results.md']) expect(existsSync(join(folder, file)), file).toBe(true);
    const json = JSON.parse(readFileSync(join(folder, 'results.json'), 'utf8')) as ResultsFile;
    expect(json.config.task).toBe('quadrotor-1-column');
    expect(json.summary.map((r) => r.method)).toEqual(['sob-diff', 'diff']);
    for (const row of json.summary) {
      const c = row.constraints!;
      expect(c.violation.policy.mean).toBeGreaterThanOrEqual(0);
      expect(c.violation.cold.mean).toBeLessThanOrEqual(1e-4);
      expect(c.finalDistance.cold.mean).toBeLessThan(0.05);
      expect(row.solveSeconds.cold.mean).toBeGreaterThan(0);
      expect(row.solveSeconds.warm.mean).toBeGreaterThan(0);
      // The thrust decoding counts its bound hits (tasks/free-flyer-actions.ts).
      expect(c.saturatedDecodes).toBeGreaterThanOrEqual(0);
      expect(c.saturatedDecodes).toBeLessThanOrEqual(1);
    }
    expect(json.toAlone!.constraints!.violatedRate).toBe(0);
    expect(readFileSync(join(folder, 'results.md'), 'utf8')).toMatch(/max violation, policy/);
    // Conditioned on the goal (3), observing the encoded state (12).
    const policy = loadPolicy(join(folder, 'policy-seed0-n2-e1-it0-sob-diff.safetensors'));
    expect(policy.geometry.taskDim).toBe(3);
    expect(policy.unet.actionDim).toBe(12);
    const svg = readFileSync(join(out, 'top_down.svg'), 'utf8');
    expect(svg).toMatch(/Sob\+Diff/);
    // One column of three panels, each with its column (disc and dashed margin) and two paths.
    expect(svg.match(/<polyline/g)?.length).toBe(3 * 2);
    expect(svg.match(/stroke-dasharray="3 2"/g)?.length).toBe(3);
    // --resume (here of the finished run: its trainings are loaded) finds the layout from the saved
    // task, whatever --columns says, and draws that layout's figure in its own folder.
    const resumed = await runQuadrotor(['--resume', folder, '--workers', '1']);
    expect(resumed.runs.map((r) => r.columns)).toEqual([1]);
    expect(readFileSync(join(folder, 'top_down.svg'), 'utf8').match(/<polyline/g)?.length).toBe(3 * 2);
  }, 120_000); // about 10 s of CPU; the margin is for a machine shared with other jobs
});

/**
 * The UR5 experiment end to end on a tiny configuration of the random-target variant
 * UR5(0, 1), the one whose policies are conditioned on the instance's target (Task.condition):
 * it completes and writes every output, the diffusion policies (in their condition) and the MLPs
 * (appended to the state) are trained with the target and rolled out with it, and --variant maps to the registered task.
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadPolicy } from '../../src/diffusion/index.js';
import { parseConfig } from '../../src/experiments/runner/config.js';
import type { ResultsFile } from '../../src/experiments/runner/report.js';
import { loadArtifact } from '../../src/experiments/runner/run-folder.js';
import { runExperiment } from '../../src/experiments/runner/runner.js';
import { PENDULUM_EXPERIMENT } from '../../src/experiments/pendulum.js';
import { parseVariant, ur5Experiment } from '../../src/experiments/ur5.js';

describe('ur5 experiment', () => {
  it('maps --variant r_init,r_tgt to the task, and rejects a malformed one', () => {
    const { rInit, rTgt, rest } = parseVariant(['--quick', '--variant', '1,1', '--seeds', '2']);
    expect([rInit, rTgt, rest]).toEqual([1, 1, ['--quick', '--seeds', '2']]);
    expect(ur5Experiment(rInit, rTgt).task).toBe('ur5-random');
    expect(parseVariant([]).rTgt).toBe(0);
    expect(() => parseVariant(['--variant', '2,0'])).toThrow(/r_init,r_tgt/);
    expect(() => parseVariant(['--variant=1,0', '--task', 'ur5'])).toThrow(/drop --task/);
    expect(ur5Experiment(1, 1).full.nTraj).toEqual([100]);
  });

  it('trains on chunks that hold the end by default; --chunk-end trim turns it off; torque tasks refuse it', () => {
    const parse = (argv: string[]) => parseConfig(ur5Experiment(), [...argv, '--out', mkdtempSync(join(tmpdir(), 'ur5-'))])!.config;
    expect(parse([]).holdEnd).toBe(true);
    expect(parse(['--chunk-end', 'trim']).holdEnd).toBe(false);
    expect(() => parse(['--chunk-end', 'pad'])).toThrow(/hold or trim/);
    expect(() => parseConfig(PENDULUM_EXPERIMENT, ['--chunk-end', 'hold'])).toThrow(/plans torques/);
  });

  it('runs UR5(0, 1) on a tiny configuration, its policies conditioned on the target', async () => {
    const out = mkdtempSync(join(tmpdir(), 'ur5-'));
    const { config } = parseConfig(ur5Experiment(0, 1), [
      '--n-traj', '2', '--epochs', '2', '--eval-tasks', '2', '--th', '8', '--ta', '4', '--eval-ta', '7', '--workers', '1', '--out', out,
    ])!;
    config.unetDownDims = [8, 8];
    config.mlpHidden = [16, 16];
    await runExperiment(config);
    for (const file of ['config.json', 'results.json', 'results.md']) expect(existsSync(join(out, file)), file).toBe(true);
    // Fig. 3's end-effector paths: TO alone and one row per method, in three projections.
    const paths = readFileSync(join(out, 'end_effector_paths.svg'), 'utf8');
    for (const row of ['TO alone', 'Sob+Diff', 'Diff', 'MLP', 'Sob+MLP', 'from above (x, y)', 'from the side (y, z)']) expect(paths).toContain(`>${row}<`);
    const json = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as ResultsFile;
    expect(json.config.task).toBe('ur5-random-target');
    expect(json.summary.filter((r) => r.method === 'sob-diff').map((r) => r.actionsPerPlan)).toEqual([4, 7]);
    expect(Number.isFinite(json.toAlone!.cost.mean)).toBe(true);
    // The trained policy's condition: the 3 target coordinates, then the observed state (12).
    const policy = loadPolicy(join(out, 'policy-seed0-n2-e2-it0-sob-diff.safetensors'));
    expect(policy.geometry.taskDim).toBe(3);
    // The MLPs take the target appended to the state.
    const mlp = loadArtifact(join(out, 'artifact-seed0-n2-e2-it0-sob-mlp.safetensors'));
    expect(mlp?.kind === 'mlp' ? mlp.policy.config.conditionDim : undefined).toBe(3);
  }, 60_000);
});

/**
 * Runs that never lose work (issue 16): a tiny experiment is killed at a random moment, once
 * with SIGKILL (no chance to clean up) and once with SIGINT (Ctrl-C); afterwards every stored
 * checkpoint, policy and artifact in its folder is whole, and `--resume` completes the run
 * with the same results, task by task, as a run that was never interrupted.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/autodiff/index.js';
import { loadPolicy } from '../../src/diffusion/index.js';
import { parseConfig } from '../../src/experiments/runner/config.js';
import { PENDULUM_EXPERIMENT } from '../../src/experiments/pendulum.js';
import type { ResultsFile } from '../../src/experiments/runner/report.js';
import { runExperiment } from '../../src/experiments/runner/runner.js';
import { loadArtifact } from '../../src/experiments/runner/run-folder.js';

const SEED = 20_261_202;
const FLAGS = [
  '--n-traj', '2', '--epochs', '400', '--eval-tasks', '3', '--n-algo', '2', '--th', '16', '--ta', '8',
  '--methods', 'sob-diff,mlp', '--unet-dims', '8,8', '--mlp-hidden', '16,16', '--workers', '1',
];

async function runInProcess(argv: string[]): Promise<ResultsFile> {
  const { config, mode } = parseConfig(PENDULUM_EXPERIMENT, argv)!;
  await runExperiment(config, mode);
  return JSON.parse(readFileSync(join(config.out, 'results.json'), 'utf8'));
}

/** Start the experiment as its own process (the way a user runs it) and send it `signal` after `delayMs`. */
function runAndStop(out: string, signal: NodeJS.Signals, delayMs: number): Promise<number | null> {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'src/experiments/pendulum.ts', ...FLAGS, '--out', out], { stdio: 'ignore' });
  const timer = setTimeout(() => child.kill(signal), delayMs);
  return new Promise((resolve) => child.on('exit', (code) => {
    clearTimeout(timer);
    resolve(code);
  }));
}

/** What must not depend on interruptions: every cost, iteration count and collection. */
function deterministicPart(r: ResultsFile) {
  type Seed = { toAlone: { perTask: { cost: number[]; iterations: number[] } }; runs: { evaluations: { iteration: number; methods: Record<string, { perTask: unknown }> }[]; collections: unknown }[] };
  return (r.seeds as Seed[]).map((s) => ({
    toAlone: s.toAlone.perTask.cost,
    iterations: s.toAlone.perTask.iterations,
    runs: s.runs.map((run) => ({
      collections: run.collections,
      evaluations: run.evaluations.map((e) => Object.fromEntries(Object.entries(e.methods).map(([m, v]) => {
        const { policyCost, refinedCost, iterations, converged } = v.perTask as Record<string, unknown>;
        return [`${e.iteration}/${m}`, { policyCost, refinedCost, iterations, converged }];
      }))),
    })),
  }));
}

/** Every training file left in the folder loads (a killed write leaves at most a *.tmp beside intact files). */
function expectStoredFilesWhole(dir: string): void {
  for (const name of readdirSync(dir)) {
    if (/^policy-.*\.safetensors$/.test(name)) expect(() => loadPolicy(join(dir, name)), name).not.toThrow();
    if (/^artifact-.*\.safetensors$/.test(name)) expect(loadArtifact(join(dir, name)), name).not.toBeNull();
  }
}

describe('interrupted experiments', () => {
  it('resume after SIGKILL and after SIGINT at random moments, with the results of an uninterrupted run', async () => {
    const rng = new Rng(SEED);
    const t0 = performance.now();
    const reference = await runInProcess([...FLAGS, '--out', mkdtempSync(join(tmpdir(), 'uninterrupted-'))]);
    const runMs = performance.now() - t0;
    for (const signal of ['SIGKILL', 'SIGINT'] as const) {
      const out = mkdtempSync(join(tmpdir(), `interrupted-${signal}-`));
      // A moment inside the run on this machine: the child's start-up (~1 s), then 15 % to 75 % of the run.
      const delayMs = Math.round(1000 + (0.15 + 0.6 * rng.nextFloat()) * runMs);
      const code = await runAndStop(out, signal, delayMs);
      const context = `seed ${SEED}, ${signal} after ${delayMs} ms (exit ${code})`;
      expect(code, `${context}: the signal came after the run had finished`).not.toBe(0);
      expect(existsSync(join(out, 'config.json')), context).toBe(true);
      expectStoredFilesWhole(out);
      const resumed = await runInProcess(['--resume', out]);
      expect(resumed.interrupted, context).toBe(false);
      expect(deterministicPart(resumed), context).toEqual(deterministicPart(reference));
    }
    // About four runs of the tiny experiment: 47 s alone beside a --full run, past 120 s with a test suite beside it too.
  }, 300_000);

  it('refuses a non-empty output folder unless --force or --resume, and --resume with other flags', async () => {
    const out = mkdtempSync(join(tmpdir(), 'reuse-'));
    await runInProcess(['--n-traj', '1', '--epochs', '1', '--eval-tasks', '1', '--methods', 'mlp', '--mlp-hidden', '4', '--workers', '1', '--out', out]);
    const again = ['--n-traj', '1', '--epochs', '1', '--eval-tasks', '1', '--methods', 'mlp', '--mlp-hidden', '4', '--workers', '1', '--out', out];
    await expect(runInProcess(again)).rejects.toThrow(/is not empty .*--force.*--resume/);
    const forced = await runInProcess([...again, '--force']);
    expect(forced.interrupted).toBe(false);
    expect(() => parseConfig(PENDULUM_EXPERIMENT, ['--resume', out, '--epochs', '5'])).toThrow(/--resume continues a run with its own configuration: drop --epochs/);
    expect(() => parseConfig(PENDULUM_EXPERIMENT, ['--resume', join(out, 'nowhere')])).toThrow(/cannot read/);
  }, 60_000);
});

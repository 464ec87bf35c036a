/**
 * Merging runs seed by seed (runner/merge.ts): runs of seed 0 and of seed 1 merged give the
 * results of one run of seeds 0 and 1 (the same summary rows, but for the seconds, which each
 * run measures on its own; the same rollout figures), a split of one run's results merges back
 * to exactly its report (infinite costs included), and bad input is a clear error.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { PENDULUM_EXPERIMENT } from '../../src/experiments/pendulum.js';
import { parseConfig } from '../../src/experiments/runner/config.js';
import { mergeRuns, reviveNonFinite } from '../../src/experiments/runner/merge.js';
import { type ExperimentResults, type ResultsFile, type SummaryRow, writeReport } from '../../src/experiments/runner/report.js';
import { atomicWrite } from '../../src/experiments/runner/run-folder.js';
import { runExperiment } from '../../src/experiments/runner/runner.js';
import { stats } from '../../src/learning/evaluate.js';
import { taskByName } from '../../src/tasks/index.js';

const FLAGS = ['--methods', 'mlp,sob-mlp', '--n-traj', '1', '--epochs', '2', '--eval-tasks', '3', '--mlp-hidden', '8', '--workers', '1'];
const temp = (name: string) => mkdtempSync(join(tmpdir(), `merge-${name}-`));

async function run(seeds: string): Promise<{ dir: string; results: ExperimentResults }> {
  const dir = temp(`seeds-${seeds}`);
  const { config } = parseConfig(PENDULUM_EXPERIMENT, [...FLAGS, '--seeds', seeds, '--out', dir])!;
  return { dir, results: await runExperiment(config) };
}

const readResults = (dir: string) => JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as ResultsFile;

/** A summary row without the seconds: each run measures its own. */
function withoutSeconds({ solveSeconds: _s, rolloutSeconds: _r, ...row }: SummaryRow) {
  return row;
}

/** A copy of a run folder with its results.json (or config.json) edited. */
function edited(dir: string, file: 'results.json' | 'config.json', edit: (json: Record<string, unknown>) => void): string {
  const copy = temp('edited');
  cpSync(dir, copy, { recursive: true });
  const json = JSON.parse(readFileSync(join(copy, file), 'utf8'));
  edit(json);
  writeFileSync(join(copy, file), JSON.stringify(json));
  return copy;
}

describe('merging runs seed by seed', () => {
  let both: Awaited<ReturnType<typeof run>>;
  let seed0: string;
  let seed1: string;
  beforeAll(async () => {
    both = await run('0,1');
    seed0 = (await run('0')).dir;
    seed1 = (await run('1')).dir;
  }, 60_000);

  it('runs of seed 0 and of seed 1, merged, give the summary of one run of seeds 0 and 1', () => {
    const out = join(temp('out'), 'merged');
    const { copiedFigures, skippedFigures } = mergeRuns([seed1, seed0], out);
    const merged = readResults(out);
    const expected = readResults(both.dir);
    expect(merged.config.seeds).toEqual([0, 1]);
    expect(merged.summary.map((r) => r.seeds)).toEqual([2, 2]);
    expect(merged.summary.map(withoutSeconds)).toEqual(expected.summary.map(withoutSeconds));
    const { solveSeconds: _, ...toAlone } = merged.toAlone!;
    const { solveSeconds: __, ...expectedToAlone } = expected.toAlone!;
    expect(toAlone).toEqual(expectedToAlone);
    expect([merged.interrupted, merged.finished !== null]).toEqual([false, true]);
    // The rollout figures show seed 0, copied from its run: the same as one run's.
    expect(skippedFigures).toEqual([]);
    expect(copiedFigures).toEqual(['trajectories_mlp.svg', 'controls_mlp.svg', 'stroboscope_mlp.svg', 'trajectories_sob-mlp.svg', 'controls_sob-mlp.svg',
      'stroboscope_sob-mlp.svg', 'stroboscope_to-alone.svg']);
    for (const name of [...copiedFigures, 'cost_vs_ntraj.svg', 'solver_iterations.svg']) {
      expect(readFileSync(join(out, name), 'utf8'), name).toBe(readFileSync(join(both.dir, name), 'utf8'));
    }
    const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
    expect(config.provenance.mergedFrom.map((r: { folder: string; seeds: number[] }) => [r.folder, r.seeds])).toEqual([[seed1, [1]], [seed0, [0]]]);
    expect(config.provenance.mergedFrom[0].provenance.workers).toBe(1);
    expect(readFileSync(join(out, 'results.md'), 'utf8')).toMatch(/averaged over 2 seed\(s\)[\s\S]*Merged from 2 run\(s\)/);
    // A merged folder is no run to continue.
    expect(() => parseConfig(PENDULUM_EXPERIMENT, ['--resume', out])).toThrow(/holds merged runs/);
  });

  it('a run split into its seeds merges back to exactly its report, infinite costs included', () => {
    const task = taskByName('pendulum');
    const results = structuredClone(both.results);
    // A diverged rollout in seed 1: its cost is infinite, null in results.json.
    const mlp = results.seeds[1].runs[0].evaluations[0].methods.mlp!;
    mlp.perTask.policyCost[0] = Infinity;
    mlp.policyCost = stats(mlp.perTask.policyCost);
    const write = (dir: string, results: ExperimentResults) => {
      atomicWrite(join(dir, 'config.json'), JSON.stringify({ ...results.config, out: dir, provenance: {} }));
      writeReport(dir, task, { ...results, config: { ...results.config, out: dir } });
    };
    const reference = temp('reference');
    write(reference, results);
    const parts = results.seeds.map((seed) => {
      const dir = temp(`part-${seed.seed}`);
      write(dir, { ...results, config: { ...results.config, seeds: [seed.seed] }, seeds: [seed] });
      return dir;
    });
    const out = temp('out');
    mergeRuns(parts, out, 'force');
    const merged = readResults(out);
    const expected = readResults(reference);
    expect(merged.summary.find((r) => r.method === 'mlp')!.policyCost.mean).toBe(null);
    expect([merged.summary, merged.toAlone, merged.seeds]).toEqual([expected.summary, expected.toAlone, expected.seeds]);
    const markdown = readFileSync(join(out, 'results.md'), 'utf8');
    expect(markdown).toMatch(/\| MLP \| 1 \| inf \(/);
    expect(markdown.startsWith(readFileSync(join(reference, 'results.md'), 'utf8'))).toBe(true);
  });

  it('reads results.json\'s nulls back as infinities, but a task without a goal\'s final distances as NaN', () => {
    const stored = { cost: { mean: null, median: 3 }, finalDistance: { mean: null, median: null }, perTask: { cost: [1, null], finalDistance: [null] } };
    expect(reviveNonFinite(stored, { goalDistance: undefined })).toEqual(
      { cost: { mean: Infinity, median: 3 }, finalDistance: { mean: NaN, median: NaN }, perTask: { cost: [1, Infinity], finalDistance: [NaN] } });
    expect(reviveNonFinite(stored, { goalDistance: () => 0 })).toEqual(
      { cost: { mean: Infinity, median: 3 }, finalDistance: { mean: Infinity, median: Infinity }, perTask: { cost: [1, Infinity], finalDistance: [Infinity] } });
  });

  it('bad input is a clear error', () => {
    const out = () => join(temp('out'), 'merged');
    const fails = (dirs: string[], message: RegExp, into = out()) => expect(() => mergeRuns(dirs, into)).toThrow(message);
    fails([], /no run folders/);
    fails([seed0, join(seed1, 'absent')], /results\.json is missing/);
    const corrupt = edited(seed1, 'results.json', () => {});
    writeFileSync(join(corrupt, 'results.json'), '{"seeds": [');
    fails([seed0, corrupt], /is not valid JSON/);
    fails([seed0, edited(seed1, 'results.json', (r) => { r.interrupted = true; })], /was interrupted; finish it first \(--resume/);
    fails([seed0, edited(seed1, 'results.json', (r) => { r.finished = null; })], /has not finished/);
    fails([seed0, edited(seed1, 'results.json', (r) => { r.seeds = [{}]; })], /seed entry 0 is not a seed's results/);
    fails([seed0, edited(seed1, 'results.json', (r) => { (r.config as { epochs: number[] }).epochs = [3]; })], /differ in more than their seeds: epochs: \[2\] vs \[3\]/);
    fails([seed0, edited(seed1, 'config.json', (c) => { c.task = 'double-pendulum'; })], /config\.json .* and results\.json .* disagree/);
    fails([seed0, both.dir], /seed 0 appears twice/);
    fails([seed0, seed0], /given twice/);
    fails([seed0, seed1], /is one of the runs merged/, seed1);
    const occupied = temp('occupied');
    writeFileSync(join(occupied, 'notes.txt'), 'not a run');
    fails([seed0, seed1], /is not empty/, occupied);
    // Runs of another experiment or task, with an otherwise equal configuration.
    const other = edited(seed1, 'results.json', (r) => { r.task = 'pendulum-wide'; (r.config as { task: string }).task = 'pendulum-wide'; });
    const otherConfig = join(other, 'config.json');
    writeFileSync(otherConfig, JSON.stringify({ ...JSON.parse(readFileSync(otherConfig, 'utf8')), task: 'pendulum-wide' }));
    fails([seed0, other], /is a run of pendulum on pendulum-wide/);
  });

  it('the script merges from the command line, and reports bad input on stderr with exit status 1', () => {
    const out = join(temp('cli'), 'merged');
    const cli = (args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', 'src/experiments/merge.ts', ...args], { encoding: 'utf8' });
    const ok = cli(['--out', out, seed0, seed1]);
    expect(ok.status, ok.stderr).toBe(0);
    expect(ok.stdout).toContain('merged seeds [0,1] of 2 run(s)');
    expect(existsSync(join(out, 'results.json'))).toBe(true);
    const bad = cli([seed0, seed1]);
    expect([bad.status, bad.stderr.trim()]).toEqual([1, '--out DIR: where to write the merged run (see --help)']);
  });
});

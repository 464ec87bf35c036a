/**
 * Merge runs of one experiment that differ only in their seeds into the folder one run with
 * all those seeds would have written. The paper's protocols (`--full`) take longer than a
 * working session, but their seeds are independent (runner.ts: a seed's instances, trainings
 * and rollouts depend on that seed alone), so each seed can run on its own (`--seeds 0`,
 * `--seeds 1`, ...) and be merged afterwards:
 *
 *   npx tsx src/experiments/merge.ts --out DIR RUN_DIR RUN_DIR ...
 *
 * Each run must be complete (neither interrupted nor stopped before its end: `--resume` it
 * first), of the same experiment and task, with the same configuration but for its seeds and
 * how it ran (`RUN_LOGISTICS`: folder, worker threads, job queue, the checkpoints it kept),
 * and no seed may appear twice. The merged results are the runs' seeds, in increasing order,
 * reported by the same `writeReport` as a run's, so the summary equals that of one run with
 * those seeds (but for the seconds, which are each run's own measurements). config.json
 * records every run's provenance (commit, Node, workers), which may differ.
 *
 * results.json does not keep the rollouts and solutions, so the figures drawn from them
 * (report.ts rolloutFigures: the first seed's trajectories, stroboscopes, end-effector paths)
 * are copied from the folder of the run whose first seed is the merged first seed, or, where
 * that folder lacks one, skipped, with a line in results.md saying so.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type Task, taskByName } from '../../tasks/index.js';
import type { ExperimentConfig, StartMode } from './config.js';
import { type ExperimentResults, type ResultsFile, type StoredSeedResults, rolloutFigures, writeReport } from './report.js';
import { atomicWrite, codeProvenance, prepareFolder } from './run-folder.js';

/** Configuration fields that say how a run ran, not what it computed: they may differ between merged runs. */
export const RUN_LOGISTICS: readonly (keyof ExperimentConfig)[] = ['seeds', 'out', 'workers', 'queue', 'keepCheckpoints'];

/** A finished run as its folder holds it. */
interface StoredRunFolder {
  dir: string;
  results: ResultsFile;
  /** config.json's provenance (commit, Node, workers, network sizes), or null where it has none. */
  provenance: unknown;
}

export interface MergeOutcome {
  results: ExperimentResults<StoredSeedResults>;
  /** Figures drawn from rollouts, copied from the first seed's run folder. */
  copiedFigures: string[];
  /** Figures drawn from rollouts that the first seed's run folder lacks (or no run starts with the merged first seed). */
  skippedFigures: string[];
}

function readJson(path: string, what: string): unknown {
  if (!existsSync(path)) throw new RangeError(`merge: ${what}: ${path} is missing (not a run folder?)`);
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new RangeError(`merge: ${what}: ${path} is not valid JSON (${error instanceof Error ? error.message : String(error)})`);
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A run folder's results.json and config.json, checked to be a complete run whose seeds are those its configuration names. */
function readRunFolder(dir: string): StoredRunFolder {
  const results = readJson(join(dir, 'results.json'), dir);
  const saved = readJson(join(dir, 'config.json'), dir);
  if (!isObject(results) || !isObject(results.config) || !Array.isArray(results.seeds) || typeof results.interrupted !== 'boolean' || !('finished' in results)) {
    throw new RangeError(`merge: ${dir}: results.json is not an experiment's results (config, seeds, interrupted, finished)`);
  }
  if (!isObject(saved)) throw new RangeError(`merge: ${dir}: config.json is not a configuration`);
  const file = results as unknown as ResultsFile;
  if (saved.experiment !== file.experiment || saved.task !== file.task) {
    throw new RangeError(`merge: ${dir}: config.json (${String(saved.experiment)}, task ${String(saved.task)}) and results.json (${file.experiment}, task ${file.task}) disagree`);
  }
  if (file.interrupted) throw new RangeError(`merge: ${dir}: the run was interrupted; finish it first (--resume ${dir})`);
  if (file.finished === null) throw new RangeError(`merge: ${dir}: the run has not finished (still running, or stopped before its end); finish it first (--resume ${dir})`);
  const shapeless = file.seeds.findIndex((s) => !isObject(s) || typeof s.seed !== 'number' || !isObject(s.toAlone) || !Array.isArray(s.runs));
  if (shapeless >= 0) throw new RangeError(`merge: ${dir}: results.json's seed entry ${shapeless} is not a seed's results (seed, toAlone, runs)`);
  const seeds = (file.seeds as { seed: number }[]).map((s) => s.seed);
  if (JSON.stringify(seeds) !== JSON.stringify(file.config.seeds)) {
    throw new RangeError(`merge: ${dir}: results.json holds seeds [${seeds}], its configuration names [${file.config.seeds}]`);
  }
  return { dir, results: file, provenance: saved.provenance ?? null };
}

/** The configuration fields, other than RUN_LOGISTICS, in which two runs differ, as "name: a vs b". */
function protocolDifferences(a: ExperimentConfig, b: ExperimentConfig): string[] {
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])] as (keyof ExperimentConfig)[];
  return keys.filter((k) => !RUN_LOGISTICS.includes(k) && JSON.stringify(a[k]) !== JSON.stringify(b[k]))
    .map((k) => `${k}: ${JSON.stringify(a[k])} vs ${JSON.stringify(b[k])}`);
}

/**
 * results.json writes every non-finite number as null. In a seed's raw results each is an
 * infinity (a diverged rollout's or a failed solve's cost, violation or final distance), but
 * the final distance of a task without a goal, which is NaN (no distance at all).
 */
export function reviveNonFinite(value: unknown, task: Pick<Task, 'goalDistance'>, underFinalDistance = false): unknown {
  if (value === null) return underFinalDistance && task.goalDistance === undefined ? NaN : Infinity;
  if (Array.isArray(value)) return value.map((v) => reviveNonFinite(v, task, underFinalDistance));
  if (isObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, reviveNonFinite(v, task, underFinalDistance || k === 'finalDistance')]));
  return value;
}

/** Check that the runs can be merged: one experiment and task, one protocol, no seed twice. */
function checkMergeable(runs: readonly StoredRunFolder[]): void {
  const [first, ...rest] = runs;
  const { experiment, task } = first.results;
  const seen = new Map<number, string>();
  for (const run of runs) {
    if (run.results.experiment !== experiment || run.results.task !== task) {
      throw new RangeError(`merge: ${run.dir} is a run of ${run.results.experiment} on ${run.results.task}, ${first.dir} of ${experiment} on ${task}`);
    }
    for (const seed of run.results.config.seeds) {
      const other = seen.get(seed);
      if (other !== undefined) throw new RangeError(`merge: seed ${seed} appears twice (${other} and ${run.dir})`);
      seen.set(seed, run.dir);
    }
  }
  for (const run of rest) {
    const differences = protocolDifferences(first.results.config, run.results.config);
    if (differences.length > 0) throw new RangeError(`merge: ${run.dir} and ${first.dir} differ in more than their seeds: ${differences.join('; ')}`);
  }
}

/**
 * Merge the complete runs in `runDirs` into `out` (new or empty, or cleared with mode
 * 'force'): config.json, results.json, results.md and the figures. Bad input (a missing or
 * corrupt file, an unfinished run, another protocol, a seed twice) is a RangeError naming it.
 */
export function mergeRuns(runDirs: readonly string[], out: string, mode: Exclude<StartMode, 'resume'> = 'fresh'): MergeOutcome {
  if (runDirs.length === 0) throw new RangeError('merge: no run folders given');
  const inputs = new Set(runDirs.map((d) => resolve(d)));
  if (inputs.size < runDirs.length) throw new RangeError('merge: a run folder is given twice');
  if (inputs.has(resolve(out))) throw new RangeError(`merge: --out ${out} is one of the runs merged`);
  const runs = runDirs.map(readRunFolder);
  checkMergeable(runs);
  const task = taskByName(runs[0].results.task);
  const seeds = runs.flatMap((run) => reviveNonFinite(run.results.seeds, task) as StoredSeedResults[]).sort((a, b) => a.seed - b.seed);
  const config: ExperimentConfig = { ...runs[0].results.config, seeds: seeds.map((s) => s.seed), out };
  prepareFolder(out, mode);
  atomicWrite(join(out, 'config.json'), `${JSON.stringify({
    ...config,
    provenance: {
      mergedFrom: runs.map(({ dir, results, provenance }) => ({
        folder: dir, seeds: results.config.seeds, started: results.started, finished: results.finished,
        workers: results.config.workers, queue: results.config.queue, provenance,
      })),
      mergedWith: codeProvenance(),
    },
  }, null, 2)}\n`);
  const results: ExperimentResults<StoredSeedResults> = {
    config,
    started: runs.map((r) => r.results.started).sort()[0],
    finished: runs.map((r) => r.results.finished!).sort().at(-1)!,
    interrupted: false,
    seeds,
  };
  writeReport(out, task, results);

  // The figures drawn from rollouts show the first seed, as they would in one run with every seed.
  const source = runs.find((r) => (r.results.seeds as StoredSeedResults[])[0]?.seed === seeds[0].seed);
  const copiedFigures: string[] = [];
  const skippedFigures: string[] = [];
  for (const name of rolloutFigures(task, config.methods)) {
    const from = source && join(source.dir, name);
    if (from && existsSync(from)) {
      atomicWrite(join(out, name), readFileSync(from));
      copiedFigures.push(name);
    } else {
      skippedFigures.push(name);
    }
  }
  const notes = [
    `Merged from ${runs.length} run(s): ${runs.map((r) => `${r.dir} (seeds ${r.results.config.seeds.join(', ')})`).join('; ')}.`,
  ];
  if (copiedFigures.length > 0) notes.push(`Figures drawn from seed ${seeds[0].seed}'s rollouts, copied from ${source!.dir}: ${copiedFigures.join(', ')}.`);
  if (skippedFigures.length > 0) {
    notes.push(`Not drawn (results.json keeps no rollouts, and ${source ? `${source.dir} lacks them` : `no merged run starts with seed ${seeds[0].seed}`}): ${skippedFigures.join(', ')}.`);
  }
  const markdown = readFileSync(join(out, 'results.md'), 'utf8');
  atomicWrite(join(out, 'results.md'), `${markdown}\n${notes.join('\n\n')}\n`);
  return { results, copiedFigures, skippedFigures };
}

/**
 * An experiment's outputs, the same for every task: results.json (every run, and a summary;
 * the schema is `ResultsFile` below), results.md (the table), and SVG plots: the mean cost
 * against n_traj per method (the main paper's Fig. 1), histograms of solver iterations cold
 * and warm, and trajectories of a few held-out instances per method. Written atomically
 * (temporary file, then rename) after every completed run and at the end, so an
 * interrupted experiment leaves complete files.
 */
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MethodResult, SolverAloneResult, Stats } from '../learning/evaluate.js';
import { METHOD_INFO, type Method } from '../learning/methods.js';
import type { Task } from '../tasks/index.js';
import type { ExperimentConfig } from './config.js';
import { histogram, lineChart } from './svg.js';

export interface ExperimentRun {
  nTraj: number;
  epochs: number;
  methods: Partial<Record<Method, MethodResult>>;
  /** Solver iterations of Alg. 1's collections, per "method/iteration" ("all/0": the shared first one). */
  collections: Record<string, { rejected: number; cold: number[]; warm: number[] }>;
}

export interface SeedResults {
  seed: number;
  toAlone: SolverAloneResult;
  runs: ExperimentRun[];
}

export interface ExperimentResults {
  config: ExperimentConfig;
  started: string;
  finished: string | null;
  interrupted: boolean;
  seeds: SeedResults[];
  /** The markdown table, once written. */
  summaryTable?: string;
}

/**
 * One row of results.json's `summary`: a method at one setting, averaged over seeds (each
 * seed's mean and median over the held-out instances). `cold` is the solver alone on the
 * same instances, `warm` the solver started from the method's rollout.
 */
export interface SummaryRow {
  method: Method;
  label: string;
  nTraj: number;
  epochs: number;
  /** Seeds averaged. */
  seeds: number;
  /** The policy's own rollout cost J. */
  policyCost: Stats;
  /** The cost after the solver refines the rollout. */
  refinedCost: Stats;
  solverIterations: { cold: Stats; warm: Stats };
  /** Seconds per solve, on the solver's own clock. */
  solveSeconds: { cold: Stats; warm: Stats };
  /** Seconds for one batch-1 rollout of a whole instance. */
  rolloutSeconds: number;
  /** Share of solves that converged within n_max. */
  convergedRate: { cold: number; warm: number };
}

/** The solver alone ("TO alone") on the held-out instances, averaged over seeds. */
export interface SolverAloneRow {
  seeds: number;
  cost: Stats;
  solverIterations: Stats;
  solveSeconds: Stats;
  convergedRate: number;
}

/**
 * results.json, one schema for every experiment: the configuration, every seed's raw
 * results (per-instance numbers included, rollouts and solutions left out), and the summary
 * that tables, plots and cross-task comparisons read.
 */
export interface ResultsFile {
  experiment: string;
  task: string;
  config: ExperimentConfig;
  started: string;
  finished: string | null;
  interrupted: boolean;
  seeds: unknown[];
  summary: SummaryRow[];
  toAlone: SolverAloneRow | null;
}

function write(path: string, text: string): void {
  writeFileSync(`${path}.tmp`, text);
  renameSync(`${path}.tmp`, path);
}

function mean(values: number[]): number {
  return values.length ? values.reduce((a, b) => a + b, 0) / values.length : NaN;
}

/** Average a statistic over seeds. */
function overSeeds(stats: Stats[]): Stats {
  return { mean: mean(stats.map((s) => s.mean)), median: mean(stats.map((s) => s.median)) };
}

function summarize(results: ExperimentResults): { rows: SummaryRow[]; toAlone: SolverAloneRow | null } {
  const { config } = results;
  const rows: SummaryRow[] = [];
  for (const epochs of config.epochs) {
    for (const method of config.methods) {
      for (const nTraj of config.nTraj) {
        const found = results.seeds.flatMap((s) => s.runs.filter((r) => r.nTraj === nTraj && r.epochs === epochs)
          .map((r) => ({ alone: s.toAlone, result: r.methods[method] })))
          .filter((m): m is { alone: SolverAloneResult; result: MethodResult } => m.result !== undefined);
        if (found.length === 0) continue;
        rows.push({
          method,
          label: METHOD_INFO[method].label,
          nTraj,
          epochs,
          seeds: found.length,
          policyCost: overSeeds(found.map((m) => m.result.policyCost)),
          refinedCost: overSeeds(found.map((m) => m.result.refinedCost)),
          solverIterations: { cold: overSeeds(found.map((m) => m.alone.iterations)), warm: overSeeds(found.map((m) => m.result.solverIterations)) },
          solveSeconds: { cold: overSeeds(found.map((m) => m.alone.solveSeconds)), warm: overSeeds(found.map((m) => m.result.solveSeconds)) },
          rolloutSeconds: mean(found.map((m) => m.result.rolloutSeconds)),
          convergedRate: { cold: mean(found.map((m) => m.alone.convergedRate)), warm: mean(found.map((m) => m.result.refinedConvergedRate)) },
        });
      }
    }
  }
  const alone = results.seeds.map((s) => s.toAlone);
  const toAlone = alone.length === 0 ? null : {
    seeds: alone.length,
    cost: overSeeds(alone.map((a) => a.cost)),
    solverIterations: overSeeds(alone.map((a) => a.iterations)),
    solveSeconds: overSeeds(alone.map((a) => a.solveSeconds)),
    convergedRate: mean(alone.map((a) => a.convergedRate)),
  };
  return { rows, toAlone };
}

const f = (v: number, digits = 2) => (Number.isFinite(v) ? v.toFixed(digits) : '-');

function table(results: ExperimentResults, summary: ReturnType<typeof summarize>): string {
  const lines: string[] = [];
  for (const epochs of results.config.epochs) {
    lines.push(`Mean (median) over ${results.config.evalTasks} held-out tasks, epochs = ${epochs}, averaged over ${results.seeds.length} seed(s).`, '');
    lines.push('| method | n_traj | policy cost | refined cost | solver iterations (warm) | refined converged | rollout s |');
    lines.push('|---|---|---|---|---|---|---|');
    for (const e of summary.rows.filter((r) => r.epochs === epochs)) {
      lines.push(`| ${e.label} | ${e.nTraj} | ${f(e.policyCost.mean)} (${f(e.policyCost.median)}) | ${f(e.refinedCost.mean)} (${f(e.refinedCost.median)}) | ${f(e.solverIterations.warm.mean, 1)} | ${f(100 * e.convergedRate.warm, 0)} % | ${f(e.rolloutSeconds, 3)} |`);
    }
    lines.push('');
  }
  if (summary.toAlone) {
    const a = summary.toAlone;
    lines.push(`TO alone (cold guess): cost ${f(a.cost.mean)} (${f(a.cost.median)}), iterations ${f(a.solverIterations.mean, 1)} (${f(a.solverIterations.median, 1)}), converged ${f(100 * a.convergedRate, 0)} %.`);
  }
  if (results.interrupted) lines.push('', '**Interrupted**: these are the runs completed before Ctrl-C.');
  return lines.join('\n');
}

function plots(out: string, task: Task, results: ExperimentResults, summary: ReturnType<typeof summarize>): void {
  const { config } = results;
  const label = (m: Method) => METHOD_INFO[m].label;
  const firstEpochs = summary.rows.filter((r) => r.epochs === config.epochs[0]);
  const series = config.methods.map((m) => {
    const rows = firstEpochs.filter((r) => r.method === m);
    return { name: label(m), x: rows.map((r) => r.nTraj), y: rows.map((r) => r.policyCost.mean) };
  });
  if (summary.toAlone) series.push({ name: 'TO alone', x: [0], y: [summary.toAlone.cost.mean], reference: true } as never);
  write(join(out, 'cost_vs_ntraj.svg'), lineChart(`${task.title}: mean policy cost vs training trajectories`, 'n_traj', 'mean cost J', series));

  const first = results.seeds[0];
  const lastRun = first?.runs[first.runs.length - 1];
  if (!first || !lastRun) return;
  const samples = [{ name: 'cold (TO alone)', values: first.toAlone.perTask.iterations }];
  for (const m of config.methods) {
    const r = lastRun.methods[m];
    if (r) samples.push({ name: `warm from ${label(m)}`, values: r.perTask.iterations });
  }
  write(join(out, 'solver_iterations.svg'), histogram(`Solver iterations, n_traj = ${lastRun.nTraj} (seed ${first.seed})`, 'iterations', samples));

  const shown = Math.min(4, first.toAlone.solutions.length);
  const time = (n: number) => Array.from({ length: n }, (_, t) => t * task.dynamics.dt);
  const { state, control } = task.plot;
  for (const m of config.methods) {
    const r = lastRun.methods[m];
    if (!r) continue;
    const states = [];
    const controls = [];
    for (let i = 0; i < shown; i++) {
      states.push({ name: `${label(m)} task ${i}`, x: time(r.rollouts.xs[i].length), y: r.rollouts.xs[i].map((x) => x[state.index]) });
      controls.push({ name: `${label(m)} task ${i}`, x: time(r.rollouts.us[i].length), y: r.rollouts.us[i].map((u) => u[control.index]) });
    }
    const sol = first.toAlone.solutions[0];
    states.push({ name: 'solver, task 0', x: time(sol.xs.length), y: sol.xs.map((x) => x[state.index]) });
    controls.push({ name: 'solver, task 0', x: time(sol.us.length), y: sol.us.map((u) => u[control.index]) });
    write(join(out, `trajectories_${m}.svg`), lineChart(`${label(m)} rollouts (n_traj = ${lastRun.nTraj}): ${state.label}`, 'time (s)', state.label, states));
    write(join(out, `controls_${m}.svg`), lineChart(`${label(m)} rollouts (n_traj = ${lastRun.nTraj}): ${control.label}`, 'time (s)', control.label, controls));
  }
}

/** The raw results without the bulky parts (rollouts, solutions). */
function rawSeeds(results: ExperimentResults): unknown[] {
  return results.seeds.map((s) => ({
    seed: s.seed,
    toAlone: { ...s.toAlone, solutions: undefined },
    runs: s.runs.map((r) => ({
      ...r,
      methods: Object.fromEntries(Object.entries(r.methods).map(([m, v]) => [m, { ...v, rollouts: undefined }])),
    })),
  }));
}

export function writeReport(out: string, task: Task, results: ExperimentResults): void {
  const summary = summarize(results);
  const text = table(results, summary);
  results.summaryTable = text;
  const { config, started, finished, interrupted } = results;
  const file: ResultsFile = {
    experiment: config.experiment, task: config.task, config, started, finished, interrupted,
    seeds: rawSeeds(results), summary: summary.rows, toAlone: summary.toAlone,
  };
  write(join(out, 'results.json'), `${JSON.stringify(file, null, 2)}\n`);
  write(join(out, 'results.md'), `# ${task.title} experiment\n\n${text}\n`);
  plots(out, task, results, summary);
}

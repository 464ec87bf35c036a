/**
 * The pendulum experiment's outputs: results.json (every run, and a summary over seeds per
 * method and n_traj), results.md (the table), and SVG plots: the mean cost against n_traj per
 * method (the paper's Fig. 1), histograms of solver iterations cold and warm, and angle and
 * torque trajectories of a few held-out tasks per method. Written atomically (temporary file,
 * then rename), after every completed run and at the end, so an interrupted experiment
 * leaves complete files.
 */
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MethodResult, SolverAloneResult, Stats } from '../learning/evaluate.js';
import type { Method, PendulumConfig } from './pendulum.js';
import { histogram, lineChart } from './svg.js';

export interface PendulumRun {
  nTraj: number;
  epochs: number;
  methods: Partial<Record<Method, MethodResult>>;
  collections: Record<string, { rejected: number; cold: number[]; warm: number[] }>;
}

export interface PendulumResults {
  config: PendulumConfig;
  started: string;
  finished: string | null;
  interrupted: boolean;
  seeds: { seed: number; toAlone: SolverAloneResult; runs: PendulumRun[] }[];
  /** The markdown table, once written. */
  summaryTable?: string;
}

const NAMES: Record<Method, string> = { 'sob-diff': 'Sob+Diff', diff: 'Diff', mlp: 'MLP', 'sob-mlp': 'Sob+MLP' };

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

interface SummaryEntry {
  policyCost: Stats;
  refinedCost: Stats;
  solverIterations: Stats;
  refinedConvergedRate: number;
  rolloutSeconds: number;
  seeds: number;
}

function summarize(results: PendulumResults) {
  const summary: Record<string, Partial<Record<Method, Record<number, SummaryEntry>>>> = {};
  for (const epochs of results.config.epochs) {
    const byMethod: Partial<Record<Method, Record<number, SummaryEntry>>> = {};
    for (const method of results.config.methods) {
      const perN: Record<number, SummaryEntry> = {};
      for (const nTraj of results.config.nTraj) {
        const found = results.seeds.flatMap((s) => s.runs.filter((r) => r.nTraj === nTraj && r.epochs === epochs).map((r) => r.methods[method]))
          .filter((m): m is MethodResult => m !== undefined);
        if (found.length === 0) continue;
        perN[nTraj] = {
          policyCost: overSeeds(found.map((m) => m.policyCost)),
          refinedCost: overSeeds(found.map((m) => m.refinedCost)),
          solverIterations: overSeeds(found.map((m) => m.solverIterations)),
          refinedConvergedRate: mean(found.map((m) => m.refinedConvergedRate)),
          rolloutSeconds: mean(found.map((m) => m.rolloutSeconds)),
          seeds: found.length,
        };
      }
      byMethod[method] = perN;
    }
    summary[`epochs=${epochs}`] = byMethod;
  }
  const alone = results.seeds.map((s) => s.toAlone);
  const toAlone = alone.length === 0 ? null : {
    cost: overSeeds(alone.map((a) => a.cost)),
    iterations: overSeeds(alone.map((a) => a.iterations)),
    convergedRate: mean(alone.map((a) => a.convergedRate)),
    seeds: alone.length,
  };
  return { summary, toAlone };
}

const f = (v: number, digits = 2) => (Number.isFinite(v) ? v.toFixed(digits) : '-');

function table(results: PendulumResults, summary: ReturnType<typeof summarize>): string {
  const lines: string[] = [];
  for (const [epochsKey, byMethod] of Object.entries(summary.summary)) {
    lines.push(`Mean (median) over ${results.config.evalTasks} held-out tasks, ${epochsKey.replace('=', ' = ')}, averaged over ${results.seeds.length} seed(s).`, '');
    lines.push('| method | n_traj | policy cost | refined cost | solver iterations (warm) | refined converged | rollout s |');
    lines.push('|---|---|---|---|---|---|---|');
    for (const method of results.config.methods) {
      for (const [nTraj, e] of Object.entries(byMethod[method] ?? {})) {
        lines.push(`| ${NAMES[method]} | ${nTraj} | ${f(e.policyCost.mean)} (${f(e.policyCost.median)}) | ${f(e.refinedCost.mean)} (${f(e.refinedCost.median)}) | ${f(e.solverIterations.mean, 1)} | ${f(100 * e.refinedConvergedRate, 0)} % | ${f(e.rolloutSeconds, 3)} |`);
      }
    }
    lines.push('');
  }
  if (summary.toAlone) {
    const a = summary.toAlone;
    lines.push(`TO alone (interpolation guess): cost ${f(a.cost.mean)} (${f(a.cost.median)}), iterations ${f(a.iterations.mean, 1)} (${f(a.iterations.median, 1)}), converged ${f(100 * a.convergedRate, 0)} %.`);
  }
  if (results.interrupted) lines.push('', '**Interrupted**: these are the runs completed before Ctrl-C.');
  return lines.join('\n');
}

function plots(out: string, results: PendulumResults, summary: ReturnType<typeof summarize>): void {
  const epochsKey = `epochs=${results.config.epochs[0]}`;
  const byMethod = summary.summary[epochsKey] ?? {};
  const series = results.config.methods.map((m) => {
    const entries = Object.entries(byMethod[m] ?? {});
    return { name: NAMES[m], x: entries.map(([n]) => Number(n)), y: entries.map(([, e]) => e.policyCost.mean) };
  });
  if (summary.toAlone) series.push({ name: 'TO alone', x: [0], y: [summary.toAlone.cost.mean], reference: true } as never);
  write(join(out, 'cost_vs_ntraj.svg'), lineChart('Pendulum: mean policy cost vs training trajectories', 'n_traj', 'mean cost J', series));

  const first = results.seeds[0];
  const lastRun = first?.runs[first.runs.length - 1];
  if (!first || !lastRun) return;
  const samples = [{ name: 'cold (TO alone)', values: first.toAlone.perTask.iterations }];
  for (const m of results.config.methods) {
    const r = lastRun.methods[m];
    if (r) samples.push({ name: `warm from ${NAMES[m]}`, values: r.perTask.iterations });
  }
  write(join(out, 'solver_iterations.svg'), histogram(`Solver iterations, n_traj = ${lastRun.nTraj} (seed ${first.seed})`, 'iterations', samples));

  const shown = Math.min(4, first.toAlone.solutions.length);
  const time = (n: number) => Array.from({ length: n }, (_, t) => t * 0.01);
  for (const m of results.config.methods) {
    const r = lastRun.methods[m];
    if (!r) continue;
    const angle = [];
    const torque = [];
    for (let i = 0; i < shown; i++) {
      angle.push({ name: `${NAMES[m]} task ${i}`, x: time(r.rollouts.xs[i].length), y: r.rollouts.xs[i].map((x) => x[0]) });
      torque.push({ name: `${NAMES[m]} task ${i}`, x: time(r.rollouts.us[i].length), y: r.rollouts.us[i].map((u) => u[0]) });
    }
    const sol = first.toAlone.solutions[0];
    angle.push({ name: 'solver, task 0', x: time(sol.xs.length), y: sol.xs.map((x) => x[0]) });
    torque.push({ name: 'solver, task 0', x: time(sol.us.length), y: sol.us.map((u) => u[0]) });
    write(join(out, `trajectories_${m}.svg`), lineChart(`${NAMES[m]} rollouts (n_traj = ${lastRun.nTraj}): angle`, 'time (s)', 'q (rad)', angle));
    write(join(out, `torques_${m}.svg`), lineChart(`${NAMES[m]} rollouts (n_traj = ${lastRun.nTraj}): torque`, 'time (s)', 'u (N m)', torque));
  }
}

/** Drop the bulky parts (rollouts, solutions) from the JSON. */
function jsonable(results: PendulumResults) {
  return {
    ...results,
    summaryTable: undefined,
    seeds: results.seeds.map((s) => ({
      seed: s.seed,
      toAlone: { ...s.toAlone, solutions: undefined },
      runs: s.runs.map((r) => ({
        ...r,
        methods: Object.fromEntries(Object.entries(r.methods).map(([m, v]) => [m, { ...v, rollouts: undefined }])),
      })),
    })),
  };
}

export function writeReport(out: string, results: PendulumResults): void {
  const summary = summarize(results);
  const text = table(results, summary);
  results.summaryTable = text;
  write(join(out, 'results.json'), `${JSON.stringify({ ...jsonable(results), summary: summary.summary, toAlone: summary.toAlone }, null, 2)}\n`);
  write(join(out, 'results.md'), `# Pendulum experiment\n\n${text}\n`);
  plots(out, results, summary);
}

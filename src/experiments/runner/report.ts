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
import { type MethodResult, type SolverAloneResult, type Stats, heldOutInstances } from '../../learning/evaluate.js';
import { METHOD_INFO, type Method } from '../../learning/methods.js';
import type { Task } from '../../tasks/index.js';
import type { ExperimentConfig } from './config.js';
import { type Series, type TopDownPanel, histogram, lineChart, stroboscope, topDownGrid } from './svg.js';

/** The held-out evaluation of every method after one iteration of Alg. 1, at one T_a. */
export interface RunEvaluation {
  /** Alg. 1 iteration, from 1. */
  iteration: number;
  /** T_a of the diffusion policies' rollouts (the MLPs have none: they appear at Alg. 1's own T_a only). */
  actionsPerPlan: number;
  methods: Partial<Record<Method, MethodResult>>;
}

export interface ExperimentRun {
  nTraj: number;
  epochs: number;
  evaluations: RunEvaluation[];
  /**
   * Alg. 1's collections, per "method/iteration" ("all/0": the shared first one): rejected
   * instances, solver iterations of every cold and warm solve, and how many of the kept
   * trajectories came from the warm start (ArgminCost, Alg. 1 line 7).
   */
  collections: Record<string, { rejected: number; cold: number[]; warm: number[]; keptWarm: number }>;
}

export interface SeedResults {
  seed: number;
  toAlone: SolverAloneResult;
  runs: ExperimentRun[];
}

/**
 * A seed's results as results.json keeps them: every number, without the rollouts, the
 * refined solutions' states and TO alone's solutions (only some figures draw them). What a
 * merge of runs (merge.ts) reloads; a run's own `SeedResults` is one too.
 */
export interface StoredSeedResults {
  seed: number;
  toAlone: Omit<SolverAloneResult, 'solutions'>;
  runs: StoredRun[];
}

export interface StoredRun extends Omit<ExperimentRun, 'evaluations'> {
  evaluations: StoredEvaluation[];
}

export interface StoredEvaluation extends Omit<RunEvaluation, 'methods'> {
  methods: Partial<Record<Method, Omit<MethodResult, 'rollouts' | 'refinedXs'>>>;
}

/** An experiment's results: a run's own (`SeedResults`, with rollouts), or reloaded from results.json (`StoredSeedResults`). */
export interface ExperimentResults<S extends StoredSeedResults = SeedResults> {
  config: ExperimentConfig;
  started: string;
  finished: string | null;
  interrupted: boolean;
  seeds: S[];
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
  /** Alg. 1 iteration the policy comes from (1 to n_algo). */
  iteration: number;
  /** T_a of the rollouts. */
  actionsPerPlan: number;
  /** Seeds averaged. */
  seeds: number;
  /** The policy's own rollout cost J. */
  policyCost: Stats;
  /** The cost after the solver refines the rollout. */
  refinedCost: Stats;
  /** The spread over seeds: the smallest and largest of the seeds' mean costs. */
  seedRange: { policyCost: [number, number]; refinedCost: [number, number] };
  solverIterations: { cold: Stats; warm: Stats };
  /** Seconds per solve, on the solver's own clock. */
  solveSeconds: { cold: Stats; warm: Stats };
  /** Seconds for one batch-1 rollout of a whole instance. */
  rolloutSeconds: number;
  /** Share of solves that converged within n_max. */
  convergedRate: { cold: number; warm: number };
  /**
   * Constrained or goal-reaching tasks only: per trajectory its largest constraint violation
   * and its final distance to the goal, and the share violating beyond the task's tolerance, for
   * the policy's rollout, the refined solution and the solver alone (cold).
   */
  constraints?: ConstraintSummary;
}

export interface ConstraintSummary {
  violation: { policy: Stats; refined: Stats; cold: Stats };
  finalDistance: { policy: Stats; refined: Stats; cold: Stats };
  violatedRate: { policy: number; refined: number; cold: number };
  /** Share of the policy's decoded controls that met an actuator bound, where the task counts them. */
  saturatedDecodes?: number;
}

/** The solver alone ("TO alone") on the held-out instances, averaged over seeds. */
export interface SolverAloneRow {
  seeds: number;
  cost: Stats;
  solverIterations: Stats;
  solveSeconds: Stats;
  convergedRate: number;
  /** Constrained or goal-reaching tasks only. */
  constraints?: { violation: Stats; finalDistance: Stats; violatedRate: number };
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

/** [min, max] of a sample. */
const extent = (values: number[]): [number, number] => [Math.min(...values), Math.max(...values)];

/** What the report needs: every number; rollouts only for the figures drawn from them. */
type ReportedResults = ExperimentResults<StoredSeedResults>;

/** Average a statistic over seeds. */
function overSeeds(stats: Stats[]): Stats {
  return { mean: mean(stats.map((s) => s.mean)), median: mean(stats.map((s) => s.median)) };
}

/** Every (iteration, T_a) evaluated in any run, in order. */
function evaluatedSettings(results: ReportedResults): { iteration: number; actionsPerPlan: number }[] {
  const keys = new Map<string, { iteration: number; actionsPerPlan: number }>();
  for (const s of results.seeds) for (const r of s.runs) for (const e of r.evaluations) keys.set(`${e.iteration}/${e.actionsPerPlan}`, { iteration: e.iteration, actionsPerPlan: e.actionsPerPlan });
  return [...keys.values()].sort((a, b) => a.iteration - b.iteration || a.actionsPerPlan - b.actionsPerPlan);
}

function summarize(results: ReportedResults): { rows: SummaryRow[]; toAlone: SolverAloneRow | null } {
  const { config } = results;
  const rows: SummaryRow[] = [];
  for (const epochs of config.epochs) {
    for (const method of config.methods) {
      for (const nTraj of config.nTraj) {
        for (const { iteration, actionsPerPlan } of evaluatedSettings(results)) {
          const found = results.seeds.flatMap((s) => s.runs.filter((r) => r.nTraj === nTraj && r.epochs === epochs)
            .flatMap((r) => r.evaluations.filter((e) => e.iteration === iteration && e.actionsPerPlan === actionsPerPlan))
            .map((e) => ({ alone: s.toAlone, result: e.methods[method] })))
            .filter((m): m is { alone: SolverAloneResult; result: MethodResult } => m.result !== undefined);
          if (found.length === 0) continue;
          rows.push({
            method,
            label: METHOD_INFO[method].label,
            nTraj,
            epochs,
            iteration,
            actionsPerPlan,
            seeds: found.length,
            policyCost: overSeeds(found.map((m) => m.result.policyCost)),
            refinedCost: overSeeds(found.map((m) => m.result.refinedCost)),
            seedRange: { policyCost: extent(found.map((m) => m.result.policyCost.mean)), refinedCost: extent(found.map((m) => m.result.refinedCost.mean)) },
            solverIterations: { cold: overSeeds(found.map((m) => m.alone.iterations)), warm: overSeeds(found.map((m) => m.result.solverIterations)) },
            solveSeconds: { cold: overSeeds(found.map((m) => m.alone.solveSeconds)), warm: overSeeds(found.map((m) => m.result.solveSeconds)) },
            rolloutSeconds: mean(found.map((m) => m.result.rolloutSeconds)),
            convergedRate: { cold: mean(found.map((m) => m.alone.convergedRate)), warm: mean(found.map((m) => m.result.refinedConvergedRate)) },
            ...constraintSummary(found),
          });
        }
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
    ...(alone.every((a) => a.constraints) ? {
      constraints: {
        violation: overSeeds(alone.map((a) => a.constraints!.violation)),
        finalDistance: overSeeds(alone.map((a) => a.constraints!.finalDistance)),
        violatedRate: mean(alone.map((a) => a.constraints!.violatedRate)),
      },
    } : {}),
  };
  return { rows, toAlone };
}

/** The constraint columns of a summary row, averaged over seeds, where every seed's evaluation has them. */
function constraintSummary(found: { alone: SolverAloneResult; result: MethodResult }[]): { constraints?: ConstraintSummary } {
  if (!found.every((m) => m.result.constraints && m.alone.constraints)) return {};
  const policy = found.map((m) => m.result.constraints!.policy);
  const refined = found.map((m) => m.result.constraints!.refined);
  const cold = found.map((m) => m.alone.constraints!);
  return {
    constraints: {
      violation: { policy: overSeeds(policy.map((c) => c.violation)), refined: overSeeds(refined.map((c) => c.violation)), cold: overSeeds(cold.map((c) => c.violation)) },
      finalDistance: { policy: overSeeds(policy.map((c) => c.finalDistance)), refined: overSeeds(refined.map((c) => c.finalDistance)), cold: overSeeds(cold.map((c) => c.finalDistance)) },
      violatedRate: { policy: mean(policy.map((c) => c.violatedRate)), refined: mean(refined.map((c) => c.violatedRate)), cold: mean(cold.map((c) => c.violatedRate)) },
      ...(found.every((m) => m.result.constraints!.saturatedDecodes !== undefined)
        ? { saturatedDecodes: mean(found.map((m) => m.result.constraints!.saturatedDecodes!)) } : {}),
    },
  };
}

/** A number for a table: fixed digits, the infinite cost of diverged rollouts as such, '-' for none. */
const f = (v: number, digits = 2) => (Number.isFinite(v) ? v.toFixed(digits) : v === Infinity ? 'inf' : '-');

/** The rows of the main table: the last iteration evaluated, at Alg. 1's own T_a. */
function mainRows(results: ReportedResults, rows: SummaryRow[]): SummaryRow[] {
  const last = Math.max(...rows.map((r) => r.iteration));
  return rows.filter((r) => r.iteration === last && r.actionsPerPlan === results.config.actionsPerPlan);
}

function table(results: ReportedResults, summary: ReturnType<typeof summarize>): string {
  const { config } = results;
  const lines: string[] = [];
  const main = mainRows(results, summary.rows);
  const iterations = [...new Set(summary.rows.map((r) => r.iteration))];
  for (const epochs of config.epochs) {
    const schedule = config.nTrajPerIteration !== undefined ? ` (n_traj ${config.nTrajPerIteration.join(', ')} over the iterations)`
      : config.nTrajFinal !== undefined ? ` (n_traj growing linearly to ${config.nTrajFinal} at the last iteration)` : '';
    const after = config.nAlgo > 1 ? ` after ${Math.max(...iterations)} iteration(s) of Alg. 1${schedule}` : '';
    lines.push(`Mean (median) over ${config.evalTasks} held-out tasks, epochs = ${epochs}${after}, T_a = ${config.actionsPerPlan}, averaged over ${results.seeds.length} seed(s).`, '');
    // With several seeds, the spread of the seeds' mean costs beside their average.
    const spread = results.seeds.length > 1;
    const range = ([lo, hi]: [number, number]) => `${f(lo)} to ${f(hi)}`;
    lines.push(`| method | n_traj | policy cost |${spread ? ' over seeds |' : ''} refined cost |${spread ? ' over seeds |' : ''} solver iterations (warm) | refined converged | rollout s |`);
    lines.push(`|---|---|---|${spread ? '---|' : ''}---|${spread ? '---|' : ''}---|---|---|`);
    for (const e of main.filter((r) => r.epochs === epochs)) {
      const policySpread = spread ? ` ${range(e.seedRange.policyCost)} |` : '';
      const refinedSpread = spread ? ` ${range(e.seedRange.refinedCost)} |` : '';
      lines.push(`| ${e.label} | ${e.nTraj} | ${f(e.policyCost.mean)} (${f(e.policyCost.median)}) |${policySpread} ${f(e.refinedCost.mean)} (${f(e.refinedCost.median)}) |${refinedSpread} ${f(e.solverIterations.warm.mean, 1)} | ${f(100 * e.convergedRate.warm, 0)} % | ${f(e.rolloutSeconds, 3)} |`);
    }
    lines.push('');
  }
  if (summary.toAlone) {
    const a = summary.toAlone;
    lines.push(`TO alone (cold guess): cost ${f(a.cost.mean)} (${f(a.cost.median)}), iterations ${f(a.solverIterations.mean, 1)} (${f(a.solverIterations.median, 1)}), converged ${f(100 * a.convergedRate, 0)} %, ${f(a.solveSeconds.mean, 3)} s per solve.`);
  }
  if (main.some((r) => r.constraints)) lines.push('', ...constraintTable(main, summary.toAlone));
  if (iterations.length > 1) lines.push('', ...iterationTable(summary.rows, config.actionsPerPlan));
  if (new Set(summary.rows.map((r) => r.actionsPerPlan)).size > 1) lines.push('', ...actionLengthTables(results, summary));
  if (results.interrupted) lines.push('', '**Interrupted**: these are the runs completed before Ctrl-C.');
  return lines.join('\n');
}

/** A small number for a table: fixed below 1e3, exponent notation below 1e-2 (violations span decades). */
const g = (v: number) => (!Number.isFinite(v) ? f(v) : v === 0 ? '0' : Math.abs(v) < 1e-2 ? v.toExponential(1) : v.toFixed(3));

/**
 * Constrained and goal-reaching tasks (the main paper, sec. 4.5): per method the largest
 * constraint violation and the final distance to the goal of the policy's rollout and of the
 * refined solution, the shares violating, the solver's iterations and seconds cold (TO alone)
 * and warm, and how often the warm solve failed to converge. Means (medians) over held-out tasks.
 */
function constraintTable(rows: SummaryRow[], alone: SolverAloneRow | null): string[] {
  const lines = [
    'Constraints, goal and solve times: mean (median) over held-out tasks; "violating" is the share of trajectories beyond the solver\'s constraint tolerance (or diverged).', '',
    '| method | n_traj | epochs | max violation, policy | max violation, refined | final distance, policy (m) | final distance, refined (m) | policy violating | controls at a bound | TO iterations cold / warm | solve s cold / warm | warm solve failed |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  const ms = (s: Stats) => `${g(s.mean)} (${g(s.median)})`;
  for (const r of rows) {
    const c = r.constraints;
    if (!c) continue;
    lines.push(`| ${r.label} | ${r.nTraj} | ${r.epochs} | ${ms(c.violation.policy)} | ${ms(c.violation.refined)} | ${ms(c.finalDistance.policy)} | ${ms(c.finalDistance.refined)} | ${f(100 * c.violatedRate.policy, 0)} % | ${c.saturatedDecodes === undefined ? '-' : `${f(100 * c.saturatedDecodes, 0)} %`} | ${f(r.solverIterations.cold.mean, 1)} / ${f(r.solverIterations.warm.mean, 1)} | ${f(r.solveSeconds.cold.mean, 3)} / ${f(r.solveSeconds.warm.mean, 3)} | ${f(100 * (1 - r.convergedRate.warm), 0)} % |`);
  }
  if (alone?.constraints) {
    const c = alone.constraints;
    lines.push(`| TO alone | - | - | - | ${ms(c.violation)} | - | ${ms(c.finalDistance)} | - | - | ${f(alone.solverIterations.mean, 1)} / - | ${f(alone.solveSeconds.mean, 3)} / - | ${f(100 * (1 - alone.convergedRate), 0)} % |`);
  }
  return lines;
}

/** Mean policy and refined cost per Alg. 1 iteration (the main paper's Fig. 2a), at Alg. 1's T_a, first n_traj and epochs. */
function iterationTable(rows: SummaryRow[], actionsPerPlan: number): string[] {
  const first = rows[0];
  const shown = rows.filter((r) => r.nTraj === first.nTraj && r.epochs === first.epochs && r.actionsPerPlan === actionsPerPlan);
  const iterations = [...new Set(shown.map((r) => r.iteration))];
  const lines = [
    `Mean policy cost / refined cost after each iteration of Alg. 1 (n_traj ${first.nTraj}, epochs ${first.epochs}, T_a ${actionsPerPlan}):`, '',
    `| method | ${iterations.map((i) => `iteration ${i}`).join(' | ')} |`,
    `|---|${iterations.map(() => '---|').join('')}`,
  ];
  for (const label of [...new Set(shown.map((r) => r.label))]) {
    const cells = iterations.map((i) => {
      const r = shown.find((x) => x.label === label && x.iteration === i);
      return r ? `${f(r.policyCost.mean)} / ${f(r.refinedCost.mean)}` : '-';
    });
    lines.push(`| ${label} | ${cells.join(' | ')} |`);
  }
  return lines;
}

/** The main paper's Table 2c: per T_a, costs, refining iterations and times, for each diffusion method, after the last iteration. */
function actionLengthTables(results: ReportedResults, summary: ReturnType<typeof summarize>): string[] {
  const last = Math.max(...summary.rows.map((r) => r.iteration));
  const lines: string[] = [];
  const a = summary.toAlone;
  for (const label of [...new Set(summary.rows.map((r) => r.label))]) {
    const rows = summary.rows.filter((r) => r.label === label && r.iteration === last && r.nTraj === summary.rows[0].nTraj && r.epochs === summary.rows[0].epochs);
    if (rows.length < 2) continue;
    rows.sort((x, y) => x.actionsPerPlan - y.actionsPerPlan);
    const alone = (v: string) => (a ? ` ${v} |` : '');
    lines.push(`${label} at several T_a (n_traj ${rows[0].nTraj}, epochs ${rows[0].epochs}, iteration ${last}; mean over held-out tasks):`, '');
    lines.push(`| T_a | ${rows.map((r) => r.actionsPerPlan).join(' | ')} |${a ? ' TO alone |' : ''}`);
    lines.push(`|---|${rows.map(() => '---|').join('')}${a ? '---|' : ''}`);
    lines.push(`| policy cost | ${rows.map((r) => f(r.policyCost.mean)).join(' | ')} |${alone('-')}`);
    lines.push(`| refined cost | ${rows.map((r) => f(r.refinedCost.mean)).join(' | ')} |${alone(a ? f(a.cost.mean) : '')}`);
    lines.push(`| TO iterations | ${rows.map((r) => f(r.solverIterations.warm.mean, 1)).join(' | ')} |${alone(a ? f(a.solverIterations.mean, 1) : '')}`);
    lines.push(`| rollout s | ${rows.map((r) => f(r.rolloutSeconds, 3)).join(' | ')} |${alone('-')}`);
    lines.push(`| solving s | ${rows.map((r) => f(r.solveSeconds.warm.mean, 3)).join(' | ')} |${alone(a ? f(a.solveSeconds.mean, 3) : '')}`);
    lines.push(`| total s | ${rows.map((r) => f(r.rolloutSeconds + r.solveSeconds.warm.mean, 3)).join(' | ')} |${alone(a ? f(a.solveSeconds.mean, 3) : '')}`);
    lines.push(`| refined converged | ${rows.map((r) => `${f(100 * r.convergedRate.warm, 0)} %`).join(' | ')} |${alone(a ? `${f(100 * a.convergedRate, 0)} %` : '')}`);
    lines.push('');
  }
  return lines;
}

/** A method's name in tables and figures. */
const labelOf = (m: Method) => METHOD_INFO[m].label;

/** The evaluation the figures show: the last one of a run at Alg. 1's own T_a. */
function mainEvaluation<E extends StoredEvaluation>(run: { evaluations: E[] }, config: ExperimentConfig): E | undefined {
  return run.evaluations.filter((e) => e.actionsPerPlan === config.actionsPerPlan).at(-1);
}

/** The main paper's colours (section 4.1), kept by each method in every figure. */
const COLORS: Record<Method | 'toAlone', string> = {
  'sob-diff': '#d62728', diff: '#2ca02c', mlp: '#c9a000', 'sob-mlp': '#1f77b4', toAlone: '#9467bd',
};
/** The solutions refined from a policy's warm start. */
const REFINED_COLOR = '#7f7f7f';

/** The q-quantile of a sample (linear interpolation between order statistics). */
function quantile(values: readonly number[], q: number): number {
  const sorted = values.filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const at = q * (sorted.length - 1);
  const lo = Math.floor(at);
  return lo + 1 < sorted.length ? sorted[lo] + (at - lo) * (sorted[lo + 1] - sorted[lo]) : sorted[lo];
}

/** TO alone as a reference line at its mean cost, shaded over its interquartile range across held-out tasks (all seeds). */
function toAloneReference(results: ReportedResults, summary: ReturnType<typeof summarize>): Series[] {
  if (!summary.toAlone) return [];
  const costs = results.seeds.flatMap((s) => s.toAlone.perTask.cost);
  return [{
    name: 'TO alone (mean, IQR)', x: [0], y: [summary.toAlone.cost.mean], reference: true, color: COLORS.toAlone,
    band: [quantile(costs, 0.25), quantile(costs, 0.75)],
  }];
}

function plots(out: string, task: Task, results: ReportedResults, summary: ReturnType<typeof summarize>): void {
  const { config } = results;
  const main = mainRows(results, summary.rows).filter((r) => r.epochs === config.epochs[0]);
  // Over several seeds, the policy's line is shaded between its lowest and highest seed (the paper's figures show the spread over seeds).
  const severalSeeds = results.seeds.length > 1;
  const costCurves = (x: (r: SummaryRow) => number, rows: SummaryRow[]): Series[] => config.methods.flatMap((m) => {
    const own = rows.filter((r) => r.method === m);
    const spread = severalSeeds ? own.map((r) => r.seedRange.policyCost) : undefined;
    return [
      { name: labelOf(m), x: own.map(x), y: own.map((r) => r.policyCost.mean), color: COLORS[m], dots: true, spread },
      { name: `${labelOf(m)} refined`, x: own.map(x), y: own.map((r) => r.refinedCost.mean), color: COLORS[m], dashed: true, dots: true },
    ];
  });
  write(join(out, 'cost_vs_ntraj.svg'), lineChart(`${task.title}: mean cost vs training trajectories`, 'n_traj', 'mean cost J',
    [...costCurves((r) => r.nTraj, main), ...toAloneReference(results, summary)]));

  const iterations = [...new Set(summary.rows.map((r) => r.iteration))];
  if (iterations.length > 1) {
    const first = summary.rows[0];
    const shown = summary.rows.filter((r) => r.nTraj === first.nTraj && r.epochs === first.epochs && r.actionsPerPlan === config.actionsPerPlan);
    write(join(out, 'cost_vs_iteration.svg'), lineChart(`${task.title}: mean cost vs Alg. 1 iteration (n_traj = ${first.nTraj})`, 'iteration', 'mean cost J',
      [...costCurves((r) => r.iteration, shown), ...toAloneReference(results, summary)]));
  }

  const first = results.seeds[0];
  const lastRun = first?.runs.at(-1);
  const evaluation = lastRun && mainEvaluation(lastRun, config);
  if (!first || !lastRun || !evaluation) return;
  const samples = [{ name: 'cold (TO alone)', values: first.toAlone.perTask.iterations, color: COLORS.toAlone }];
  for (const m of config.methods) {
    const r = evaluation.methods[m];
    if (r) samples.push({ name: `warm from ${labelOf(m)}`, values: r.perTask.iterations, color: COLORS[m] });
  }
  write(join(out, 'solver_iterations.svg'), histogram(`Solver iterations, n_traj = ${lastRun.nTraj} (seed ${first.seed})`, 'iterations', samples));
  // Results reloaded from results.json (a merge) have no rollouts to draw: see rolloutFigures.
  if (keepsRollouts(first)) rolloutPlots(out, task, first, config);
}

/** Whether a seed's results still hold the rollouts and solutions (a run's own do; results.json's do not). */
const keepsRollouts = (seed: StoredSeedResults): seed is SeedResults => 'solutions' in seed.toAlone;

/**
 * The figures drawn from the rollouts and solutions of the first seed, which results.json does
 * not keep: its policies' trajectories and controls on a few held-out tasks, the stroboscopes
 * (tasks with a skeleton), the end-effector paths (tasks with an end effector).
 */
export function rolloutFigures(task: Task, methods: readonly Method[]): string[] {
  return [
    ...methods.flatMap((m) => [`trajectories_${m}.svg`, `controls_${m}.svg`, ...(task.skeleton ? [`stroboscope_${m}.svg`] : [])]),
    ...(task.skeleton ? ['stroboscope_to-alone.svg'] : []),
    ...(task.endEffector ? ['end_effector_paths.svg'] : []),
  ];
}

/** The figures of rolloutFigures, from the first seed's last run. */
function rolloutPlots(out: string, task: Task, first: SeedResults, config: ExperimentConfig): void {
  const lastRun = first.runs.at(-1)!;
  const evaluation = mainEvaluation(lastRun, config)!;
  const shown = Math.min(4, first.toAlone.solutions.length);
  const time = (n: number) => Array.from({ length: n }, (_, t) => t * task.dynamics.dt);
  const { state, control } = task.plot;
  const stateValue = (x: ArrayLike<number>) => (state.map ?? ((v: number) => v))(x[state.index]);
  for (const m of config.methods) {
    const r = evaluation.methods[m];
    if (!r) continue;
    const states: Series[] = [];
    const controls: Series[] = [];
    for (let i = 0; i < shown; i++) {
      // A diverged rollout's states reach 1e300: listed, not drawn, so the others keep their scale.
      const diverged = r.rollouts.diverged[i];
      const name = `${labelOf(m)} task ${i}${diverged ? ' (diverged)' : ''}`;
      states.push({ name, x: diverged ? [] : time(r.rollouts.xs[i].length), y: diverged ? [] : r.rollouts.xs[i].map(stateValue) });
      controls.push({ name, x: diverged ? [] : time(r.rollouts.us[i].length), y: diverged ? [] : r.rollouts.us[i].map((u) => u[control.index]) });
    }
    const sol = first.toAlone.solutions[0];
    states.push({ name: 'solver, task 0', x: time(sol.xs.length), y: sol.xs.map(stateValue), color: COLORS.toAlone, dashed: true });
    controls.push({ name: 'solver, task 0', x: time(sol.us.length), y: sol.us.map((u) => u[control.index]), color: COLORS.toAlone, dashed: true });
    write(join(out, `trajectories_${m}.svg`), lineChart(`${labelOf(m)} rollouts (n_traj = ${lastRun.nTraj}): ${state.label}`, 'time (s)', state.label, states));
    write(join(out, `controls_${m}.svg`), lineChart(`${labelOf(m)} rollouts (n_traj = ${lastRun.nTraj}): ${control.label}`, 'time (s)', control.label, controls));
    if (task.skeleton) write(join(out, `stroboscope_${m}.svg`), strobe(task, `${labelOf(m)}, held-out task 0${r.rollouts.diverged[0] ? ' (diverged)' : ''}`, r.rollouts.xs[0]));
  }
  if (task.skeleton) write(join(out, 'stroboscope_to-alone.svg'), strobe(task, 'TO alone, held-out task 0', first.toAlone.solutions[0].xs));
  if (task.endEffector) write(join(out, 'end_effector_paths.svg'), endEffectorPaths(task, first, evaluation, config));
}

/**
 * The end effector's path on held-out task 0 in three projections (the main paper's Fig. 3):
 * a row for TO alone (the cold solution), then per method its policy's rollout and the
 * solution refined from it. Equal scales, so a projection shows true distances.
 */
function endEffectorPaths(task: Task, first: SeedResults, evaluation: RunEvaluation, config: ExperimentConfig): string {
  const { position, target } = task.endEffector!;
  const [instance] = heldOutInstances(task, first.seed, 1);
  const projections: { label: string; axes: [number, number] }[] = [
    { label: 'from above (x, y)', axes: [0, 1] },
    { label: 'from the front (x, z)', axes: [0, 2] },
    { label: 'from the side (y, z)', axes: [1, 2] },
  ];
  const rows: { label: string; paths: { xs: readonly ArrayLike<number>[]; color: string }[] }[] = [
    { label: 'TO alone', paths: [{ xs: first.toAlone.solutions[0].xs, color: COLORS.toAlone }] },
  ];
  for (const m of config.methods) {
    const r = evaluation.methods[m];
    if (!r) continue;
    const paths = [{ xs: r.refinedXs[0], color: REFINED_COLOR }];
    if (!r.rollouts.diverged[0]) paths.unshift({ xs: r.rollouts.xs[0], color: COLORS[m] });
    rows.push({ label: METHOD_INFO[m].label, paths });
  }
  const goal = target(instance);
  const start = position(Array.from(first.toAlone.solutions[0].xs[0]));
  const points = rows.flatMap((row) => row.paths.flatMap((p) => p.xs.map((x) => position(Array.from(x)))));
  const all = [...points, goal, start].filter((p) => p.every(Number.isFinite));
  const lo = Math.min(...all.flat()) - 0.05;
  const hi = Math.max(...all.flat()) + 0.05;
  const panels: TopDownPanel[][] = rows.map((row) => projections.map(({ axes: [a, b] }) => ({
    discs: [],
    paths: row.paths.map((p) => ({ points: p.xs.map((x) => { const e = position(Array.from(x)); return [e[a], e[b]] as [number, number]; }), color: p.color })),
    starts: [[start[a], start[b]]],
    goals: [[goal[a], goal[b]]],
  })));
  return topDownGrid(`${task.title}: end-effector paths, held-out task 0 (m)\nper method: its policy's rollout in colour, the refined solution in grey; blue start, red target`,
    rows.map((r) => r.label), projections.map((p) => p.label), panels, { x: [lo, hi], y: [lo, hi] });
}

/** Every 10th state of a trajectory as a pose of the task's skeleton. */
function strobe(task: Task, title: string, xs: readonly ArrayLike<number>[]): string {
  const poses = xs.filter((_, t) => t % 10 === 0 || t === xs.length - 1).map((x) => task.skeleton!(Array.from(x)));
  return stroboscope(`${task.title}: ${title}`, '(m)', '(m)', poses);
}

/** The raw results without the bulky parts (rollouts, solutions). */
function rawSeeds(results: ReportedResults): unknown[] {
  return results.seeds.map((s) => ({
    seed: s.seed,
    toAlone: { ...s.toAlone, solutions: undefined },
    runs: s.runs.map((r) => ({
      ...r,
      evaluations: r.evaluations.map((e) => ({
        ...e,
        methods: Object.fromEntries(Object.entries(e.methods).map(([m, v]) => [m, { ...v, rollouts: undefined, refinedXs: undefined }])),
      })),
    })),
  }));
}

export function writeReport(out: string, task: Task, results: ReportedResults): void {
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

/**
 * The consensus paper's experiments (Le Lidec et al., ICRA 2023, sec. V): PDDP, PLAL and their
 * variants against PODS and DPL, and the model-free baselines PPO and SAC (Fig. 2-3), on the
 * constrained LQR, the pendulum, the double pendulum and the UR5, on the study harness
 * (runner/study.ts). The algorithms and the protocol live in src/learning/consensus/ (the
 * baselines in src/learning/rl/baseline.ts); this script declares the parameters and writes
 * the tables and figures:
 *
 *   - the final policies: test cost beside TO alone, cost gaps (Fig. 2), simulator calls, times;
 *   - sample efficiency: test cost against simulator calls (Fig. 3-5), as a table and a plot;
 *   - TO warm-started by each final policy against TO alone (Fig. 7: iterations, solves > 100);
 *   - the OC phase's cost per solver iteration with and without +M (the paper's "5 times faster").
 *
 * The OC phases' solves run in parallel on a worker pool of --workers threads (JobPool).
 *
 *   npx tsx src/experiments/consensus.ts --task pendulum
 */
import {
  type AlgorithmRun, CONSENSUS_ALGORITHMS, type ConsensusSettings, type MuSchedule, type SeedResult, compareConsensus, learnerCurve, parseAlgorithm,
} from '../learning/consensus/index.js';
import { JobPool } from '../learning/workers/jobs.js';
import { BASELINE_ALGOS, baselineSteps, isBaselineAlgo } from '../learning/rl/index.js';
import { TASK_NAMES, taskByName } from '../tasks/index.js';
import { histogram, lineChart } from './runner/svg.js';
import { type StudySpec, runStudyIfMain } from './runner/study.js';

/**
 * Per task: the default protocol (ours: the paper gives none of these numbers), chosen to fit
 * about 15 minutes here; `baselines`, the model-free learners trained beside them (absent: none).
 * The paper runs them on the LQR (Fig. 2-3); we add them on the pendulum, where they fit the
 * budget (8.1 minutes with both at a load of 6 to 8), and leave them out of the longer runs.
 */
export const TASK_PROTOCOL: Record<string, { instances: number; iterations: number; epochs: number; mu: number; algorithms: string[]; baselines?: string[] }> = {
  // Fig. 3: every variant (cheap: 4 states, T = 50), and PPO and SAC (Fig. 2-3).
  lqr: { instances: 16, iterations: 10, epochs: 20, mu: 0.1, algorithms: [...CONSENSUS_ALGORITHMS], baselines: ['ppo', 'sac'] },
  // Fig. 4: the ablations that matter on the pendulum (constraints in TO, +S, +M).
  pendulum: { instances: 8, iterations: 8, epochs: 10, mu: 0.01, algorithms: ['PDDP', 'PDDP+S', 'PODS', 'PLAL+S', 'PLAL+S-C', 'PLAL+M+S'], baselines: ['ppo', 'sac'] },
  // Fig. 4's constraint ablations on a pendulum whose torque box binds (tasks/pendulum.ts; at 25 N m it never does).
  'pendulum-limited': { instances: 8, iterations: 8, epochs: 10, mu: 0.01, algorithms: ['PDDP+S', 'PDDP+S-C', 'PODS', 'PLAL+S', 'PLAL+S-C'] },
  // Fig. 5: the robots, with the algorithms whose OC phase fits the budget (PLAL+S's single-shooting
  // OC phase, through the policy's Jacobian at every knot, took 70-90 s per iteration on the pendulum).
  'double-pendulum': { instances: 8, iterations: 10, epochs: 20, mu: 0.01, algorithms: ['PDDP', 'PDDP+S', 'PODS', 'PLAL+M+S'] },
  ur5: { instances: 4, iterations: 5, epochs: 10, mu: 0.01, algorithms: ['PDDP', 'PDDP+S', 'PODS', 'PLAL+M+S'] },
};

/** The flags: the loop's settings (one seed per run of the loop) and the protocol's choices. */
export type ConsensusParams = Omit<ConsensusSettings, 'seed' | 'muSchedule'> & {
  task: string;
  algorithms: string[];
  baselines: string[];
  baselineSteps: number;
  seeds: number[];
  instances: number;
  testInstances: number;
  muSchedule: string;
  workers: number;
};

const mean = (v: readonly number[]) => v.reduce((a, b) => a + b, 0) / v.length;
const median = (v: readonly number[]) => {
  const s = [...v].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const fmt = (v: number, digits = 3) => (!Number.isFinite(v) ? 'inf' : Math.abs(v) >= 1e6 ? v.toExponential(2) : v.toFixed(digits));

/** The task's default where a parameter is 0 (or an empty list). */
function resolved(p: ConsensusParams) {
  const d = TASK_PROTOCOL[p.task] ?? TASK_PROTOCOL.pendulum!;
  return {
    algorithms: p.algorithms.length > 0 ? p.algorithms : d.algorithms,
    // Baselines only where the task's own protocol lists them (not through the fallback above).
    baselines: p.baselines.length === 0 ? TASK_PROTOCOL[p.task]?.baselines ?? [] : p.baselines.includes('none') ? [] : p.baselines,
    instances: p.instances || d.instances,
    iterations: p.iterations || d.iterations,
    epochs: p.epochs || d.epochs,
    mu: p.mu || d.mu,
  };
}

/** Mean over runs of a per-run sequence, index by index (runs of one learner share the grid; the shortest sets the length). */
const meanCurve = (curves: readonly number[][]) => Array.from({ length: Math.min(...curves.map((c) => c.length)) }, (_, k) => mean(curves.map((c) => c[k]!)));

/** The tables and figures of every learner (consensus algorithms, then baselines) over the seeds. */
function report(results: SeedResult[], learners: string[], p: ConsensusParams, taskTitle: string) {
  const toCosts = results.flatMap((r) => r.cold.map((c) => c.cost));
  const rows: string[] = [];
  const curves: { name: string; x: number[]; y: number[]; baseline: boolean }[] = [];
  const gaps: { name: string; values: number[] }[] = [];
  const warmRows: string[] = [];
  const ocRows: string[] = [];
  const efficiency: string[] = [];
  const summary: Record<string, unknown>[] = [];
  // The sample-efficiency table's columns: a consensus algorithm's iterations 0..M; a baseline's curve at k/M of its run.
  const M = p.iterations;
  for (const name of learners) {
    const runs = results.flatMap((r) => r.runs.filter((run) => run.algorithm === name));
    const consensusRuns = runs.filter((run): run is AlgorithmRun => run.kind === 'consensus');
    const baseline = consensusRuns.length === 0;
    const finals = runs.flatMap((run) => run.finalCosts);
    const finite = finals.filter(Number.isFinite);
    const seedMeans = runs.map((run) => mean(run.finalCosts));
    // Relative gap to TO alone on the same instance (Fig. 2).
    const gap = results.flatMap((r) => r.runs.filter((run) => run.algorithm === name).flatMap((run) => run.finalCosts.map((c, i) => (c - r.cold[i]!.cost) / r.cold[i]!.cost)));
    gaps.push({ name, values: gap.filter(Number.isFinite) });
    const runCurves = runs.map(learnerCurve);
    const calls = mean(runCurves.map((c) => c.simulatorCalls[c.simulatorCalls.length - 1]!));
    // Per solver iteration and instance, from each solve's own seconds on its worker (the phase's wall time divides by the pool's width).
    const ocPerIteration = consensusRuns.map((run) => {
      const h = run.history.slice(1);
      const solverIterations = h.reduce((a, r) => a + r.ocIterations * p.instances, 0);
      return (1000 * h.reduce((a, r) => a + r.ocSolveSeconds, 0)) / Math.max(solverIterations, 1);
    });
    const residual = baseline ? '-' : fmt(mean(consensusRuns.map((run) => run.history[run.history.length - 1]!.consensusResidual)), 4);
    rows.push(`| ${name} | ${fmt(mean(finals))} (${fmt(median(finals))}) | ${runs.length > 1 ? `${fmt(Math.min(...seedMeans))} to ${fmt(Math.max(...seedMeans))}` : '-'} | ` +
      `${fmt(100 * median(gap), 2)} % | ${finals.length - finite.length} / ${finals.length} | ${Math.round(calls)} | ${residual} | ${fmt(mean(runs.map((run) => run.seconds)), 0)} |`);
    // The curve: mean over seeds of the mean test cost, at the mean simulator calls of each point.
    const x = meanCurve(runCurves.map((c) => c.simulatorCalls));
    const y = meanCurve(runCurves.map((c) => c.testCost));
    curves.push({ name, x, y, baseline });
    const columns = x.length <= M + 1 ? x.map((_, k) => k) : Array.from({ length: M + 1 }, (_, k) => Math.round((k * (x.length - 1)) / M));
    const at = (calls: number) => (calls < 1000 ? String(Math.round(calls)) : calls < 10_000 ? `${(calls / 1000).toFixed(1)}k` : `${Math.round(calls / 1000)}k`);
    const cells = Array.from({ length: M + 1 }, (_, j) => (j < columns.length ? `${fmt(y[columns[j]!]!, 2)} @ ${at(x[columns[j]!]!)}` : '-'));
    efficiency.push(`| ${name} | ${cells.join(' | ')} |`);
    const warm = runs.flatMap((run) => run.warm);
    warmRows.push(`| ${name} | ${fmt(mean(warm.map((w) => w.iterations)), 1)} | ${Math.max(...warm.map((w) => w.iterations))} | ${warm.filter((w) => w.iterations > 100).length} / ${warm.length} | ` +
      `${fmt(mean(warm.map((w) => w.cost)))} | ${warm.filter((w) => w.converged).length} / ${warm.length} |`);
    if (!baseline) {
      ocRows.push(`| ${name} | ${fmt(mean(ocPerIteration), 2)} | ${fmt(mean(consensusRuns.flatMap((run) => run.history.slice(1).map((h) => h.ocIterations))), 1)} | ` +
        `${fmt(mean(consensusRuns.flatMap((run) => run.history.slice(1).map((h) => h.ocSeconds))), 2)} | ${fmt(mean(consensusRuns.flatMap((run) => run.history.slice(1).map((h) => h.learnSeconds))), 2)} |`);
    }
    summary.push({
      algorithm: name, kind: baseline ? 'baseline' : 'consensus', testCost: { mean: mean(finals), median: median(finals) }, seedMeans, medianGap: median(gap),
      diverged: finals.length - finite.length, simulatorCalls: calls, ...(baseline ? {} : { ocMsPerSolverIteration: mean(ocPerIteration) }), curve: { simulatorCalls: x, testCost: y },
    });
  }
  const cold = results.flatMap((r) => r.cold);
  const n = results[0]!.cold.length;
  const hasBaselines = curves.some((c) => c.baseline);
  const markdown = [
    `## ${taskTitle}: final policies`,
    '',
    `Test cost J (eq. 3) of each final policy on ${n} held-out instances, mean (median), over ${results.length} seed(s); ` +
      `TO alone (the solver from its cold guess) on the same instances: ${fmt(mean(toCosts))} (${fmt(median(toCosts))}). ` +
      'The gap is (J - J_TO) / J_TO per instance (Fig. 2), its median; a diverged rollout costs infinity.' +
      (hasBaselines ? ' Simulator calls: steps and Jacobians of the dynamics in training (PPO and SAC take steps only).' : ''),
    '',
    '| algorithm | test cost | over seeds | median gap to TO | diverged | simulator calls | consensus residual | training s |',
    '|---|---|---|---|---|---|---|---|',
    ...rows,
    '',
    '## Sample efficiency (Fig. 3-5)',
    '',
    `Mean test cost after each iteration (iteration 0: the initial policy, shared by all${hasBaselines ? ' consensus algorithms' : ''}), @ simulator calls (steps + Jacobians) so far.` +
      (hasBaselines ? ` PPO and SAC: their learning curve on the same test instances at k/${M} of their run (column k; the first, their own initial policy; the last, their final policy).` : ''),
    '',
    `| algorithm | ${Array.from({ length: M + 1 }, (_, k) => `it ${k}`).join(' | ')} |`,
    `|---|${Array.from({ length: M + 1 }, () => '---').join('|')}|`,
    ...efficiency,
    '',
    '## TO warm-started by the final policy (Fig. 7)',
    '',
    `Solver iterations to its tolerance on the test instances. TO alone: mean ${fmt(mean(cold.map((c) => c.iterations)), 1)}, max ${Math.max(...cold.map((c) => c.iterations))}, ` +
      `${cold.filter((c) => c.iterations > 100).length} / ${cold.length} above 100, converged ${cold.filter((c) => c.converged).length} / ${cold.length}, cost ${fmt(mean(cold.map((c) => c.cost)))}.`,
    '',
    '| warm start from | mean iterations | max | above 100 | refined cost | converged |',
    '|---|---|---|---|---|---|',
    ...warmRows,
    '',
    '## The OC phase (+M: "5 times faster")',
    '',
    `Per solver iteration and instance: each solve's own time on the thread that ran it, summed, over the solver iterations. ` +
      `OC s per iteration: the wall time of an OC phase, its ${p.instances} solves in parallel on ${p.workers} worker thread(s).`,
    '',
    '| algorithm | OC ms per solver iteration and instance | solver iterations per OC phase | OC s per iteration | learning s per iteration |',
    '|---|---|---|---|---|',
    ...ocRows,
  ].join('\n');
  const figures = {
    'sample-efficiency.svg': lineChart(`${taskTitle}: test cost against simulator calls`, 'simulator calls (steps + Jacobians; log scale)', 'mean test cost (log scale)', [
      // Model-free baselines dashed, without dots (their curves have many points).
      ...curves.map(({ baseline, ...c }) => (baseline ? { ...c, dashed: true } : { ...c, dots: true })),
      { name: 'TO alone', x: [0], y: [mean(toCosts)], reference: true, color: '#000000' },
    ], { logX: true, logY: true }),
    'cost-gaps.svg': histogram(`${taskTitle}: (J - J_TO) / J_TO of the final policies`, 'relative cost gap', gaps),
  };
  return { markdown, figures, summary };
}

export const CONSENSUS_STUDY: StudySpec<ConsensusParams> = {
  name: 'consensus',
  about:
    'The consensus paper (Le Lidec et al. 2023): PDDP (Alg. 1), PLAL (Alg. 2, ADMM) with +S (Sobolev), +M (multiple shooting), -C ' +
    '(no box in TO), and the PODS and DPL baselines, trained on a fixed set of instances and compared on held-out ones: test cost ' +
    'against simulator calls, cost gaps to TO, and TO warm-started by the learned policy. Parameters at 0 (or an empty list) take the ' +
    "task's default protocol (TASK_PROTOCOL in the script). --baselines adds PPO and SAC (Fig. 2-3) on the same test instances and simulator-call axis.",
  defaults: {
    task: 'lqr', algorithms: [], baselines: [], baselineSteps: 0, seeds: [0], instances: 0, testInstances: 20, iterations: 0, epochs: 0, batchSize: 256, lr: 1e-3, alphaSob: 1,
    mu: 0, muSchedule: 'constant', muFactor: 10, muMax: 1e4, bclTolerance: 0.1, maxSolverIterations: 1000, workers: 0,
  },
  full: { seeds: [0, 1, 2, 3, 4], algorithms: [...CONSENSUS_ALGORITHMS] },
  // PPO collects whole rollouts of 2048 steps: its smoke run takes one.
  quick: { instances: 2, testInstances: 3, iterations: 2, epochs: 2, baselineSteps: 300 },
  describe: {
    task: `the task (${Object.keys(TASK_PROTOCOL).join(', ')}; any registered task with box controls: ${TASK_NAMES.join(', ')})`,
    algorithms: `comma-separated, e.g. PDDP,PLAL+M+S,PODS (a base PDDP, PLAL, PODS, DPL with +S, +M, -C); empty: the task's set`,
    baselines: `model-free baselines trained beside them: ${BASELINE_ALGOS.join(', ')} (learning/rl/baseline.ts, stable-baselines3's defaults), or none; empty: the task's set (ppo,sac on lqr and pendulum, none elsewhere)`,
    baselineSteps: 'environment steps of each baseline per seed (0: its default budget on the task, as in experiments/rl.ts)',
    seeds: 'seeds (training instances, test instances and the initial policy each follow from one)',
    instances: 'N, the fixed training instances (0: task default)',
    testInstances: 'held-out instances for the test cost',
    iterations: 'M, outer iterations of each algorithm (0: task default)',
    epochs: 'Adam epochs of each learning phase over the N T pairs (0: task default)',
    batchSize: 'minibatch size of the learning phase',
    lr: 'Adam learning rate',
    alphaSob: 'weight of the Sobolev term (+S)',
    mu: 'mu of the augmented Lagrangian (PLAL) or the penalty (DPL) (0: task default)',
    muSchedule: 'constant, geometric (mu *= mu-factor each iteration) or bcl (multipliers only below a tightening tolerance, else mu *= mu-factor)',
    muFactor: 'the mu schedule\'s factor',
    muMax: 'the largest mu of a schedule',
    bclTolerance: 'bcl: the first tolerance on the RMS consensus residual',
    maxSolverIterations: 'n_max of each OC solve',
    workers: 'worker threads that solve the OC phases\' instances in parallel (0: one per core)',
  },
  check(p) {
    if (!TASK_NAMES.includes(p.task)) throw new RangeError(`--task: unknown task "${p.task}" (known: ${TASK_NAMES.join(', ')})`);
    for (const a of p.algorithms) parseAlgorithm(a);
    for (const b of p.baselines) if (!isBaselineAlgo(b) && !(b === 'none' && p.baselines.length === 1)) throw new RangeError(`--baselines: "${b}" is not ${BASELINE_ALGOS.join(' or ')} (or none alone)`);
    if (!Number.isInteger(p.baselineSteps) || p.baselineSteps < 0) throw new RangeError(`--baseline-steps: a non-negative integer (0: the default budget), got ${p.baselineSteps}`);
    for (const b of resolved(p).baselines) if (isBaselineAlgo(b)) baselineSteps(b, p.task, p.baselineSteps);
    if (!['constant', 'geometric', 'bcl'].includes(p.muSchedule)) throw new RangeError(`--mu-schedule: "${p.muSchedule}" is not constant, geometric or bcl`);
    if (p.seeds.length === 0 || !p.seeds.every(Number.isInteger)) throw new RangeError('--seeds: give one or more integers');
    if (!Number.isInteger(p.testInstances) || p.testInstances < 1) throw new RangeError(`--test-instances must be a positive integer, got ${p.testInstances}`);
    for (const key of ['instances', 'iterations', 'epochs'] as const) {
      if (!Number.isInteger(p[key]) || p[key] < 0) throw new RangeError(`--${key}: a non-negative integer (0: the task's default), got ${p[key]}`);
    }
    if (!Number.isInteger(p.workers) || p.workers < 0) throw new RangeError(`--workers: a non-negative integer (0: one per core), got ${p.workers}`);
    if (p.mu < 0) throw new RangeError(`--mu must be positive (0: the task's default), got ${p.mu}`);
  },
  async run(p, study) {
    const task = taskByName(p.task);
    const r = resolved(p);
    const settings = {
      iterations: r.iterations, epochs: r.epochs, batchSize: p.batchSize, lr: p.lr, alphaSob: p.alphaSob, mu: r.mu,
      muSchedule: p.muSchedule as MuSchedule, muFactor: p.muFactor, muMax: p.muMax, bclTolerance: p.bclTolerance, maxSolverIterations: p.maxSolverIterations,
    };
    study.log(`consensus on ${task.title}: ${r.algorithms.join(', ')}; N = ${r.instances}, M = ${r.iterations}, ${r.epochs} epochs per iteration, mu = ${r.mu} (${p.muSchedule})` +
      `${r.baselines.length > 0 ? `; baselines ${r.baselines.join(', ')}` : ''}`);
    const pool = new JobPool(p.workers || undefined);
    study.log(`the OC phases on ${pool.size} worker thread(s)`);
    let results;
    try {
      results = await compareConsensus({
        task, algorithms: r.algorithms, seeds: p.seeds, instances: r.instances, testInstances: p.testInstances, settings, onProgress: study.log,
        baselines: r.baselines, baselineSteps: p.baselineSteps, backend: pool,
      }, study.checkInterrupted);
    } finally {
      await pool.close();
    }
    const learners = [...r.algorithms, ...r.baselines.map((b) => b.toUpperCase())];
    const { markdown, figures, summary } = report(results, learners, { ...p, instances: r.instances, iterations: r.iterations, workers: pool.size }, task.title);
    return { results: { protocol: { ...r, settings, workers: pool.size }, summary, seeds: results }, markdown, figures };
  },
};

runStudyIfMain(CONSENSUS_STUDY, import.meta.url);

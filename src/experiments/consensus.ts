/**
 * The consensus paper's experiments (Le Lidec et al., ICRA 2023, sec. V): PDDP, PLAL and their
 * variants against PODS and DPL on the constrained LQR, the pendulum, the double pendulum and
 * the UR5, on the study harness (runner/study.ts). The algorithms and the protocol live in
 * src/learning/consensus/; this script declares the parameters and writes the tables and figures:
 *
 *   - the final policies: test cost beside TO alone, cost gaps (Fig. 2), simulator calls, times;
 *   - sample efficiency: test cost against simulator calls (Fig. 3-5), as a table and a plot;
 *   - TO warm-started by each final policy against TO alone (Fig. 7: iterations, solves > 100);
 *   - the OC phase's cost per solver iteration with and without +M (the paper's "5 times faster").
 *
 *   npx tsx src/experiments/consensus.ts --task pendulum
 */
import { CONSENSUS_ALGORITHMS, type ConsensusSettings, type MuSchedule, type SeedResult, compareConsensus, parseAlgorithm } from '../learning/consensus/index.js';
import { TASK_NAMES, taskByName } from '../tasks/index.js';
import { histogram, lineChart } from './runner/svg.js';
import { type StudySpec, runStudyIfMain } from './runner/study.js';

/** Per task: the default protocol (ours: the paper gives none of these numbers), chosen to fit about 15 minutes here. */
export const TASK_PROTOCOL: Record<string, { instances: number; iterations: number; epochs: number; mu: number; algorithms: string[] }> = {
  // Fig. 3: every variant (cheap: 4 states, T = 50).
  lqr: { instances: 16, iterations: 10, epochs: 20, mu: 0.1, algorithms: [...CONSENSUS_ALGORITHMS] },
  // Fig. 4: the ablations that matter on the pendulum (constraints in TO, +S, +M).
  pendulum: { instances: 8, iterations: 8, epochs: 10, mu: 0.01, algorithms: ['PDDP', 'PDDP+S', 'PODS', 'PLAL+S', 'PLAL+S-C', 'PLAL+M+S'] },
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
  seeds: number[];
  instances: number;
  testInstances: number;
  muSchedule: string;
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
    instances: p.instances || d.instances,
    iterations: p.iterations || d.iterations,
    epochs: p.epochs || d.epochs,
    mu: p.mu || d.mu,
  };
}

function report(results: SeedResult[], algorithms: string[], p: ConsensusParams, taskTitle: string) {
  const toCosts = results.flatMap((r) => r.cold.map((c) => c.cost));
  const rows: string[] = [];
  const curves: { name: string; x: number[]; y: number[] }[] = [];
  const gaps: { name: string; values: number[] }[] = [];
  const warmRows: string[] = [];
  const ocRows: string[] = [];
  const efficiency: string[] = [];
  const summary: Record<string, unknown>[] = [];
  for (const name of algorithms) {
    const runs = results.flatMap((r) => r.runs.filter((run) => run.algorithm === name));
    const finals = runs.flatMap((run) => run.finalCosts);
    const finite = finals.filter(Number.isFinite);
    const seedMeans = runs.map((run) => mean(run.finalCosts));
    // Relative gap to TO alone on the same instance (Fig. 2).
    const gap = results.flatMap((r) => r.runs.filter((run) => run.algorithm === name).flatMap((run) => run.finalCosts.map((c, i) => (c - r.cold[i]!.cost) / r.cold[i]!.cost)));
    gaps.push({ name, values: gap.filter(Number.isFinite) });
    const calls = mean(runs.map((run) => run.history[run.history.length - 1]!.simulatorCalls));
    const last = runs.map((run) => run.history[run.history.length - 1]!);
    const ocPerIteration = runs.map((run) => {
      const h = run.history.slice(1);
      const solverIterations = h.reduce((a, r) => a + r.ocIterations * p.instances, 0);
      return (1000 * h.reduce((a, r) => a + r.ocSeconds, 0)) / Math.max(solverIterations, 1);
    });
    rows.push(`| ${name} | ${fmt(mean(finals))} (${fmt(median(finals))}) | ${runs.length > 1 ? `${fmt(Math.min(...seedMeans))} to ${fmt(Math.max(...seedMeans))}` : '-'} | ` +
      `${fmt(100 * median(gap), 2)} % | ${finals.length - finite.length} / ${finals.length} | ${Math.round(calls)} | ` +
      `${fmt(mean(last.map((h) => h.consensusResidual)), 4)} | ${fmt(mean(runs.map((run) => run.seconds)), 0)} |`);
    // The curve: mean over seeds of the mean test cost, at the mean simulator calls of each iteration.
    const K = runs[0]!.history.length;
    const x = Array.from({ length: K }, (_, k) => mean(runs.map((run) => run.history[k]!.simulatorCalls)));
    const y = Array.from({ length: K }, (_, k) => mean(runs.map((run) => mean(run.history[k]!.testCosts))));
    curves.push({ name, x, y });
    efficiency.push(`| ${name} | ${y.map((v, k) => `${fmt(v, 2)} @ ${Math.round(x[k]! / 1000)}k`).join(' | ')} |`);
    const warm = runs.flatMap((run) => run.warm);
    warmRows.push(`| ${name} | ${fmt(mean(warm.map((w) => w.iterations)), 1)} | ${Math.max(...warm.map((w) => w.iterations))} | ${warm.filter((w) => w.iterations > 100).length} / ${warm.length} | ` +
      `${fmt(mean(warm.map((w) => w.cost)))} | ${warm.filter((w) => w.converged).length} / ${warm.length} |`);
    ocRows.push(`| ${name} | ${fmt(mean(ocPerIteration), 2)} | ${fmt(mean(runs.flatMap((run) => run.history.slice(1).map((h) => h.ocIterations))), 1)} | ` +
      `${fmt(mean(runs.flatMap((run) => run.history.slice(1).map((h) => h.ocSeconds))), 2)} | ${fmt(mean(runs.flatMap((run) => run.history.slice(1).map((h) => h.learnSeconds))), 2)} |`);
    summary.push({ algorithm: name, testCost: { mean: mean(finals), median: median(finals) }, seedMeans, medianGap: median(gap), diverged: finals.length - finite.length, simulatorCalls: calls, ocMsPerSolverIteration: mean(ocPerIteration), curve: { simulatorCalls: x, testCost: y } });
  }
  const cold = results.flatMap((r) => r.cold);
  const n = results[0]!.cold.length;
  const markdown = [
    `## ${taskTitle}: final policies`,
    '',
    `Test cost J (eq. 3) of each final policy on ${n} held-out instances, mean (median), over ${results.length} seed(s); ` +
      `TO alone (the solver from its cold guess) on the same instances: ${fmt(mean(toCosts))} (${fmt(median(toCosts))}). ` +
      'The gap is (J - J_TO) / J_TO per instance (Fig. 2), its median; a diverged rollout costs infinity.',
    '',
    '| algorithm | test cost | over seeds | median gap to TO | diverged | simulator calls | consensus residual | training s |',
    '|---|---|---|---|---|---|---|---|',
    ...rows,
    '',
    '## Sample efficiency (Fig. 3-5)',
    '',
    'Mean test cost after each iteration (iteration 0: the initial policy, shared by all), @ simulator calls (steps + Jacobians) so far.',
    '',
    `| algorithm | ${curves[0]!.x.map((_, k) => `it ${k}`).join(' | ')} |`,
    `|---|${curves[0]!.x.map(() => '---').join('|')}|`,
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
    '| algorithm | OC ms per solver iteration and instance | solver iterations per OC phase | OC s per iteration | learning s per iteration |',
    '|---|---|---|---|---|',
    ...ocRows,
  ].join('\n');
  const figures = {
    'sample-efficiency.svg': lineChart(`${taskTitle}: test cost against simulator calls`, 'simulator calls (steps + Jacobians)', 'mean test cost', [
      ...curves.map((c) => ({ ...c, dots: true })),
      { name: 'TO alone', x: [0], y: [mean(toCosts)], reference: true },
    ]),
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
    "task's default protocol (TASK_PROTOCOL in the script).",
  defaults: {
    task: 'lqr', algorithms: [], seeds: [0], instances: 0, testInstances: 20, iterations: 0, epochs: 0, batchSize: 256, lr: 1e-3, alphaSob: 1,
    mu: 0, muSchedule: 'constant', muFactor: 10, muMax: 1e4, bclTolerance: 0.1, maxSolverIterations: 1000,
  },
  full: { seeds: [0, 1, 2, 3, 4], algorithms: [...CONSENSUS_ALGORITHMS] },
  quick: { instances: 2, testInstances: 3, iterations: 2, epochs: 2 },
  describe: {
    task: `the task (${Object.keys(TASK_PROTOCOL).join(', ')}; any registered task with box controls: ${TASK_NAMES.join(', ')})`,
    algorithms: `comma-separated, e.g. PDDP,PLAL+M+S,PODS (a base PDDP, PLAL, PODS, DPL with +S, +M, -C); empty: the task's set`,
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
  },
  check(p) {
    if (!TASK_NAMES.includes(p.task)) throw new RangeError(`--task: unknown task "${p.task}" (known: ${TASK_NAMES.join(', ')})`);
    for (const a of p.algorithms) parseAlgorithm(a);
    if (!['constant', 'geometric', 'bcl'].includes(p.muSchedule)) throw new RangeError(`--mu-schedule: "${p.muSchedule}" is not constant, geometric or bcl`);
    if (p.seeds.length === 0 || !p.seeds.every(Number.isInteger)) throw new RangeError('--seeds: give one or more integers');
    if (!Number.isInteger(p.testInstances) || p.testInstances < 1) throw new RangeError(`--test-instances must be a positive integer, got ${p.testInstances}`);
    for (const key of ['instances', 'iterations', 'epochs'] as const) {
      if (!Number.isInteger(p[key]) || p[key] < 0) throw new RangeError(`--${key}: a non-negative integer (0: the task's default), got ${p[key]}`);
    }
    if (p.mu < 0) throw new RangeError(`--mu must be positive (0: the task's default), got ${p.mu}`);
  },
  async run(p, study) {
    const task = taskByName(p.task);
    const r = resolved(p);
    const settings = {
      iterations: r.iterations, epochs: r.epochs, batchSize: p.batchSize, lr: p.lr, alphaSob: p.alphaSob, mu: r.mu,
      muSchedule: p.muSchedule as MuSchedule, muFactor: p.muFactor, muMax: p.muMax, bclTolerance: p.bclTolerance, maxSolverIterations: p.maxSolverIterations,
    };
    study.log(`consensus on ${task.title}: ${r.algorithms.join(', ')}; N = ${r.instances}, M = ${r.iterations}, ${r.epochs} epochs per iteration, mu = ${r.mu} (${p.muSchedule})`);
    const results = compareConsensus({
      task, algorithms: r.algorithms, seeds: p.seeds, instances: r.instances, testInstances: p.testInstances, settings, onProgress: study.log,
    }, study.checkInterrupted);
    const { markdown, figures, summary } = report(results, r.algorithms, { ...p, instances: r.instances }, task.title);
    return { results: { protocol: { ...r, settings }, summary, seeds: results }, markdown, figures };
  },
};

runStudyIfMain(CONSENSUS_STUDY, import.meta.url);

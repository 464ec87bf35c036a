/**
 * The model-free baselines of the consensus paper (Fig. 2-3: PPO and SAC from stable-baselines3
 * on the constrained LQR) and of the value-learning paper (Fig. 10-11: PPO on the unicycle), on
 * our engine and our tasks:
 *
 *   npx tsx src/experiments/rl.ts --algo sac --task pendulum
 *   npx tsx src/experiments/rl.ts --algo ppo --task lqr
 *
 * Per seed: train (src/learning/rl/), recording the deterministic policy's mean cost on a fixed
 * set of instances every few thousand steps (the learning curve, against environment steps =
 * simulator calls); then evaluate the final policy on held-out tasks with the protocol of the
 * other methods (learning/evaluate.ts: its own cost, and the solver warm-started from its
 * rollout) beside the solver alone on the same tasks.
 */
import { taskSolver } from '../learning/collect.js';
import { type MethodResult, type SolverAloneResult, evaluatePolicy, evaluateSolverAlone, heldOutInstances, stats } from '../learning/evaluate.js';
import { BASELINE_ACTION_BOUND, BASELINE_ALGOS, PPO_DEFAULTS, type RlRun, SAC_HIDDEN, baselineProtocol, baselineSteps, isBaselineAlgo, rlEvaluated, trainBaseline } from '../learning/rl/index.js';
import { TASK_NAMES, taskByName } from '../tasks/index.js';
import { type StudySpec, runStudyIfMain } from './runner/study.js';
import { lineChart } from './runner/svg.js';

type Params = {
  algo: string;
  task: string;
  seeds: number[];
  steps: number;
  hidden: number[];
  learningRate: number;
  nSteps: number;
  numEnvs: number;
  discount: number;
  actionBound: number;
  actionRepeat: number;
  evalEvery: number;
  heldOut: number;
};

export const RL_STUDY: StudySpec<Params> = {
  name: 'rl',
  about: 'Model-free baselines (PPO, SAC) with stable-baselines3\'s documented defaults on a task of the registry: learning curves over seeds (cost of the deterministic policy against environment steps), then the final policy on held-out tasks against the solver alone on the same tasks.',
  defaults: {
    algo: 'sac',
    task: 'pendulum',
    seeds: [0, 1, 2],
    steps: 0,
    hidden: [],
    learningRate: PPO_DEFAULTS.learningRate,
    nSteps: PPO_DEFAULTS.nSteps,
    numEnvs: PPO_DEFAULTS.numEnvs,
    discount: PPO_DEFAULTS.discount,
    actionBound: BASELINE_ACTION_BOUND,
    actionRepeat: 0,
    evalEvery: 0,
    heldOut: 20,
  },
  full: { seeds: [0, 1, 2, 3, 4], heldOut: 50 },
  quick: { seeds: [0], steps: 600, nSteps: 300, evalEvery: 300, heldOut: 2, hidden: [16, 16] },
  describe: {
    algo: 'ppo or sac',
    task: `the task (${TASK_NAMES.join(', ')})`,
    seeds: 'one training run per seed',
    steps: 'environment steps per run; 0: the default of the algorithm and task (BASELINE_STEPS in learning/rl/baseline.ts)',
    hidden: `hidden layer widths; empty: PPO ${PPO_DEFAULTS.hidden.join(',')} (SB3), SAC ${SAC_HIDDEN.join(',')} (ours; SB3 256,256)`,
    learningRate: 'Adam learning rate (SB3: 3e-4 for both)',
    nSteps: 'PPO: steps per copy between updates (SB3 n_steps; a run collects whole rollouts, so it may pass --steps)',
    numEnvs: 'environment copies stepped together (SB3 n_envs)',
    discount: 'the discount of the task\'s problem (1: the OCP the solver solves; below 1, the learner\'s gamma too)',
    actionBound: 'the action box [-b, b] of a task without control bounds (the unicycle: the solver\'s controls reach 8.4 on sampled starts); ignored where the task has bounds',
    actionRepeat: 'dynamics steps each action is held for; 0: decide every 0.05 s (gym Pendulum-v1\'s rate; 5 on the pendulum, 1 on the lqr and the unicycle)',
    evalEvery: 'environment steps between learning-curve points; 0: steps / 20',
    heldOut: 'held-out tasks: the learning curve and the final evaluation run on them',
  },
  check(p) {
    if (!isBaselineAlgo(p.algo)) throw new RangeError(`--algo must be ${BASELINE_ALGOS.join(' or ')}, got "${p.algo}"`);
    if (!TASK_NAMES.includes(p.task)) throw new RangeError(`--task: unknown task "${p.task}" (known: ${TASK_NAMES.join(', ')})`);
    if (p.seeds.length === 0) throw new RangeError('--seeds: give at least one seed');
    baselineSteps(p.algo, p.task, p.steps);
    for (const key of ['steps', 'evalEvery', 'actionRepeat'] as const) if (!Number.isInteger(p[key]) || p[key] < 0) throw new RangeError(`--${key}: a non-negative integer, got ${p[key]}`);
    for (const key of ['nSteps', 'numEnvs', 'heldOut'] as const) if (!Number.isInteger(p[key]) || p[key] < 1) throw new RangeError(`--${key}: a positive integer, got ${p[key]}`);
    if (!(p.discount > 0 && p.discount <= 1)) throw new RangeError(`--discount must lie in (0, 1], got ${p.discount}`);
    if (!(p.learningRate > 0) || !(p.actionBound > 0)) throw new RangeError('--learning-rate and --action-bound must be positive');
  },
  async run(p, study) {
    const task = taskByName(p.task);
    const settings = {
      steps: p.steps, hidden: p.hidden, actionRepeat: p.actionRepeat, evalEvery: p.evalEvery, learningRate: p.learningRate,
      nSteps: p.nSteps, numEnvs: p.numEnvs, discount: p.discount, actionBound: p.actionBound,
    };
    const { steps, hidden, actionRepeat } = baselineProtocol(p.algo, task, settings);
    const solver = taskSolver(task, {});
    const runs: { seed: number; run: RlRun; policy: MethodResult; alone: SolverAloneResult }[] = [];
    for (const seed of p.seeds) {
      const label = `${p.algo} ${p.task} seed ${seed}`;
      // The seed's held-out tasks (those of every experiment); the learning curve is measured on them too.
      const instances = heldOutInstances(task, seed, p.heldOut);
      const run = trainBaseline(p.algo, task, {
        ...settings, seed, heldOut: instances,
        onProgress: (point) => {
          study.progress.update(label, point.steps, steps, `cost ${point.evalCost.toFixed(3)}`);
          study.checkInterrupted();
        },
      });
      study.log(`${label}: ${run.steps} steps in ${run.seconds.toFixed(0)} s, final cost ${run.curve[run.curve.length - 1].evalCost.toFixed(3)}`);
      const context = { task, instances, solver };
      const alone = await evaluateSolverAlone(context);
      const policy = await evaluatePolicy(rlEvaluated(p.algo.toUpperCase(), run.policy, task), context);
      runs.push({ seed, run, policy, alone });
      study.checkInterrupted();
    }
    return report(p, task.title, steps, hidden, actionRepeat, runs);
  },
};

function fmt(v: number): string {
  return Number.isFinite(v) ? (Math.abs(v) >= 100 ? v.toFixed(1) : v.toPrecision(4)) : 'inf';
}

function report(p: Params, title: string, steps: number, hidden: number[], actionRepeat: number, runs: { seed: number; run: RlRun; policy: MethodResult; alone: SolverAloneResult }[]) {
  const algo = p.algo.toUpperCase();
  // The learning curve averaged over seeds (all seeds share the curve's step grid).
  const grid = runs[0].run.curve.map((point) => point.steps);
  const meanAt = (k: number) => stats(runs.map((r) => r.run.curve[k]?.evalCost ?? NaN));
  const soloCost = stats(runs.flatMap((r) => r.alone.perTask.cost)).mean;
  const columns = grid.length <= 6 ? grid.map((_, k) => k) : [0, 1, 2, 3, 4, 5].map((i) => Math.round((i * (grid.length - 1)) / 5));
  const curveTable = [
    `Mean cost of the deterministic policy on the ${p.heldOut} held-out tasks of each seed, against environment steps (decisions; simulator calls = ${actionRepeat} x steps), mean over ${runs.length} seed(s); the solver alone on the same tasks: ${fmt(soloCost)}.`,
    '',
    `| steps | ${columns.map((k) => grid[k]).join(' | ')} |`,
    `|---|${columns.map(() => '---').join('|')}|`,
    `| ${algo} cost | ${columns.map((k) => fmt(meanAt(k).mean)).join(' | ')} |`,
    `| seeds' range | ${columns.map((k) => { const v = runs.map((r) => r.run.curve[k]?.evalCost ?? NaN); return `${fmt(Math.min(...v))} to ${fmt(Math.max(...v))}`; }).join(' | ')} |`,
  ];
  const finalRows = runs.map(({ seed, run, policy, alone }) =>
    `| ${seed} | ${run.steps} | ${fmt(policy.policyCost.mean)} (${fmt(policy.policyCost.median)}) | ${fmt(policy.refinedCost.mean)} | ${policy.solverIterations.mean.toFixed(1)} | ${fmt(alone.cost.mean)} (${fmt(alone.cost.median)}) | ${alone.iterations.mean.toFixed(1)} | ${run.seconds.toFixed(0)} |`);
  const finalTable = [
    `Final policy on ${p.heldOut} held-out tasks per seed: its own cost, and the solver warm-started from its rollout, beside the solver alone (cold guess) on the same tasks; mean (median).`,
    '',
    '| seed | steps | policy cost | refined cost | solver iterations (warm) | TO alone cost | TO alone iterations | train s |',
    '|---|---|---|---|---|---|---|---|',
    ...finalRows,
  ];
  const markdown = [
    `## ${algo} on ${title}`,
    '',
    `${steps} environment steps (decisions) per seed, each held for ${actionRepeat} dynamics step(s): ${steps * actionRepeat} simulator calls; hidden ${hidden.join('-')}, learning rate ${p.learningRate}, ${p.numEnvs} environment(s), discount ${p.discount}.`,
    '',
    ...curveTable,
    '',
    ...finalTable,
    '',
  ].join('\n');
  const series = runs.map(({ seed, run }) => ({ name: `${algo} seed ${seed}`, x: run.curve.map((c) => c.steps), y: run.curve.map((c) => c.evalCost) }));
  const figure = lineChart(`${algo} on ${title}: learning curves`, 'environment steps (simulator calls)', 'cost of the deterministic policy', [
    ...series,
    { name: 'TO alone', x: [0], y: [soloCost], reference: true, color: '#000000' },
  ]);
  const results = {
    algo: p.algo,
    task: p.task,
    steps,
    hidden,
    actionRepeat,
    seeds: runs.map(({ seed, run, policy, alone }) => ({
      seed,
      curve: run.curve,
      updates: run.updates,
      simulatorCalls: run.simulatorCalls,
      trainSeconds: run.seconds,
      heldOut: {
        policyCost: policy.policyCost, refinedCost: policy.refinedCost, solverIterations: policy.solverIterations, refinedConvergedRate: policy.refinedConvergedRate,
        perTask: { policyCost: policy.perTask.policyCost.map((c) => (Number.isFinite(c) ? c : null)), refinedCost: policy.perTask.refinedCost.map((c) => (Number.isFinite(c) ? c : null)) },
      },
      toAlone: { cost: alone.cost, iterations: alone.iterations, convergedRate: alone.convergedRate, perTask: alone.perTask.cost.map((c) => (Number.isFinite(c) ? c : null)) },
    })),
  };
  return { results, markdown, figures: { 'learning_curves.svg': figure } };
}

runStudyIfMain(RL_STUDY, import.meta.url);

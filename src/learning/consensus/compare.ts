/**
 * The consensus paper's comparison protocol (sec. V), task-agnostic: per seed, draw the fixed
 * training instances beta^(i) and held-out test instances, solve the test instances with TO
 * alone (the reference of the cost gaps, Fig. 2), train every algorithm from the same initial
 * policy (Fig. 5's caption: "policy parameters are identically initialized"), and evaluate
 * each final policy alone and as a warm start of the solver (Fig. 7). The model-free
 * baselines of Fig. 2-3 (PPO, SAC: rl/baseline.ts) train on the same task, their learning
 * curves on the same held-out instances, and are evaluated the same way; every learner
 * reports a `LearnerRun`, so the tables treat them alike.
 *
 * The OC phases' solves go to `backend` (a worker pool) when one is given, in parallel; the
 * results are the same without one.
 *
 * Training instances come from Rng(seed), test instances from Rng(1_000_003 + seed)
 * (evaluate.ts heldOutInstances), the initial policy from Rng(7919 + seed), as in the main
 * paper's runner.
 */
import { Rng } from '../../autodiff/index.js';
import { solveOcp, trajectoryCost } from '../../ocp/index.js';
import type { Task, TaskInstance } from '../../tasks/index.js';
import { type PolicyRollout, heldOutInstances } from '../evaluate.js';
import { type CurvePoint, rlEvaluated, trainBaseline } from '../rl/index.js';
import { parseAlgorithm } from './algorithms.js';
import { type ConsensusSettings, type IterationRecord, trainConsensus } from './consensus.js';
import type { ConsensusSolveBackend } from './oc-solve.js';
import { initConsensusPolicy, policyFunction } from './policy.js';
import { rolloutPolicy } from './simulator.js';

export interface ComparisonSpec {
  task: Task;
  algorithms: readonly string[];
  seeds: readonly number[];
  /** N, the fixed training instances. */
  instances: number;
  testInstances: number;
  settings: Omit<ConsensusSettings, 'seed'>;
  hidden?: readonly number[];
  /** Model-free baselines trained beside the consensus algorithms: 'ppo', 'sac' (rl/baseline.ts). */
  baselines?: readonly string[];
  /** Their environment steps; 0 or absent: the default budget of the algorithm and task. */
  baselineSteps?: number;
  /** Where the OC phases' solves run (workers/jobs.ts: JobPool); absent: this thread. The caller closes it. */
  backend?: ConsensusSolveBackend;
  /** Between units of work: progress lines, Ctrl-C. */
  onProgress?: (line: string) => void;
}

/** A solve from a guess: its iterations, cost and whether it converged. */
export interface SolveSummary {
  iterations: number;
  cost: number;
  converged: boolean;
}

/** What every learner reports: its final policy on the test instances (J, and the solver warm-started from its rollout) and its training time. */
interface LearnerOutcome {
  /** Its name in the tables: PDDP+S, PLAL+M, ..., PPO, SAC. */
  algorithm: string;
  seed: number;
  finalCosts: number[];
  warm: SolveSummary[];
  /** Wall seconds of the whole training. */
  seconds: number;
}

/** A consensus algorithm's run: one record per iteration. */
export interface AlgorithmRun extends LearnerOutcome {
  kind: 'consensus';
  history: IterationRecord[];
}

/** A model-free baseline's run: its learning curve on the test instances against environment steps and simulator calls (dynamics steps). */
export interface BaselineRun extends LearnerOutcome {
  kind: 'baseline';
  curve: CurvePoint[];
  /** Environment steps (decisions) and simulator calls of the whole run, gradient updates taken. */
  steps: number;
  simulatorCalls: number;
  updates: number;
}

export type LearnerRun = AlgorithmRun | BaselineRun;

export interface SeedResult {
  seed: number;
  /** TO alone from the task's cold guess on the test instances. */
  cold: SolveSummary[];
  /** The consensus algorithms in the order asked, then the baselines. */
  runs: LearnerRun[];
}

/**
 * A learner's mean test cost against its cumulative simulator calls, from the initial policy
 * (0 calls) to the final one: a consensus algorithm's iterations; a baseline's curve points,
 * then its final policy at its total calls (PPO records its curve while it collects, so a point
 * at the total is the policy before the last update, and its run may end past the last point).
 */
export function learnerCurve(run: LearnerRun): { simulatorCalls: number[]; testCost: number[] } {
  const mean = (v: readonly number[]) => v.reduce((a, b) => a + b, 0) / v.length;
  if (run.kind === 'consensus') return { simulatorCalls: run.history.map((h) => h.simulatorCalls), testCost: run.history.map((h) => mean(h.testCosts)) };
  const points = run.curve.filter((c) => c.simulatorCalls < run.simulatorCalls).map((c) => ({ calls: c.simulatorCalls, cost: c.evalCost }));
  points.push({ calls: run.simulatorCalls, cost: mean(run.finalCosts) });
  return { simulatorCalls: points.map((p) => p.calls), testCost: points.map((p) => p.cost) };
}

function summary(s: { iterations: number; cost: number; converged: boolean }): SolveSummary {
  return { iterations: s.iterations, cost: Number.isFinite(s.cost) ? s.cost : Infinity, converged: s.converged };
}

/** The solver on each instance from a policy's rollout (from the task's cold guess where the rollout diverged): Fig. 7. */
function warmStarted(task: Task, instances: readonly TaskInstance[], rollouts: PolicyRollout): SolveSummary[] {
  const options = { ...task.solverOptions, history: false };
  return instances.map((instance, i) => {
    const problem = task.problem(instance);
    return summary(solveOcp(problem, task.solver, rollouts.diverged[i] ? task.coldGuess(problem) : { xs: rollouts.xs[i]!, us: rollouts.us[i]! }, options));
  });
}

export async function compareConsensus(spec: ComparisonSpec, checkInterrupted: () => void = () => {}): Promise<SeedResult[]> {
  const { task } = spec;
  const algorithms = spec.algorithms.map(parseAlgorithm);
  const log = spec.onProgress ?? (() => {});
  const results: SeedResult[] = [];
  for (const seed of spec.seeds) {
    const rng = new Rng(seed);
    const instances = Array.from({ length: spec.instances }, () => task.sampleInstance(rng));
    const testInstances = heldOutInstances(task, seed, spec.testInstances);
    const options = { ...task.solverOptions, history: false };
    const cold = testInstances.map((instance) => {
      const problem = task.problem(instance);
      return summary(solveOcp(problem, task.solver, task.coldGuess(problem), options));
    });
    const initial = initConsensusPolicy(new Rng(7919 + seed), task, instances, spec.hidden);
    const runs: LearnerRun[] = [];
    for (const algorithm of algorithms) {
      checkInterrupted();
      const start = performance.now();
      const result = await trainConsensus({
        task, algorithm, instances, testInstances, policy: initial, settings: { ...spec.settings, seed }, backend: spec.backend,
        onIteration: (h) => {
          const finite = h.testCosts.filter(Number.isFinite);
          const mean = finite.reduce((a, b) => a + b, 0) / Math.max(finite.length, 1);
          log(`seed ${seed} ${algorithm.name} iteration ${h.iteration}/${spec.settings.iterations}: test cost ${finite.length > 0 ? mean.toFixed(3) : 'n/a'}` +
            `${finite.length < h.testCosts.length ? ` (${h.testCosts.length - finite.length} diverged)` : ''}, residual ${h.consensusResidual.toExponential(1)}, ` +
            `${h.simulatorCalls} simulator calls, OC ${h.ocSeconds.toFixed(1)} s, learning ${h.learnSeconds.toFixed(1)} s`);
          checkInterrupted();
        },
      });
      const seconds = (performance.now() - start) / 1000;
      const pi = policyFunction(result.policy);
      const finalCosts = result.history[result.history.length - 1]!.testCosts;
      const rollouts = testInstances.map((instance) => rolloutPolicy(task.problem(instance), pi));
      const warm = warmStarted(task, testInstances, { xs: rollouts.map((r) => r.xs), us: rollouts.map((r) => r.us), diverged: rollouts.map((r) => r.diverged) });
      runs.push({ kind: 'consensus', algorithm: algorithm.name, seed, history: result.history, finalCosts, warm, seconds });
    }
    for (const algo of spec.baselines ?? []) {
      checkInterrupted();
      const name = algo.toUpperCase();
      const run = trainBaseline(algo, task, {
        seed, heldOut: testInstances, steps: spec.baselineSteps,
        onProgress: (point, total) => {
          log(`seed ${seed} ${name} ${point.steps}/${total} steps: test cost ${point.evalCost.toFixed(3)}, ${point.simulatorCalls} simulator calls, ${point.seconds.toFixed(1)} s`);
          checkInterrupted();
        },
      });
      const rollouts = rlEvaluated(name, run.policy, task).rollout(testInstances, task.horizon);
      // J of eq. (3) as for the consensus policies; a diverged rollout costs infinity.
      const finalCosts = testInstances.map((instance, i) => {
        const cost = rollouts.diverged[i] ? Infinity : trajectoryCost(task.problem(instance), rollouts.xs[i]!, rollouts.us[i]!);
        return Number.isFinite(cost) ? cost : Infinity;
      });
      runs.push({
        kind: 'baseline', algorithm: name, seed, curve: run.curve, steps: run.steps, simulatorCalls: run.simulatorCalls, updates: run.updates,
        finalCosts, warm: warmStarted(task, testInstances, rollouts), seconds: run.seconds,
      });
    }
    results.push({ seed, cold, runs });
  }
  return results;
}

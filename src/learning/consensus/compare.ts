/**
 * The consensus paper's comparison protocol (sec. V), task-agnostic: per seed, draw the fixed
 * training instances beta^(i) and held-out test instances, solve the test instances with TO
 * alone (the reference of the cost gaps, Fig. 2), train every algorithm from the same initial
 * policy (Fig. 5's caption: "policy parameters are identically initialized"), and evaluate
 * each final policy alone and as a warm start of the solver (Fig. 7).
 *
 * Training instances come from Rng(seed), test instances from Rng(1_000_003 + seed), the
 * initial policy from Rng(7919 + seed), as in the main paper's runner.
 */
import { Rng } from '../../autodiff/index.js';
import { solveOcp } from '../../ocp/index.js';
import type { Task, TaskInstance } from '../../tasks/index.js';
import { parseAlgorithm } from './algorithms.js';
import { type ConsensusSettings, type IterationRecord, trainConsensus } from './consensus.js';
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
  /** Between units of work: progress lines, Ctrl-C. */
  onProgress?: (line: string) => void;
}

/** A solve from a guess: its iterations, cost and whether it converged. */
export interface SolveSummary {
  iterations: number;
  cost: number;
  converged: boolean;
}

export interface AlgorithmRun {
  algorithm: string;
  seed: number;
  history: IterationRecord[];
  /** The final policy on the test instances: J, and the solver warm-started from its rollout. */
  finalCosts: number[];
  warm: SolveSummary[];
  /** Wall seconds of the whole training. */
  seconds: number;
}

export interface SeedResult {
  seed: number;
  /** TO alone from the task's cold guess on the test instances. */
  cold: SolveSummary[];
  runs: AlgorithmRun[];
}

function summary(s: { iterations: number; cost: number; converged: boolean }): SolveSummary {
  return { iterations: s.iterations, cost: Number.isFinite(s.cost) ? s.cost : Infinity, converged: s.converged };
}

export function compareConsensus(spec: ComparisonSpec, checkInterrupted: () => void = () => {}): SeedResult[] {
  const { task } = spec;
  const algorithms = spec.algorithms.map(parseAlgorithm);
  const log = spec.onProgress ?? (() => {});
  return spec.seeds.map((seed) => {
    const draw = (rng: Rng, n: number): TaskInstance[] => Array.from({ length: n }, () => task.sampleInstance(rng));
    const instances = draw(new Rng(seed), spec.instances);
    const testInstances = draw(new Rng(1_000_003 + seed), spec.testInstances);
    const options = { ...task.solverOptions, history: false };
    const cold = testInstances.map((instance) => {
      const problem = task.problem(instance);
      return summary(solveOcp(problem, task.solver, task.coldGuess(problem), options));
    });
    const initial = initConsensusPolicy(new Rng(7919 + seed), task, instances, spec.hidden);
    const runs = algorithms.map((algorithm) => {
      checkInterrupted();
      const start = performance.now();
      const result = trainConsensus({
        task, algorithm, instances, testInstances, policy: initial, settings: { ...spec.settings, seed },
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
      const warm = testInstances.map((instance) => {
        const problem = task.problem(instance);
        const r = rolloutPolicy(problem, pi);
        return summary(solveOcp(problem, task.solver, r.diverged ? task.coldGuess(problem) : { xs: r.xs, us: r.us }, options));
      });
      return { algorithm: algorithm.name, seed, history: result.history, finalCosts, warm, seconds };
    });
    return { seed, cold, runs };
  });
}

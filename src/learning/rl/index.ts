/**
 * Model-free baselines on the task layer (issue 19): PPO and SAC with stable-baselines3's
 * documented defaults, the vectorized task environment they learn in, and the trained policy as
 * an `EvaluatedPolicy` for the evaluation protocol of the other methods.
 *
 *   const run = trainSac(taskByName('pendulum'), { seed: 0, totalSteps: 20_000 });
 *   run.curve        // cost of the deterministic policy against environment steps / simulator calls
 *   rlEvaluated('SAC', run.policy, task)   // -> evaluatePolicy(...)
 *   trainBaseline('sac', task, { seed, heldOut })   // the same with the project's defaults (baseline.ts)
 */
export { type EnvOptions, type StepResult, type TaskObservation, TaskEnv, actionScaling, discountedCost, taskObservation } from './env.js';
export { type PpoOptions, PPO_DEFAULTS, trainPpo } from './ppo.js';
export { type SacOptions, SAC_DEFAULTS, trainSac } from './sac.js';
export { type RlPolicy, policyCosts, rlEvaluated } from './policy.js';
export { type CurvePoint, type RlRun, type RunOptions, RUN_DEFAULTS } from './training.js';
export {
  type BaselineAlgo, type BaselineOptions, type BaselineProtocol, BASELINE_ACTION_BOUND, BASELINE_ALGOS, BASELINE_STEPS, DECISION_PERIOD, SAC_HIDDEN,
  baselineProtocol, baselineSteps, decisionRepeat, isBaselineAlgo, trainBaseline,
} from './baseline.js';

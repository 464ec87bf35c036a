/**
 * The task environment (rewards, episode scores, the horizon as a truncation, scaled actions,
 * observations, the simulator-call counter) and whole PPO and SAC runs: a seed fixes a run bit
 * for bit, and the trained policy rolls out through the evaluation protocol of the other methods.
 */
import { describe, expect, it } from 'vitest';
import { Rng } from '../../../src/autodiff/index.js';
import { evaluatePolicy } from '../../../src/learning/evaluate.js';
import { taskSolver } from '../../../src/learning/collect.js';
import { TaskEnv, actionScaling, discountedCost, taskObservation } from '../../../src/learning/rl/env.js';
import { trainPpo } from '../../../src/learning/rl/ppo.js';
import { rlEvaluated } from '../../../src/learning/rl/policy.js';
import { trainSac } from '../../../src/learning/rl/sac.js';
import { trajectoryCost } from '../../../src/ocp/index.js';
import { taskByName } from '../../../src/tasks/index.js';

const SEED = 2029;

describe(`the RL environment (seed ${SEED})`, () => {
  it('steps the task: reward -l(x, u), the OCP cost at the horizon, truncation, new instances, counted calls', () => {
    const task = taskByName('lqr');
    const env = new TaskEnv(task, { numEnvs: 2, rng: new Rng(SEED) });
    const instances = ((rng) => [task.sampleInstance(rng), task.sampleInstance(rng)])(new Rng(SEED));
    const obs0 = env.reset();
    expect(Array.from(obs0)).toEqual([...instances[0].x0, ...instances[1].x0]);
    const rng = new Rng(SEED + 1);
    const { nx, nu } = task.dynamics;
    const xs: Float64Array[][] = [[Float64Array.from(instances[0].x0)], [Float64Array.from(instances[1].x0)]];
    const us: Float64Array[][] = [[], []];
    const scaling = actionScaling(task);
    let last = null;
    for (let t = 0; t < task.horizon; t++) {
      const a = rng.uniform([2 * nu], -1, 1).data as Float64Array;
      const u = scaling.control(a);
      const result = env.step(a);
      for (const e of [0, 1]) {
        const ue = u.slice(e * nu, (e + 1) * nu);
        const problem = task.problem(instances[e]);
        expect(result.rewards[e]).toBeCloseTo(-problem.stageCost.value(xs[e][t], ue, problem.xi), 12);
        const next = new Float64Array(nx);
        task.dynamics.step(xs[e][t], ue, next);
        xs[e].push(next);
        us[e].push(ue);
      }
      expect(result.truncated).toEqual(new Array(2).fill(t === task.horizon - 1));
      last = result;
    }
    expect(env.simulatorCalls).toBe(2 * task.horizon);
    expect(env.dynamics.calls.jacobians).toBe(0);
    for (const e of [0, 1]) {
      expect(last!.finishedCosts[e]).toBeCloseTo(trajectoryCost(task.problem(instances[e]), xs[e], us[e]), 10);
      expect(Array.from(last!.finalObs[e]!)).toEqual(Array.from(xs[e][task.horizon]).map((v) => expect.closeTo(v, 12)));
    }
    // After the horizon the copies restart from fresh instances.
    expect(Array.from(last!.obs)).not.toEqual(Array.from(obs0));
  });

  it('scales actions onto the box, observes the swing-up as (cos q, sin q, v), and rejects what does not fit', () => {
    const pendulum = taskByName('pendulum');
    expect(Array.from(actionScaling(pendulum).control([1, -0.5, 0]))).toEqual([25, -12.5, 0]);
    const observation = taskObservation(pendulum);
    expect(observation.dim).toBe(3);
    const o = observation.observe(Float64Array.from([Math.PI / 3, 2]), [{ x0: [0, 0] }]);
    expect(Array.from(o)).toEqual([Math.cos(Math.PI / 3), Math.sin(Math.PI / 3), 2].map((v) => expect.closeTo(v, 14)));
    const unicycle = taskByName('unicycle');
    expect(unicycle.dynamics.controlBounds).toBeNull();
    expect(Array.from(actionScaling(unicycle).control([0.3, -2]))).toEqual([0.3, -2]);
    expect(Array.from(actionScaling(unicycle, 4).control([0.5, -1]))).toEqual([2, -4]);
    expect(() => trainSac(unicycle, { seed: 0, totalSteps: 10 })).toThrow(RangeError);
    expect(() => new TaskEnv(pendulum, { rng: new Rng(0), discount: 1.5 })).toThrow(RangeError);
    const env = new TaskEnv(pendulum, { rng: new Rng(0) });
    env.reset();
    expect(() => env.step([0, 0])).toThrow(RangeError);
  });

  it('with actionRepeat k an action holds for k dynamics steps: summed rewards, k calls per step, T / k steps per episode', () => {
    const task = taskByName('lqr');
    const [plain, repeated] = [1, 2].map((k) => new TaskEnv(task, { rng: new Rng(SEED), actionRepeat: k }));
    plain.reset();
    repeated.reset();
    const a = [0.5, -0.25];
    let steps = 0;
    let result;
    do {
      const one = plain.step(a);
      const two = plain.step(a);
      result = repeated.step(a);
      steps++;
      expect(result.rewards[0]).toBeCloseTo(one.rewards[0] + two.rewards[0], 12);
      if (result.truncated[0]) expect(result.finishedCosts[0]).toBeCloseTo(two.finishedCosts[0], 10);
    } while (!result.truncated[0]);
    expect(steps).toBe(task.horizon / 2);
    expect(repeated.simulatorCalls).toBe(task.horizon);
    expect(() => new TaskEnv(task, { rng: new Rng(0), actionRepeat: 0 })).toThrow(RangeError);
  });

  it('the discounted score weights stage t by gamma^t and the terminal cost by gamma^T', () => {
    const task = taskByName('lqr');
    const problem = task.problem(task.sampleInstance(new Rng(SEED)));
    const xs = [Float64Array.from(problem.x0)];
    const us: Float64Array[] = [];
    for (let t = 0; t < task.horizon; t++) {
      us.push(new Float64Array(task.dynamics.nu).fill(0.1));
      const next = new Float64Array(task.dynamics.nx);
      task.dynamics.step(xs[t], us[t], next);
      xs.push(next);
    }
    const g = 0.9;
    let expected = g ** task.horizon * problem.terminalCost.value(xs[task.horizon], problem.xi);
    for (let t = 0; t < task.horizon; t++) expected += g ** t * problem.stageCost.value(xs[t], us[t], problem.xi);
    expect(discountedCost(problem, xs, us, g)).toBeCloseTo(expected, 10);
    expect(discountedCost(problem, xs, us, 1)).toBe(trajectoryCost(problem, xs, us));
  });
});

describe(`PPO and SAC runs (seed ${SEED})`, () => {
  const task = taskByName('lqr');
  const ppo = (seed: number) => trainPpo(task, { seed, totalSteps: 256, nSteps: 64, batchSize: 32, nEpochs: 2, hidden: [8, 8], evalEvery: 128, evalInstances: 2 });
  const sac = (seed: number) => trainSac(task, { seed, totalSteps: 120, learningStarts: 60, batchSize: 16, hidden: [8, 8], evalEvery: 60, evalInstances: 2 });

  it('PPO: a seed fixes the run bit for bit, another seed changes it; steps, updates and simulator calls add up', () => {
    const a = ppo(SEED);
    const b = ppo(SEED);
    expect(b.curve.map((p) => p.evalCost)).toEqual(a.curve.map((p) => p.evalCost));
    expect(a.curve.map((p) => p.steps)).toEqual([0, 128, 256]);
    expect([a.steps, a.simulatorCalls, a.updates]).toEqual([256, 256, (256 / 64) * 2 * 2]);
    expect(ppo(SEED + 1).curve.map((p) => p.evalCost)).not.toEqual(a.curve.map((p) => p.evalCost));
    const obs = new Float64Array(4).fill(0.3);
    expect(Array.from(b.policy.act(obs, 1))).toEqual(Array.from(a.policy.act(obs, 1)));
    // The critic as a cost-to-go: one finite number per row, the same from the same seed.
    const rows = Float64Array.from([0.3, 0.3, 0.3, 0.3, -1, 0.5, 0, 2]);
    const costs = a.policy.costToGo!(rows, 2);
    expect(costs.length).toBe(2);
    expect(costs.every(Number.isFinite)).toBe(true);
    expect(Array.from(b.policy.costToGo!(rows, 2))).toEqual(Array.from(costs));
  });

  it('SAC: a seed fixes the run bit for bit; one update per step after learning_starts', () => {
    const a = sac(SEED);
    const b = sac(SEED);
    expect(b.curve.map((p) => p.evalCost)).toEqual(a.curve.map((p) => p.evalCost));
    expect([a.steps, a.simulatorCalls, a.updates]).toEqual([120, 120, 60]);
    expect(sac(SEED + 1).curve.map((p) => p.evalCost)).not.toEqual(a.curve.map((p) => p.evalCost));
  });

  it('the trained policy rolls out through evaluatePolicy, and its cost there equals the curve score', async () => {
    const run = ppo(SEED);
    const instances = [task.sampleInstance(new Rng(SEED + 5))];
    const evaluated = rlEvaluated('PPO', run.policy, task);
    const result = await evaluatePolicy(evaluated, { task, instances, solver: taskSolver(task, {}) });
    const rollout = evaluated.rollout(instances, task.horizon);
    expect(result.policyCost.mean).toBeCloseTo(trajectoryCost(task.problem(instances[0]), rollout.xs[0], rollout.us[0]), 10);
    // The solver refines the rollout to its own optimum (the LQR is convex).
    const cold = await taskSolver(task, {}).solve(instances[0]);
    expect(result.refinedCost.mean).toBeCloseTo(cold.cost, 6);
    expect(result.policyCost.mean).toBeGreaterThanOrEqual(cold.cost - 1e-9);
  });
});

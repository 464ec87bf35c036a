/**
 * The plain-loop policy the OC phase and the rollouts use (consensus/policy.ts) against the
 * engine: pi(x) equals `mlpAction`, and d pi/dx equals `jacfwd` of it, on random states of a
 * ReLU network with tanh output on asymmetric bounds. Both are float64 evaluations of the same
 * sums in another order, so they agree to rounding (EXACT_TOL, tests/autodiff/check.ts).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Rng, type Tensor, jacfwd, reshape, tensor } from '../../../src/autodiff/index.js';
import { initConsensusPolicy, policyFunction, rolloutPolicy } from '../../../src/learning/consensus/index.js';
import { initMlpPolicy, mlpAction } from '../../../src/learning/mlp-policy.js';
import { createLqrTask, taskByName } from '../../../src/tasks/index.js';
import { EXACT_TOL } from '../../autodiff/check.js';

const SEED = 77;

describe(`the consensus policy on flat arrays (seed ${SEED})`, () => {
  const nx = 3;
  const nu = 2;
  const rng = new Rng(SEED);
  const data = { count: 4, stateDim: nx, controlDim: nu, x: Float64Array.from(rng.uniform([4 * nx], -2, 2).data), u: new Float64Array(4 * nu), K: new Float64Array(4 * nu * nx) };
  const policy = initMlpPolicy(rng, { stateDim: nx, controlDim: nu, hidden: [16, 16], lower: [-3, -1], upper: [2, 5] }, data);
  const pi = policyFunction(policy);

  it('pi(x) and d pi/dx equal the engine\'s mlpAction and its jacfwd', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: -3, max: 3, noNaN: true }), { minLength: nx, maxLength: nx }), (xs) => {
        const x = Float64Array.from(xs);
        const u = new Float64Array(nu);
        const J = new Float64Array(nu * nx);
        pi.evaluate(x, u, J);
        const f = (xx: Tensor) => reshape(mlpAction(policy, policy.params, reshape(xx, [1, nx])), [nu]);
        const xt = tensor(xs);
        const uRef = f(xt).toArray();
        const JRef = jacfwd(f)(xt).toArray();
        const scale = Math.max(1, ...uRef.map(Math.abs), ...JRef.map(Math.abs));
        uRef.forEach((v, i) => expect(Math.abs(u[i]! - v)).toBeLessThan(EXACT_TOL * scale));
        JRef.forEach((v, i) => expect(Math.abs(J[i]! - v)).toBeLessThan(EXACT_TOL * scale));
        // Without J only the value is written, and it is the same.
        const u2 = new Float64Array(nu);
        pi.evaluate(x, u2, null);
        expect(Array.from(u2)).toEqual(Array.from(u));
      }),
      { seed: SEED, numRuns: 30 },
    );
  });

  it('a closed-loop rollout applies pi at every step and prices it with the task cost', () => {
    const task = taskByName('lqr');
    const instance = task.sampleInstance(new Rng(SEED));
    const net = initConsensusPolicy(new Rng(SEED + 1), task, [instance], [8]);
    const fn = policyFunction(net);
    const problem = task.problem(instance);
    const r = rolloutPolicy(problem, fn);
    expect(r.xs).toHaveLength(task.horizon + 1);
    expect(r.diverged).toBe(false);
    const u = new Float64Array(2);
    const next = new Float64Array(4);
    fn.evaluate(r.xs[3]!, u, null);
    expect(Array.from(r.us[3]!)).toEqual(Array.from(u));
    task.dynamics.step(r.xs[3]!, r.us[3]!, next);
    expect(Array.from(r.xs[4]!)).toEqual(Array.from(next));
    for (const v of r.us.flatMap((a) => Array.from(a))) expect(Math.abs(v)).toBeLessThanOrEqual(1);
  });

  it('refuses a task without control bounds (nothing to scale the tanh output to)', () => {
    const free = createLqrTask({ bound: null, name: 'lqr-free' });
    expect(() => initConsensusPolicy(new Rng(1), free, [free.sampleInstance(new Rng(1))])).toThrow(/no control bounds/);
  });
});

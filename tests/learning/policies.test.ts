/**
 * Closed-loop rollouts that blow up (learning/policies.ts): a task whose state is no longer
 * finite, or no longer representable in the policy's dtype, is marked diverged and held,
 * while the rest of the batch rolls on; a float32 MLP is never handed a state it would read
 * as infinity (it would answer NaN, which the dynamics reject as a control).
 */
import { describe, expect, it } from 'vitest';
import { ConcreteTensor, Rng } from '../../src/autodiff/index.js';
import { initMlpPolicy } from '../../src/learning/mlp-policy.js';
import { FLOAT32_LIMIT, divergenceAwareStep, mlpEvaluated } from '../../src/learning/policies.js';
import { taskByName } from '../../src/tasks/index.js';

const SEED = 777;

describe(`divergence-aware rollouts (seed ${SEED})`, () => {
  const task = taskByName('double-pendulum');
  const { dynamics } = task;
  // Angular velocities of 1e25 rad/s: one Euler step takes the state far past float32's range
  // (the Coriolis terms grow with v^2) while it stays finite in float64.
  const fast = [0.1, -0.2, 1e25, -1e25];
  const calm = [3.0, 0.1, 0, 0];

  it('holds a task whose next state leaves the range of the policy dtype, and only that task', () => {
    const x = new ConcreteTensor(Float64Array.from([...fast, ...calm]), [2, 4]);
    const u = new ConcreteTensor(new Float64Array(4), [2, 2]);
    const unlimited = [false, false];
    const next64 = divergenceAwareStep(dynamics, unlimited)(x, u).data;
    expect(unlimited).toEqual([false, false]);
    expect(next64.subarray(0, 4).some((v) => Number.isFinite(v) && Math.abs(v) > FLOAT32_LIMIT)).toBe(true);
    const limited = [false, false];
    const next32 = divergenceAwareStep(dynamics, limited, FLOAT32_LIMIT)(x, u).data;
    expect(limited).toEqual([true, false]);
    expect(Array.from(next32.subarray(0, 4))).toEqual(fast); // held at its last representable state
    expect(Array.from(next32.subarray(4))).toEqual(Array.from(next64.subarray(4))); // the other task rolls on
  });

  it('a float32 MLP rolled out into a blow-up marks the task diverged instead of feeding the dynamics NaN', () => {
    const rng = new Rng(SEED);
    const data = { count: 2, stateDim: 4, controlDim: 2, x: Float64Array.from([...calm, 0, 0, 0, 0]), u: new Float64Array(4), K: new Float64Array(16) };
    const policy = initMlpPolicy(rng, { stateDim: 4, controlDim: 2, hidden: [8], lower: [-25, -25], upper: [25, 25], dtype: 'float32' }, data);
    const evaluated = mlpEvaluated('mlp', policy, dynamics);
    const result = evaluated.rollout([{ x0: fast }, { x0: calm }], 5);
    expect(result.diverged).toEqual([true, false]);
    for (const u of result.us[1]) expect(Array.from(u).every(Number.isFinite)).toBe(true);
  });
});

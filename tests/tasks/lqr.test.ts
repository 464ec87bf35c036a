/**
 * The constrained LQR task (consensus paper, sec. V-A): the Riccati solution satisfies its
 * equation; with the bounds lifted, box-DDP returns u_t = -K x_t with K_t = -K at every knot
 * (the terminal cost is the DARE's P, so the optimal policy is stationary); with the bounds,
 * the solution stays in the box and costs at least the unconstrained optimum 1/2 x0^T P x0.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/autodiff/index.js';
import { Matrix, mul, mulAtB } from '../../src/linalg/index.js';
import { solveOcp } from '../../src/ocp/index.js';
import { LQR_TASK, createLqrTask, discreteRiccati, lqrMatrices, taskByName } from '../../src/tasks/index.js';

const SEED = 1818;

describe(`constrained LQR task (seed ${SEED})`, () => {
  it('the DARE solution satisfies P = Q + A^T P A - A^T P B (R + B^T P B)^{-1} B^T P A', () => {
    const m = lqrMatrices(LQR_TASK);
    const { P, K } = discreteRiccati(m);
    // A^T P (A - B K) + Q - P = 0
    const BK = mul(new Matrix(m.nx, m.nx), m.B, K);
    const closed = new Matrix(m.nx, m.nx, m.A.data.map((a, i) => a - BK.data[i]!));
    const r = mulAtB(new Matrix(m.nx, m.nx), m.A, mul(new Matrix(m.nx, m.nx), P, closed));
    const scale = Math.max(...P.data.map(Math.abs));
    r.data.forEach((v, i) => expect(Math.abs(v + m.Q.data[i]! - P.data[i]!)).toBeLessThan(1e-10 * scale));
  });

  it('without bounds, DDP returns the stationary Riccati policy u = -K x at every knot', () => {
    const task = createLqrTask({ bound: null, name: 'lqr-free' });
    const { K } = discreteRiccati(lqrMatrices(LQR_TASK));
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e6 }), (seed) => {
        const problem = task.problem(task.sampleInstance(new Rng(seed)));
        const s = solveOcp(problem, task.solver, task.coldGuess(problem), { history: false });
        expect(s.converged).toBe(true);
        for (let t = 0; t < task.horizon; t++) {
          for (let i = 0; i < K.data.length; i++) expect(s.K[t]![i]!).toBeCloseTo(-K.data[i]!, 8);
          for (let j = 0; j < 2; j++) {
            const u = -(K.data[j * 4]! * s.xs[t]![0]! + K.data[j * 4 + 1]! * s.xs[t]![1]! + K.data[j * 4 + 2]! * s.xs[t]![2]! + K.data[j * 4 + 3]! * s.xs[t]![3]!);
            expect(s.us[t]![j]!).toBeCloseTo(u, 8);
          }
        }
      }),
      { seed: SEED, numRuns: 5 },
    );
  });

  it('with |u| <= 1 the solution stays in the box, the bounds bind, and it costs at least 1/2 x0^T P x0', () => {
    const task = taskByName('lqr');
    const { P } = discreteRiccati(lqrMatrices(LQR_TASK));
    const rng = new Rng(SEED);
    let binding = 0;
    for (let i = 0; i < 5; i++) {
      const instance = task.sampleInstance(rng);
      const problem = task.problem(instance);
      const s = solveOcp(problem, task.solver, task.coldGuess(problem), { history: false });
      expect(s.converged).toBe(true);
      for (const u of s.us) for (const v of u) expect(Math.abs(v)).toBeLessThanOrEqual(1 + 1e-12);
      if (s.clamped.some((c) => c.some((v) => v === 1))) binding++;
      const x0 = instance.x0;
      let free = 0;
      for (let a = 0; a < 4; a++) for (let b = 0; b < 4; b++) free += 0.5 * x0[a]! * P.data[a * 4 + b]! * x0[b]!;
      expect(s.cost).toBeGreaterThanOrEqual(free - 1e-9);
    }
    expect(binding).toBeGreaterThan(0);
  });

  it('rejects invalid options with a clear error', () => {
    expect(() => createLqrTask({ dims: 0 })).toThrow(RangeError);
    expect(() => createLqrTask({ bound: -1 })).toThrow(/bound/);
  });
});

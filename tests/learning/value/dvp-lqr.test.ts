/**
 * DVP on an LQR (value-learning paper, sec. III-A): linear dynamics and the quadratic cost
 * x^T Q x + u^T R u, whose infinite-horizon value is x^T P x with P the fixed point of the
 * Riccati recursion, computed here independently in plain arrays. The first iteration learns
 * the T-step cost-to-go, which falls short of it; the iterations must close the gap. With a
 * discount gamma the value is x^T P x with P the fixed point of the discounted recursion
 * P = Q + gamma A^T P A - gamma^2 A^T P B (R + gamma B^T P B)^{-1} B^T P A.
 */
import { describe, expect, it } from 'vitest';
import { runDvp, type DvpOptions } from '../../../src/learning/value/dvp.js';
import { SampleBuffer, groundTruth, regionGrid, solveFrom, valueProblem } from '../../../src/learning/value/samples.js';
import { regulatorTask } from '../../../src/tasks/regulator.js';
import { linearSystem } from '../../ocp/systems.js';

const SEED = 31;

type M = number[][];
const mm = (A: M, B: M): M => A.map((r) => B[0]!.map((_, j) => r.reduce((s, v, k) => s + v * B[k]![j]!, 0)));
const tr = (A: M): M => A[0]!.map((_, j) => A.map((r) => r[j]!));
const plus = (A: M, B: M, sign = 1): M => A.map((r, i) => r.map((v, j) => v + sign * B[i]![j]!));

/** P = Q + g A^T P A - g^2 A^T P B (R + g B^T P B)^{-1} B^T P A, iterated to its fixed point (nu = 1). */
function riccatiFixedPoint(A: M, B: M, Q: M, r: number, gamma: number): M {
  let P = Q;
  for (let k = 0; k < 5000; k++) {
    const gP = P.map((row) => row.map((v) => gamma * v));
    const BtPA = mm(mm(tr(B), gP), A);
    const s = r + mm(mm(tr(B), gP), B)[0]![0]!;
    const next = plus(plus(Q, mm(mm(tr(A), gP), A)), mm(tr(BtPA), BtPA).map((row) => row.map((v) => v / s)), -1);
    if (Math.max(...next.flat().map((v, i) => Math.abs(v - P.flat()[i]!))) < 1e-13) return next;
    P = next;
  }
  throw new Error('Riccati recursion did not converge');
}

/** DVP with discount gamma on the double integrator; the relative MSE to x^T P x by iteration. */
const A = [[1, 0.1], [0, 1]];
const B = [[0.005], [0.1]];
const [wx, wu] = [1, 0.1];
const task = regulatorTask({
  name: 'lqr-dvp-test', title: 'LQR', dynamics: linearSystem(A, B), horizon: 10, stateWeight: wx, controlWeight: wu,
  timeWeighted: false, guess: 'rollout', region: { lower: [-1, -1], upper: [1, 1] },
  plot: { state: { index: 0, label: 'x' }, control: { index: 0, label: 'u' } },
});
const quadratic = (P: M, x: readonly number[]) => mm(mm([[...x]], P), tr([[...x]]))[0]![0]!;

function dvpOnLqr(gamma: number): number[] {
  const P = riccatiFixedPoint(A, B, [[wx, 0], [0, wx]], wu, gamma);
  const grid = regionGrid(task.stateRegion!, [7, 7]);
  const truth = grid.map((x) => mm(mm([x], P), tr([x]))[0]![0]!);
  const x = Float64Array.from(grid.flat());
  const vx = Float64Array.from(grid.flatMap((s) => mm([s], plus(P, tr(P)))[0]!));
  const options: DvpOptions = {
    horizon: 10, iterations: 6, trajectories: 30, knotStride: 2, architecture: 'gauss-residual', hidden: [16, 16], residual: 2,
    epochs: 150, batchSize: 32, lr: 3e-3, alpha: 1, anchor: true, noise: 0, discount: gamma, seed: SEED,
  };
  const { iterations } = runDvp(task, options, { validation: { count: grid.length, nx: 2, x, v: Float64Array.from(truth), vx } });
  const meanSquare = truth.reduce((s, v) => s + v * v, 0) / truth.length;
  const relative = iterations.map((r) => r.validation!.value / meanSquare);
  console.log(`DVP on the LQR, discount ${gamma} (seed ${SEED}): relative MSE by iteration ${relative.map((v) => v.toExponential(2)).join(', ')}`);
  return relative;
}

describe(`DVP on an LQR (seed ${SEED})`, () => {
  it('discounted samples: the long-horizon costs-to-go and gradients at knots 0 and t are x^T P x and 2 P x', () => {
    const gamma = 0.9;
    const P = riccatiFixedPoint(A, B, [[wx, 0], [0, wx]], wu, gamma);
    const states = [[0.8, -0.5], [-1, 1], [0.3, 0.9]];
    // gamma^300 ~ 2e-14: the horizon's truncation is below rounding.
    const truth = groundTruth(task, states, 300, undefined, gamma).data;
    states.forEach((x, k) => expect(Math.abs(truth.v[k]! - quadratic(P, x))).toBeLessThanOrEqual(1e-9 * quadratic(P, x)));
    const problem = valueProblem(task, 300, undefined, gamma);
    const { problem: p, solution } = solveFrom(task, problem, states[0]!);
    const buffer = new SampleBuffer(2);
    buffer.addTrajectory(p, solution, [0, 7, 20]);
    const data = buffer.dataset();
    for (let k = 0; k < 3; k++) {
      const x = Array.from(data.x.subarray(2 * k, 2 * k + 2));
      expect(Math.abs(data.v[k]! - quadratic(P, x))).toBeLessThanOrEqual(1e-9 * quadratic(P, x));
      const g = mm([x], plus(P, tr(P)))[0]!;
      g.forEach((gi, i) => expect(Math.abs(data.vx[2 * k + i]! - gi)).toBeLessThanOrEqual(1e-8 * (1 + Math.abs(gi))));
    }
  });

  it('converges to the Riccati value x^T P x, from a first iteration that falls short of it', () => {
    const relative = dvpOnLqr(1);
    expect(relative[0]).toBeGreaterThan(1e-2);
    expect(relative.at(-1)).toBeLessThan(1e-3);
    expect(relative.at(-1)! * 30).toBeLessThan(relative[0]!);
  }, 60_000);

  it('discounted (gamma = 0.95): converges to the discounted Riccati value', () => {
    const relative = dvpOnLqr(0.95);
    expect(relative[0]).toBeGreaterThan(1e-2);
    expect(relative.at(-1)).toBeLessThan(1e-3);
    expect(relative.at(-1)! * 30).toBeLessThan(relative[0]!);
  }, 60_000);
});

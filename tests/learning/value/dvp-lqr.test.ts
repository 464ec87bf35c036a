/**
 * DVP on an LQR (value-learning paper, sec. III-A): linear dynamics and the quadratic cost
 * x^T Q x + u^T R u, whose infinite-horizon value is x^T P x with P the fixed point of the
 * Riccati recursion, computed here independently in plain arrays. The first iteration learns
 * the T-step cost-to-go, which falls short of it; the iterations must close the gap.
 */
import { describe, expect, it } from 'vitest';
import { runDvp, type DvpOptions } from '../../../src/learning/value/dvp.js';
import { regionGrid } from '../../../src/learning/value/samples.js';
import { regulatorTask } from '../../../src/tasks/regulator.js';
import { linearSystem } from '../../ocp/systems.js';

const SEED = 31;

type M = number[][];
const mm = (A: M, B: M): M => A.map((r) => B[0]!.map((_, j) => r.reduce((s, v, k) => s + v * B[k]![j]!, 0)));
const tr = (A: M): M => A[0]!.map((_, j) => A.map((r) => r[j]!));
const plus = (A: M, B: M, sign = 1): M => A.map((r, i) => r.map((v, j) => v + sign * B[i]![j]!));

/** P = Q + A^T P A - A^T P B (R + B^T P B)^{-1} B^T P A, iterated to its fixed point (nu = 1). */
function riccatiFixedPoint(A: M, B: M, Q: M, r: number): M {
  let P = Q;
  for (let k = 0; k < 5000; k++) {
    const BtPA = mm(mm(tr(B), P), A);
    const s = r + mm(mm(tr(B), P), B)[0]![0]!;
    const next = plus(plus(Q, mm(mm(tr(A), P), A)), mm(tr(BtPA), BtPA).map((row) => row.map((v) => v / s)), -1);
    if (Math.max(...next.flat().map((v, i) => Math.abs(v - P.flat()[i]!))) < 1e-13) return next;
    P = next;
  }
  throw new Error('Riccati recursion did not converge');
}

describe(`DVP on an LQR (seed ${SEED})`, () => {
  it('converges to the Riccati value x^T P x, from a first iteration that falls short of it', () => {
    const A = [[1, 0.1], [0, 1]];
    const B = [[0.005], [0.1]];
    const [wx, wu] = [1, 0.1];
    const task = regulatorTask({
      name: 'lqr-dvp-test', title: 'LQR', dynamics: linearSystem(A, B), horizon: 10, stateWeight: wx, controlWeight: wu,
      timeWeighted: false, guess: 'rollout', region: { lower: [-1, -1], upper: [1, 1] },
      plot: { state: { index: 0, label: 'x' }, control: { index: 0, label: 'u' } },
    });
    const P = riccatiFixedPoint(A, B, [[wx, 0], [0, wx]], wu);
    const grid = regionGrid(task.stateRegion!, [7, 7]);
    const truth = grid.map((x) => mm(mm([x], P), tr([x]))[0]![0]!);
    const x = Float64Array.from(grid.flat());
    const vx = Float64Array.from(grid.flatMap((s) => mm([s], plus(P, tr(P)))[0]!));
    const options: DvpOptions = {
      horizon: 10, iterations: 6, trajectories: 30, knotStride: 2, architecture: 'gauss-residual', hidden: [16, 16], residual: 2,
      epochs: 150, batchSize: 32, lr: 3e-3, alpha: 1, anchor: true, noise: 0, seed: SEED,
    };
    const { iterations } = runDvp(task, options, { validation: { count: grid.length, nx: 2, x, v: Float64Array.from(truth), vx } });
    const meanSquare = truth.reduce((s, v) => s + v * v, 0) / truth.length;
    const relative = iterations.map((r) => r.validation!.value / meanSquare);
    console.log(`DVP on the LQR (seed ${SEED}): relative MSE by iteration ${relative.map((v) => v.toExponential(2)).join(', ')}`);
    expect(relative[0]).toBeGreaterThan(1e-2);
    expect(relative.at(-1)).toBeLessThan(1e-3);
    expect(relative.at(-1)! * 30).toBeLessThan(relative[0]!);
  }, 60_000);
});

/**
 * LQR: with linear dynamics and a quadratic cost the local model is exact, so DDP must take
 * one full Newton step to the optimum and stop. Its gains, value derivatives and cost are
 * compared with the finite-horizon Riccati recursion computed here independently, in plain
 * arrays:
 *
 *   P_T = Q_f,  K_t = -(R + B^T P B)^{-1} B^T P A,  P_t = Q + A^T P A + A^T P B K_t,
 *   J* = 1/2 x0^T P_0 x0.
 *
 * With a discount gamma (stage cost at t weighed gamma^t, terminal gamma^T) the recursion of
 * the discounted cost-to-go is
 *
 *   K_t = -(R + gamma B^T P B)^{-1} gamma B^T P A,  P_t = Q + gamma A^T P A + gamma A^T P B K_t,
 *
 * and the solver, which differentiates the cost from knot 0, returns V_xx,t = gamma^t P_t.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Tensor, add, matmul, mul, reshape, sum, tensor } from '../../src/autodiff/index.js';
import { defineProblem, solveDdp, solveFddp, stageCost, terminalCost, trajectoryCost } from '../../src/ocp/index.js';
import { linearSystem } from './systems.js';

const SEED = 5150;

type M = number[][];
const mm = (A: M, B: M): M => A.map((r) => B[0]!.map((_, j) => r.reduce((s, v, k) => s + v * B[k]![j]!, 0)));
const tr = (A: M): M => A[0]!.map((_, j) => A.map((r) => r[j]!));
const addM = (A: M, B: M): M => A.map((r, i) => r.map((v, j) => v + B[i]![j]!));
function inv(A: M): M {
  const n = A.length;
  const a = A.map((r, i) => [...r, ...Array.from({ length: n }, (_, j) => (i === j ? 1 : 0))]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(a[r]![c]!) > Math.abs(a[p]![c]!)) p = r;
    [a[c], a[p]] = [a[p]!, a[c]!];
    const d = a[c]![c]!;
    a[c] = a[c]!.map((v) => v / d);
    for (let r = 0; r < n; r++) if (r !== c) {
      const f = a[r]![c]!;
      a[r] = a[r]!.map((v, j) => v - f * a[c]![j]!);
    }
  }
  return a.map((r) => r.slice(n));
}

function riccati(A: M, B: M, Q: M, R: M, Qf: M, T: number, gamma = 1): { K: M[]; P: M[] } {
  const P: M[] = new Array(T + 1);
  const K: M[] = new Array(T);
  P[T] = Qf;
  for (let t = T - 1; t >= 0; t--) {
    const Pn = P[t + 1]!.map((r) => r.map((v) => gamma * v));
    const BtP = mm(tr(B), Pn);
    const Kt = mm(inv(addM(R, mm(BtP, B))), mm(BtP, A)).map((r) => r.map((v) => -v));
    K[t] = Kt;
    const AtP = mm(tr(A), Pn);
    const Pt = addM(addM(Q, mm(AtP, A)), mm(mm(AtP, B), Kt));
    P[t] = Pt.map((r, i) => r.map((v, j) => 0.5 * (v + Pt[j]![i]!)));
  }
  return { K, P };
}

const quad = (W: M) => {
  const n = W.length;
  const Wt = tensor(W.flat(), [n, n]);
  return (v: Tensor) => mul(0.5, sum(mul(reshape(v, [n, 1]), matmul(Wt, reshape(v, [n, 1])))));
};

function randomLqr(seed: number) {
  let s = seed >>> 0;
  const rnd = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32) * 2 - 1;
  const nx = 2 + (seed % 3);
  const nu = 1 + (seed % 2);
  const A = Array.from({ length: nx }, (_, i) => Array.from({ length: nx }, (_, j) => (i === j ? 1 : 0) + 0.3 * rnd()));
  const B = Array.from({ length: nx }, () => Array.from({ length: nu }, () => rnd()));
  const spd = (n: number, shift: number) => {
    const G = Array.from({ length: n }, () => Array.from({ length: n }, () => rnd()));
    return addM(mm(G, tr(G)), Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? shift : 0))));
  };
  return { A, B, Q: spd(nx, 0.1), R: spd(nu, 0.5), Qf: spd(nx, 1), x0: Array.from({ length: nx }, () => 3 * rnd()), nx, nu };
}

/** DDP and FDDP on a random LQR with discount gamma: one iteration, the Riccati gains, V_xx,t = gamma^t P_t, V_x,t = gamma^t P_t x_t, J* = 1/2 x0^T P_0 x0. */
function checkAgainstRiccati(seed: number, T: number, gamma: number): void {
  const { A, B, Q, R, Qf, x0, nx, nu } = randomLqr(seed);
  const dyn = linearSystem(A, B);
  const lq = quad(Q);
  const lr = quad(R);
  const problem = defineProblem({
    dynamics: dyn,
    horizon: T,
    x0,
    stageCost: stageCost(dyn.manifold, nu, 1, (x, u) => add(lq(x), lr(u))),
    terminalCost: terminalCost(dyn.manifold, 1, quad(Qf)),
    discount: gamma,
  });
  const { K, P } = riccati(A, B, Q, R, Qf, T, gamma);
  const Jstar = 0.5 * x0.reduce((s, v, i) => s + v * P[0]![i]!.reduce((a, p, j) => a + p * x0[j]!, 0), 0);
  for (const sol of [solveDdp(problem), solveFddp(problem)]) {
    expect(sol.converged).toBe(true);
    expect(sol.iterations).toBe(1);
    // Riccati matrices are O(1..1e2) here: compare to 1e-9 relative (a few hundred ulps of accumulated rounding).
    const scale = Math.max(1, ...P[0]!.flat().map(Math.abs));
    expect(Math.abs(sol.cost - Jstar)).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(Jstar)));
    for (let t = 0; t < T; t++) {
      const w = gamma ** t;
      K[t]!.flat().forEach((v, i) => expect(Math.abs(sol.K[t]![i]! - v)).toBeLessThanOrEqual(1e-9 * scale));
      P[t]!.flat().forEach((v, i) => expect(Math.abs(sol.Vxx[t]![i]! - w * v)).toBeLessThanOrEqual(1e-9 * scale));
      // V_x = gamma^t P_t x_t along the optimal trajectory.
      for (let i = 0; i < nx; i++) {
        const px = w * P[t]![i]!.reduce((a, p, j) => a + p * sol.xs[t]![j]!, 0);
        expect(Math.abs(sol.Vx[t]![i]! - px)).toBeLessThanOrEqual(1e-9 * scale * (1 + Math.abs(px)));
      }
      expect(Array.from(sol.k[t]!).every((v) => Math.abs(v) <= 1e-9 * scale)).toBe(true);
    }
    expect(sol.exactGains).toBe(true);
    expect(Math.abs(trajectoryCost(problem, sol.xs, sol.us) - sol.cost)).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(sol.cost)));
  }
}

describe(`LQR (seed ${SEED})`, () => {
  it('DDP and FDDP converge in one iteration to the Riccati solution', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 1e6 }), fc.integer({ min: 1, max: 30 }), (seed, T) => checkAgainstRiccati(seed, T, 1)), { seed: SEED, numRuns: 25 });
  });

  it('discounted: the discounted Riccati recursion (P = Q + gamma A^T P A - ...), V_xx,t = gamma^t P_t', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1e6 }), fc.integer({ min: 2, max: 30 }), fc.double({ min: 0.5, max: 0.99, noNaN: true }), (seed, T, gamma) => {
        checkAgainstRiccati(seed, T, gamma);
        // The discount matters: the undiscounted P_0 differs.
        const { A, B, Q, R, Qf } = randomLqr(seed);
        const [P1, Pg] = [riccati(A, B, Q, R, Qf, T).P[0]!, riccati(A, B, Q, R, Qf, T, gamma).P[0]!];
        expect(Math.max(...P1.flat().map((v, i) => Math.abs(v - Pg.flat()[i]!)))).toBeGreaterThan(1e-3);
      }),
      { seed: SEED + 1, numRuns: 25 },
    );
  });
});

/**
 * Optimality of converged solutions, checked against quantities computed independently:
 *
 * - stationarity: the gradient of the total cost with respect to U, by reverse-mode
 *   autodiff through the tensor rollout (not through the solver), vanishes at convergence
 *   (on free controls; on clamped ones it points outward);
 * - gains: K_t = du_t/dx_t, where the derivative is taken by central differences of the
 *   re-solved tail problem started from a perturbed x_t;
 * - bounds: controls stay in the box and rows of clamped controls are zero.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Tensor, add, grad, reshape, slice, stack, tensor } from '../../src/autodiff/index.js';
import { type OcpProblem, type OcpSolution, defineProblem, solveDdp, solveFddp } from '../../src/ocp/index.js';
import { pendulumProblem, pendulumStage, pendulumTerminal } from './pendulum-problem.js';

const SEED = 424242;
const TIGHT = { tolerance: 1e-14 };

/**
 * What the stopping test guarantees: |g| = |sum_t Q_u^T k| <= tol (1 + J) with k ~ -Q_uu^{-1} Q_u,
 * so |Q_u|^2 <= lambda_max(Q_uu) tol (1 + J). For this pendulum lambda_max(Q_uu) < 1
 * (l_uu = 2e-3, f_u^T V_xx f_u <= 1e-4 |V_xx| with |V_xx| < 1e3), hence the bound below.
 */
function stationarityBound(cost: number): number {
  return Math.sqrt(TIGHT.tolerance * (1 + cost));
}

/** J(U) by autodiff through the rollout x_{t+1} = f(x_t, u_t) (the differentiable model). */
function totalCostGradient(problem: OcpProblem, us: Float64Array[]): number[][] {
  const T = problem.horizon;
  const xi = tensor(Array.from(problem.xi));
  const J = (U: Tensor) => {
    let x: Tensor = tensor(Array.from(problem.x0));
    let cost: Tensor | null = null;
    for (let t = 0; t < T; t++) {
      const u = reshape(slice(U, [{ start: t, stop: t + 1 }]), [problem.dynamics.nu]);
      const l = pendulumStage(x, u, xi);
      cost = cost ? add(cost, l) : l;
      x = problem.dynamics.stepTensor(x, u);
    }
    return add(cost!, pendulumTerminal(x, xi));
  };
  const U0 = stack(us.map((u) => tensor(Array.from(u))));
  const g = grad(J)(U0).toArray();
  const nu = problem.dynamics.nu;
  return us.map((_, t) => g.slice(t * nu, (t + 1) * nu));
}

function projectedGradientNorm(problem: OcpProblem, sol: OcpSolution, g: number[][]): number {
  const b = problem.controlBounds;
  let m = 0;
  g.forEach((gt, t) =>
    gt.forEach((v, i) => {
      const u = sol.us[t]![i]!;
      if (b && ((u <= b.lower[i]! && v > 0) || (u >= b.upper[i]! && v < 0))) return;
      m = Math.max(m, Math.abs(v));
    }),
  );
  return m;
}

/** Re-solve the tail problem from knot t with state x, warm-started from the solution's tail. */
function tailControl(problem: OcpProblem, sol: OcpSolution, t: number, x: Float64Array): Float64Array {
  const tail = defineProblem({ ...problem, horizon: problem.horizon - t, x0: x });
  // A relative stopping test would stop before the O(eps) change is resolved: run true-DDP
  // (quadratically convergent) Newton steps to rounding level instead, and check that.
  const s = solveDdp(tail, { us: sol.us.slice(t) }, { tolerance: 0, maxIterations: 8, secondOrder: true });
  expect(s.gradientNorm).toBeLessThanOrEqual(1e-12);
  return s.us[0]!;
}

function checkGains(problem: OcpProblem, sol: OcpSolution, knots: number[]): void {
  const { ndx, nu } = problem.dynamics;
  const eps = 1e-5;
  for (const t of knots) {
    for (let j = 0; j < ndx; j++) {
      const xp = sol.xs[t]!.slice();
      const xm = sol.xs[t]!.slice();
      xp[j] += eps;
      xm[j] -= eps;
      const up = tailControl(problem, sol, t, xp);
      const um = tailControl(problem, sol, t, xm);
      for (let i = 0; i < nu; i++) {
        const fd = (up[i]! - um[i]!) / (2 * eps);
        const K = sol.K[t]![i * ndx + j]!;
        // Central differences: truncation O(eps^2 |u'''|) ~ 1e-10 * O(1e3), re-solve error ~1e-12 / eps.
        expect(Math.abs(K - fd)).toBeLessThanOrEqual(1e-6 * (1 + Math.abs(K)));
      }
    }
  }
}

describe(`pendulum swing-up optimality (seed ${SEED})`, () => {
  it('DDP and FDDP converge; the autodiff gradient of J(U) vanishes', () => {
    fc.assert(
      fc.property(fc.double({ min: 2.6, max: 3.0, noNaN: true }), (q0) => {
        const problem = pendulumProblem(q0, { T: 60, umax: null });
        const g0 = Math.max(...totalCostGradient(problem, Array.from({ length: 60 }, () => new Float64Array(1))).flat().map(Math.abs));
        for (const sol of [solveDdp(problem, {}, TIGHT), solveFddp(problem, {}, TIGHT)]) {
          expect(sol.converged).toBe(true);
          const g = totalCostGradient(problem, sol.us);
          expect(projectedGradientNorm(problem, sol, g)).toBeLessThanOrEqual(stationarityBound(sol.cost));
          expect(g0).toBeGreaterThan(1e3 * stationarityBound(sol.cost));
        }
      }),
      { seed: SEED, numRuns: 4 },
    );
  });

  it('gains equal du_t/dx_t by re-solving from perturbed states (unbounded)', () => {
    const problem = pendulumProblem(2.9, { T: 60, umax: null });
    const sol = solveDdp(problem, {}, TIGHT);
    expect(sol.converged).toBe(true);
    expect(sol.exactGains).toBe(true);
    checkGains(problem, sol, [0, 17, 45, 59]);
  });

  it('with tight bounds: controls stay in the box, clamped rows of K are zero, free rows are du/dx', () => {
    const umax = 4;
    const problem = pendulumProblem(2.9, { T: 80, umax });
    const sol = solveDdp(problem, {}, TIGHT);
    expect(sol.converged).toBe(true);
    let clampedKnots = 0;
    sol.us.forEach((u, t) => {
      expect(Math.abs(u[0]!)).toBeLessThanOrEqual(umax);
      if (sol.clamped[t]![0]) {
        clampedKnots++;
        expect(Math.abs(u[0]!)).toBe(umax);
        expect(Array.from(sol.K[t]!).every((v) => v === 0)).toBe(true);
      }
    });
    expect(clampedKnots).toBeGreaterThan(5);
    const g = totalCostGradient(problem, sol.us);
    expect(projectedGradientNorm(problem, sol, g)).toBeLessThanOrEqual(stationarityBound(sol.cost));
    // Gains at a clamped knot (zero: the control stays at the bound) and at free ones.
    const clampedAt = sol.clamped.findIndex((c) => c[0] === 1);
    const freeAt = sol.clamped.findIndex((c, t) => c[0] === 0 && t > clampedAt + 3 && Math.abs(sol.us[t]![0]!) < umax - 0.5);
    checkGains(problem, sol, [clampedAt, freeAt]);
  });
});

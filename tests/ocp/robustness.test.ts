/**
 * Convergence where the local model is poor: the double-pendulum swing-up (DESIGN section
 * 5 cost form) with the costs' *exact* Hessians, which are indefinite away from the goal.
 * With Q_uu-only regularization the indefinite part of V_xx grows backward until no mu
 * helps (measured on the benchmark's 20 starts: 1 converged); regularizing V_xx as well
 * (backward.ts) makes every start converge. Checked here on a few starts from the
 * interpolation guess, first order and true DDP: converged, feasible, exact gains.
 */
import { describe, expect, it } from 'vitest';
import { type Tensor, Rng, concat, mul, reshape, square, sub, sum, tensor } from '../../src/autodiff/index.js';
import { createModel } from '../../src/dynamics/models/index.js';
import { defineProblem, interpolationGuess, solveFddp, stageCost, terminalCost, withTask } from '../../src/ocp/index.js';

const SEED = 31337;

describe(`double-pendulum swing-up with exact (indefinite) cost Hessians (seed ${SEED})`, () => {
  const model = createModel('doublePendulum');
  const m = model.manifold;
  const dt = model.dt;
  const ee = (x: Tensor) => reshape(model.frameTranslation(model.configuration(x)), [-1]);
  const goal = ee(tensor(Array.from(m.neutral()))).toArray();
  const residual = (x: Tensor, u: Tensor, xi: Tensor) => concat([mul(Math.sqrt(10), sub(ee(x), xi)), mul(Math.sqrt(0.1), u)]);
  const base = defineProblem({
    dynamics: model,
    horizon: 200,
    x0: m.neutral(),
    xi: goal,
    stageCost: stageCost(m, model.nu, 3, (x, u, xi) => mul(dt, sum(square(residual(x, u, xi))))),
    terminalCost: terminalCost(m, 3, (x, xi) => mul(10, sum(square(sub(ee(x), xi))))),
  });
  const rng = new Rng(SEED);
  const starts = Array.from({ length: 3 }, () => {
    const n = rng.uniform([2], -0.3, 0.3).toArray();
    return withTask(base, { x0: [Math.PI + n[0]!, n[1]!, 0, 0] });
  });

  for (const secondOrder of [false, true]) {
    it(`FDDP from the interpolation guess converges${secondOrder ? ' (true DDP on feasible iterates)' : ''}`, () => {
      for (const p of starts) {
        const sol = solveFddp(p, interpolationGuess(p, m.neutral()), { secondOrder, history: false });
        expect(sol.converged).toBe(true);
        expect(sol.iterations).toBeLessThan(200);
        expect(sol.feasibility).toBeLessThanOrEqual(1e-9);
        expect(sol.exactGains).toBe(true);
        // Swung up: the tip ends near the goal.
        const tip = ee(tensor(Array.from(sol.xs[200]!))).toArray();
        expect(Math.hypot(...tip.map((v, i) => v - goal[i]!))).toBeLessThan(0.05);
      }
    });
  }
});

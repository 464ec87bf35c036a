/**
 * Cost terms not exercised by the swing-up tests, checked against independent quantities:
 *
 * - the frame-velocity term w |v_ee(x) - v_ref|^2, with v_ee = J_lin(q) v from the frame
 *   Jacobian, against the central difference of the frame position along v
 *   (d/dt p(q + t v) at t = 0), and its compiled derivatives against central differences
 *   of its compiled value;
 * - the Gauss-Newton terminal cost of a learned value V(x) = |r(x)|^2 (the DVP paper's
 *   residual network, weight 2): V_x = 2 J_r^T r and the Hessian 2 J_r^T J_r, with J_r by
 *   central differences of the network; and a DDP solve with it as terminal cost reaches a
 *   stationary point of the total cost (autodiff gradient through the rollout).
 */
import { describe, expect, it } from 'vitest';
import { type Tensor, Rng, add, concat, cos, grad, matmul, reshape, sin, slice, stack, tanh, tensor } from '../../src/autodiff/index.js';
import { createModel } from '../../src/dynamics/models/index.js';
import { defineProblem, frameVelocityTerm, gaussNewtonTerminalCost, solveDdp, stageCost } from '../../src/ocp/index.js';
import { pendulum } from './systems.js';
import { pendulumStage } from './pendulum-problem.js';

const SEED = 20240611;

/** Central differences of a scalar function of a flat vector: gradient and Hessian. */
function fdGradient(f: (x: Float64Array) => number, x: Float64Array, eps: number): number[] {
  return Array.from(x, (_, i) => {
    const p = x.slice();
    const m = x.slice();
    p[i] += eps;
    m[i] -= eps;
    return (f(p) - f(m)) / (2 * eps);
  });
}

describe(`frame-velocity cost term (double pendulum, seed ${SEED})`, () => {
  const model = createModel('doublePendulum');
  const nq = model.model.nq;
  const nx = model.nx;
  const linearVelocity = (x: Tensor) =>
    reshape(matmul(slice(model.frameJacobian(model.configuration(x)), [{ start: 0, stop: 3 }]), reshape(model.velocity(x), [-1, 1])), [-1]);
  const weights = [1, 2, 3];
  // xi = v_ref (3 numbers).
  const cost = stageCost(model.manifold, model.nu, 3, frameVelocityTerm(linearVelocity, weights, { xiStart: 0, length: 3 }));
  const rng = new Rng(SEED);
  const states = Array.from({ length: 4 }, () => Float64Array.from(rng.uniform([nx], -2, 2).toArray()));
  const vref = Float64Array.from(rng.uniform([3], -1, 1).toArray());
  const u = new Float64Array(model.nu);
  const position = (q: Float64Array) => model.frameTranslation(tensor(Array.from(q))).toArray();

  it('value = sum_i w_i (dp/dt - v_ref)_i^2 with dp/dt = d/dt p(q + t v) by central differences', () => {
    for (const x of states) {
      const q = x.subarray(0, nq);
      const v = x.subarray(nq);
      const eps = 1e-5;
      const pp = position(q.map((qi, i) => qi + eps * v[i]!));
      const pm = position(q.map((qi, i) => qi - eps * v[i]!));
      const pdot = pp.map((a, i) => (a - pm[i]!) / (2 * eps));
      const expected = pdot.reduce((s, pd, i) => s + weights[i]! * (pd - vref[i]!) ** 2, 0);
      // Truncation O(eps^2 |p'''| |v|^3) ~ 1e-10 * O(10); rounding ~1e-16 / eps ~ 1e-11.
      expect(Math.abs(cost.value(x, u, vref) - expected)).toBeLessThanOrEqual(1e-8 * (1 + expected));
    }
  });

  it('compiled gradient and Hessian match central differences of the compiled value and gradient', () => {
    const ndx = model.ndx;
    const out = { lx: new Float64Array(ndx), lu: new Float64Array(model.nu), lxx: new Float64Array(ndx * ndx), lux: new Float64Array(model.nu * ndx), luu: new Float64Array(model.nu * model.nu) };
    for (const x of states) {
      cost.derivatives(x, u, vref, out);
      const lx = Array.from(out.lx);
      const lxx = Array.from(out.lxx);
      const eps = 1e-6;
      const g = fdGradient((y) => cost.value(y, u, vref), x, eps);
      const scale = 1 + Math.max(...lx.map(Math.abs));
      // Central differences: truncation O(eps^2 |l'''|), rounding O(1e-16 |l| / eps) ~ 1e-9.
      g.forEach((gi, i) => expect(Math.abs(gi - lx[i]!)).toBeLessThanOrEqual(1e-6 * scale));
      const hScale = 1 + Math.max(...lxx.map(Math.abs));
      for (let j = 0; j < ndx; j++) {
        const gj = (y: Float64Array) => {
          cost.derivatives(y, u, vref, out);
          return out.lx[j]!;
        };
        fdGradient(gj, x, eps).forEach((h, i) => expect(Math.abs(h - lxx[j * ndx + i]!)).toBeLessThanOrEqual(1e-6 * hScale));
      }
      // The term does not read u.
      cost.derivatives(x, u, vref, out);
      expect(Array.from(out.lu).every((v) => v === 0)).toBe(true);
      expect(Array.from(out.luu).every((v) => v === 0)).toBe(true);
    }
  });
});

describe(`Gauss-Newton terminal cost of a learned value V = |r(x)|^2 (seed ${SEED})`, () => {
  // r(x) = W2 tanh(W1 [cos q, sin q, v] + b1) + b2: a small residual network on the pendulum state.
  const rng = new Rng(SEED + 1);
  const hidden = 8;
  const nr = 3;
  const W1 = rng.normal([hidden, 3]);
  const b1 = rng.normal([hidden, 1]);
  const W2 = rng.normal([nr, hidden]);
  const b2 = rng.normal([nr, 1]);
  const features = (x: Tensor) => {
    const q = slice(x, [{ start: 0, stop: 1 }]);
    return reshape(concat([cos(q), sin(q), slice(x, [{ start: 1, stop: 2 }])]), [3, 1]);
  };
  const r = (x: Tensor) => reshape(add(matmul(W2, tanh(add(matmul(W1, features(x)), b1))), b2), [-1]);
  const dyn = pendulum({ umax: null });
  const V = gaussNewtonTerminalCost(dyn.manifold, 2, (x) => r(x), 2);
  const residual = (x: Float64Array) => r(tensor(Array.from(x))).toArray();

  it('value |r|^2, gradient 2 J^T r, Hessian 2 J^T J (J by central differences)', () => {
    const lx = new Float64Array(2);
    const lxx = new Float64Array(4);
    const xi = Float64Array.of(0, 1);
    for (const x of [Float64Array.of(0.3, -1.2), Float64Array.of(2.9, 0.4), Float64Array.of(-1.1, 2.0)]) {
      const rv = residual(x);
      const value = V.derivatives(x, xi, lx, lxx);
      const r2 = rv.reduce((s, v) => s + v * v, 0);
      expect(Math.abs(value - r2)).toBeLessThanOrEqual(1e-12 * (1 + r2));
      expect(Math.abs(V.value(x, xi) - r2)).toBeLessThanOrEqual(1e-12 * (1 + r2));
      const eps = 1e-6;
      const J = [0, 1].map((j) => {
        const p = x.slice();
        const m = x.slice();
        p[j] += eps;
        m[j] -= eps;
        const rp = residual(p);
        const rm = residual(m);
        return rp.map((v, i) => (v - rm[i]!) / (2 * eps)); // column j of J_r
      });
      const scale = 1 + r2;
      for (let a = 0; a < 2; a++) {
        const g = 2 * J[a]!.reduce((s, v, i) => s + v * rv[i]!, 0);
        expect(Math.abs(lx[a]! - g)).toBeLessThanOrEqual(1e-7 * scale);
        for (let b = 0; b < 2; b++) {
          const h = 2 * J[a]!.reduce((s, v, i) => s + v * J[b]![i]!, 0);
          expect(Math.abs(lxx[a * 2 + b]! - h)).toBeLessThanOrEqual(1e-7 * scale);
        }
      }
      // PSD by construction.
      expect(lxx[0]!).toBeGreaterThanOrEqual(0);
      expect(lxx[0]! * lxx[3]! - lxx[1]! * lxx[2]!).toBeGreaterThanOrEqual(-1e-12 * scale * scale);
    }
  });

  it('as the terminal cost of a short-horizon DDP (DVP), the solve is stationary in U', () => {
    const T = 30;
    const problem = defineProblem({
      dynamics: dyn, horizon: T, x0: [2.5, 0], xi: [0, 1],
      stageCost: stageCost(dyn.manifold, 1, 2, pendulumStage),
      terminalCost: V,
    });
    const sol = solveDdp(problem, {}, { tolerance: 1e-14 });
    expect(sol.converged).toBe(true);
    const xi = tensor([0, 1]);
    const J = (U: Tensor) => {
      let x: Tensor = tensor(Array.from(problem.x0));
      let c: Tensor = tensor(0);
      for (let t = 0; t < T; t++) {
        const u = reshape(slice(U, [{ start: t, stop: t + 1 }]), [1]);
        c = add(c, pendulumStage(x, u, xi));
        x = dyn.stepTensor(x, u);
      }
      const rT = r(x);
      return add(c, reshape(matmul(reshape(rT, [1, -1]), reshape(rT, [-1, 1])), []));
    };
    const g = grad(J)(stack(sol.us.map((u) => tensor(Array.from(u))))).toArray();
    // |g|^2 <= lambda_max(Q_uu) tol (1 + J) as in optimality.test.ts, with lambda_max(Q_uu) < 1
    // here too (f_u = (dt^2, dt), |V_xx| = O(10)); the Gauss-Newton model changes the path,
    // not the fixed point (the gradient 2 J^T r is exact).
    const gmax = Math.max(...g.map(Math.abs));
    expect(gmax).toBeLessThanOrEqual(Math.sqrt(1e-14 * (1 + sol.cost)));
    const g0 = grad(J)(stack(sol.us.map(() => tensor([0])))).toArray();
    expect(Math.max(...g0.map(Math.abs))).toBeGreaterThan(1e3 * gmax);
  });
});

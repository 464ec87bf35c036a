/**
 * The augmented-Lagrangian consensus terms (ocp/consensus-cost.ts) inside the solver's
 * objective: the gradient (l_x, l_u) against central differences of the value, for the
 * single-shooting term through a nonlinear policy and for the multiple-shooting terms; the
 * Hessian blocks against central differences of that gradient where the Gauss-Newton
 * Hessian is exact (a linear policy, and the multiple-shooting terms), and equal to
 * mu [J^T J, -J^T; -J, I] plus the cost's own where it is not. Tolerances: see
 * tests/autodiff/check.ts (FD_TOL, H).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Objective, type OcpProblem, type PolicyFunction, consensusObjective, OcpDefinitionError } from '../../src/ocp/index.js';
import { Knot } from '../../src/ocp/workspace.js';
import { createLqrTask } from '../../src/tasks/index.js';
import { FD_TOL, H } from '../autodiff/check.js';

const SEED = 2023;

/** pi(x) = tanh(A x + b) * 2 (nonlinear) or A x + b (linear), with its Jacobian. */
function testPolicy(nx: number, nu: number, values: number[], linear: boolean): PolicyFunction {
  const A = values.slice(0, nu * nx);
  const b = values.slice(nu * nx, nu * nx + nu);
  return {
    nx, nu,
    evaluate(x, u, J) {
      for (let i = 0; i < nu; i++) {
        let z = b[i]!;
        for (let j = 0; j < nx; j++) z += A[i * nx + j]! * x[j]!;
        u[i] = linear ? z : 2 * Math.tanh(z);
        const d = linear ? 1 : 2 * (1 - Math.tanh(z) ** 2);
        if (J) for (let j = 0; j < nx; j++) J[i * nx + j] = d * A[i * nx + j]!;
      }
    },
  };
}

function derivativesAt(objective: Objective, nx: number, nu: number, t: number, x: Float64Array, u: Float64Array): Knot {
  const knot = new Knot(nx, nu);
  objective.stageDerivatives(t, x, u, knot);
  return knot;
}

/** Central differences of f along coordinate j of z = (x, u). */
function centralDifference(f: (x: Float64Array, u: Float64Array) => number, x: Float64Array, u: Float64Array, j: number): number {
  const z = [...x, ...u];
  const h = H * Math.max(1, ...z.map(Math.abs));
  const at = (s: number) => {
    const zz = z.slice();
    zz[j] += s;
    return f(Float64Array.from(zz.slice(0, x.length)), Float64Array.from(zz.slice(x.length)));
  };
  return (at(h) - at(-h)) / (2 * h);
}

const close = (ad: number, fd: number, scale: number) => Math.abs(ad - fd) <= FD_TOL * (scale + Math.abs(fd));

describe(`consensus terms of the OC phase (seed ${SEED})`, () => {
  const task = createLqrTask({ dims: 1, horizon: 4, name: 'lqr-tiny' });
  const problem: OcpProblem = task.problem({ x0: [0.5, -0.2] });
  const nx = 2;
  const nu = 1;
  const T = 4;
  const vec = (n: number) => fc.array(fc.double({ min: -2, max: 2, noNaN: true }), { minLength: n, maxLength: n });

  for (const [label, linear] of [['a nonlinear', false], ['a linear', true]] as const) {
    it(`single shooting through ${label} policy: gradient against central differences, Gauss-Newton Hessian`, () => {
      fc.assert(
        fc.property(vec(nu * nx + nu), vec(nx), vec(nu), vec(nu), fc.double({ min: 0.1, max: 10, noNaN: true }), fc.integer({ min: 0, max: T - 1 }), (p, xa, ua, la, mu, t) => {
          const policy = testPolicy(nx, nu, p, linear);
          const lambda = Array.from({ length: T }, () => Float64Array.from(la));
          const objective = consensusObjective(problem, { mu: new Float64Array(T).fill(mu), lambda, policy });
          const x = Float64Array.from(xa);
          const u = Float64Array.from(ua);
          const knot = derivativesAt(objective, nx, nu, t, x, u);
          const value = (xx: Float64Array, uu: Float64Array) => objective.stageValue(t, xx, uu);
          const scale = Math.max(1, Math.abs(value(x, u)));
          const grad = [...knot.lx, ...knot.lu];
          grad.forEach((g, j) => expect(close(g, centralDifference(value, x, u, j), scale), `gradient ${j}: ${g}`).toBe(true));
          if (linear) {
            // The Gauss-Newton Hessian is exact: check every block against differences of the gradient.
            for (let j = 0; j < nx + nu; j++) {
              const column = (xx: Float64Array, uu: Float64Array, row: number) => {
                const k = derivativesAt(objective, nx, nu, t, xx, uu);
                return row < nx ? k.lx[row]! : k.lu[row - nx]!;
              };
              for (let row = 0; row < nx + nu; row++) {
                const fd = centralDifference((xx, uu) => column(xx, uu, row), x, u, j);
                const ad = row < nx && j < nx ? knot.lxx[row * nx + j]! : row >= nx && j < nx ? knot.lux[(row - nx) * nx + j]! : row >= nx ? knot.luu[(row - nx) * nu + j - nx]! : knot.lux[(j - nx) * nx + row]!;
                expect(close(ad, fd, scale), `Hessian ${row},${j}: ${ad} vs ${fd}`).toBe(true);
              }
            }
          } else {
            // mu [J^T J, -J^T; -J, I] on top of the LQR's own (constant) Hessian.
            const base = derivativesAt(consensusObjective(problem, { mu: new Float64Array(T).fill(1e-300), lambda, policy }), nx, nu, t, x, u);
            const J = new Float64Array(nu * nx);
            policy.evaluate(x, new Float64Array(nu), J);
            for (let a = 0; a < nx; a++) for (let b = 0; b < nx; b++) expect(knot.lxx[a * nx + b]! - base.lxx[a * nx + b]!).toBeCloseTo(mu * J[a]! * J[b]!, 10);
            for (let b = 0; b < nx; b++) expect(knot.lux[b]! - base.lux[b]!).toBeCloseTo(-mu * J[b]!, 10);
            expect(knot.luu[0]! - base.luu[0]!).toBeCloseTo(mu, 10);
          }
        }),
        { seed: SEED, numRuns: 25 },
      );
    });
  }

  it('multiple shooting (eq. 15): gradient and Hessian against central differences, no policy call', () => {
    fc.assert(
      fc.property(vec(nx), vec(nu), vec(nu), vec(nu), vec(nx), vec(nx), fc.double({ min: 0.1, max: 10, noNaN: true }), fc.integer({ min: 0, max: T - 1 }), (xa, ua, la, ca, sa, ga, mu, t) => {
        const knots = (v: number[]) => Array.from({ length: T }, () => Float64Array.from(v));
        const objective = consensusObjective(problem, {
          mu: new Float64Array(T).fill(mu), lambda: knots(la), shooting: { controls: knots(ca), states: knots(sa), gamma: knots(ga) },
        });
        const x = Float64Array.from(xa);
        const u = Float64Array.from(ua);
        const knot = derivativesAt(objective, nx, nu, t, x, u);
        const value = (xx: Float64Array, uu: Float64Array) => objective.stageValue(t, xx, uu);
        const scale = Math.max(1, Math.abs(value(x, u)));
        [...knot.lx, ...knot.lu].forEach((g, j) => expect(close(g, centralDifference(value, x, u, j), scale)).toBe(true));
        for (let j = 0; j < nx; j++) {
          for (let row = 0; row < nx; row++) {
            const fd = centralDifference((xx, uu) => derivativesAt(objective, nx, nu, t, xx, uu).lx[row]!, x, u, j);
            expect(close(knot.lxx[row * nx + j]!, fd, scale)).toBe(true);
          }
        }
        // The value: the LQR's stage cost plus mu/2 (|u + lambda/mu - c|^2 + |x + gamma/mu - s|^2).
        const baseValue = problem.stageCost.value(x, u, problem.xi);
        let pen = (u[0]! + la[0]! / mu - ca[0]!) ** 2;
        for (let a = 0; a < nx; a++) pen += (x[a]! + ga[a]! / mu - sa[a]!) ** 2;
        expect(value(x, u)).toBeCloseTo(baseValue + 0.5 * mu * pen, 9);
      }),
      { seed: SEED + 1, numRuns: 25 },
    );
  });

  it('rejects inconsistent terms with a clear error', () => {
    const lambda = Array.from({ length: T }, () => new Float64Array(nu));
    const policy = testPolicy(nx, nu, [1, 1, 0], true);
    expect(() => consensusObjective(problem, { mu: new Float64Array(T).fill(1), lambda })).toThrow(OcpDefinitionError);
    expect(() => consensusObjective(problem, { mu: new Float64Array(T).fill(0), lambda, policy })).toThrow(/mu_0/);
    expect(() => consensusObjective(problem, { mu: new Float64Array(T).fill(1), lambda: lambda.slice(1), policy })).toThrow(/lambda/);
    expect(() => consensusObjective(problem, { mu: new Float64Array(T).fill(1), lambda: [Float64Array.of(NaN), ...lambda.slice(1)], policy })).toThrow(/not finite/);
  });
});

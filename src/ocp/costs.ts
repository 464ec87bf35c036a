/**
 * Costs written once as tensor code and compiled with `jit`, together with their
 * derivatives on the tangent space of the state manifold:
 *
 *   g(dx, du) = l(x (+) dx, u + du, xi),   l_x = g_dx(0), l_xx = g_dxdx(0), ...
 *
 * so a cost on a quaternion state is differentiated along the ndx tangent directions, the
 * same space as the dynamics Jacobians (DESIGN section 4: never raw subtraction of
 * configurations). Two flavours:
 *
 * - `stageCost` / `terminalCost`: exact gradient and Hessian (`grad`, `hessian` traced
 *   inside `jit`, constant-folded to scalar code: a pendulum cost and its derivatives
 *   cost a few tens of nanoseconds).
 * - `gaussNewtonStageCost` / `gaussNewtonTerminalCost` for l = (w/2) ||r||^2: gradient
 *   w J_r^T r and the Gauss-Newton Hessian w J_r^T J_r (PSD by construction), the form the
 *   DVP paper uses for a learned value V(x) = ||r(x)||^2 (w = 2).
 *
 * The term builders at the end (quadratic state / control, frame position and velocity)
 * return plain tensor functions; add them with `sumTerms` and compile the sum once.
 */
import {
  type Jitted, type Tensor, add, grad, hessian, jacfwd, jit, matmul, mul, reshape, slice, square, sub, sum, tensor, zeros,
} from '../autodiff/index.js';
import type { StateManifold } from '../dynamics/interface.js';
import type { CostDerivatives, StageCost, TerminalCost } from './problem.js';

export type StageCostFn = (x: Tensor, u: Tensor, xi: Tensor) => Tensor;
export type TerminalCostFn = (x: Tensor, xi: Tensor) => Tensor;

/** Split z = (dx, du) into the tangent perturbation of x and the perturbation of u. */
function perturbed(manifold: StateManifold, x: Tensor, u: Tensor, z: Tensor): [Tensor, Tensor] {
  const ndx = manifold.ndx;
  return [manifold.integrate(x, slice(z, [{ start: 0, stop: ndx }])), add(u, slice(z, [{ start: ndx }]))];
}

/** Blocks of a Hessian over z = (dx, du): [zz_xx, zz_ux, zz_uu]. */
function blocks(H: Tensor, ndx: number): Tensor[] {
  return [
    slice(H, [{ start: 0, stop: ndx }, { start: 0, stop: ndx }]),
    slice(H, [{ start: ndx }, { start: 0, stop: ndx }]),
    slice(H, [{ start: ndx }, { start: ndx }]),
  ];
}

/** Reusable argument and output arrays so `run` allocates nothing. */
function runner(f: Jitted<unknown & Tensor[]> | Jitted<Tensor>, nIn: number, nOut: number) {
  const ins: Float64Array[] = new Array<Float64Array>(nIn).fill(new Float64Array(0));
  const outs: Float64Array[] = new Array<Float64Array>(nOut).fill(new Float64Array(0));
  return { ins, outs, f };
}

function compiledStage(
  manifold: StateManifold,
  nu: number,
  nxi: number,
  valueFn: StageCostFn,
  derivs: (x: Tensor, u: Tensor, xi: Tensor) => Tensor[],
): StageCost {
  const shapes = [[manifold.nx], [nu], [nxi]];
  const value = runner(jit((x, u, xi) => valueFn(x, u, xi), shapes), 3, 1);
  const deriv = runner(jit((x, u, xi) => derivs(x, u, xi), shapes), 3, 6);
  const scalarOut = new Float64Array(1);
  return {
    kind: 'stage',
    nxi,
    value(x, u, xi) {
      value.ins[0] = x;
      value.ins[1] = u;
      value.ins[2] = xi;
      value.outs[0] = scalarOut;
      value.f.run(value.ins, value.outs);
      return scalarOut[0]!;
    },
    derivatives(x, u, xi, out: CostDerivatives) {
      const { ins, outs } = deriv;
      ins[0] = x;
      ins[1] = u;
      ins[2] = xi;
      outs[0] = scalarOut;
      outs[1] = out.lx;
      outs[2] = out.lu;
      outs[3] = out.lxx;
      outs[4] = out.lux;
      outs[5] = out.luu;
      deriv.f.run(ins, outs);
      return scalarOut[0]!;
    },
  };
}

function compiledTerminal(
  manifold: StateManifold,
  nxi: number,
  valueFn: TerminalCostFn,
  derivs: (x: Tensor, xi: Tensor) => Tensor[],
): TerminalCost {
  const shapes = [[manifold.nx], [nxi]];
  const value = runner(jit((x, xi) => valueFn(x, xi), shapes), 2, 1);
  const deriv = runner(jit((x, xi) => derivs(x, xi), shapes), 2, 3);
  const scalarOut = new Float64Array(1);
  return {
    kind: 'terminal',
    nxi,
    value(x, xi) {
      value.ins[0] = x;
      value.ins[1] = xi;
      value.outs[0] = scalarOut;
      value.f.run(value.ins, value.outs);
      return scalarOut[0]!;
    },
    derivatives(x, xi, lx, lxx) {
      const { ins, outs } = deriv;
      ins[0] = x;
      ins[1] = xi;
      outs[0] = scalarOut;
      outs[1] = lx;
      outs[2] = lxx;
      deriv.f.run(ins, outs);
      return scalarOut[0]!;
    },
  };
}

/** Compile l(x, u, xi) with its exact gradient and Hessian on the tangent space. */
export function stageCost(manifold: StateManifold, nu: number, nxi: number, l: StageCostFn): StageCost {
  const ndx = manifold.ndx;
  return compiledStage(manifold, nu, nxi, l, (x, u, xi) => {
    const g = (z: Tensor) => {
      const [xp, up] = perturbed(manifold, x, u, z);
      return l(xp, up, xi);
    };
    const z0 = zeros([ndx + nu]);
    const gz = grad(g)(z0);
    return [l(x, u, xi), slice(gz, [{ start: 0, stop: ndx }]), slice(gz, [{ start: ndx }]), ...blocks(hessian(g)(z0), ndx)];
  });
}

/** Compile l_T(x, xi) with its exact gradient and Hessian on the tangent space. */
export function terminalCost(manifold: StateManifold, nxi: number, l: TerminalCostFn): TerminalCost {
  return compiledTerminal(manifold, nxi, l, (x, xi) => {
    const g = (dx: Tensor) => l(manifold.integrate(x, dx), xi);
    const z0 = zeros([manifold.ndx]);
    return [l(x, xi), grad(g)(z0), hessian(g)(z0)];
  });
}

/** l = (w/2) ||r(x, u, xi)||^2 with the Gauss-Newton Hessian w J_r^T J_r. */
export function gaussNewtonStageCost(manifold: StateManifold, nu: number, nxi: number, r: StageCostFn, weight = 1): StageCost {
  const ndx = manifold.ndx;
  const value: StageCostFn = (x, u, xi) => mul(0.5 * weight, sum(square(r(x, u, xi))));
  return compiledStage(manifold, nu, nxi, value, (x, u, xi) => {
    const res = (z: Tensor) => {
      const [xp, up] = perturbed(manifold, x, u, z);
      return reshape(r(xp, up, xi), [-1]);
    };
    const z0 = zeros([ndx + nu]);
    const rv = res(z0);
    const J = jacfwd(res)(z0);
    const gz = mul(weight, reshape(matmul(reshape(rv, [1, -1]), J), [-1]));
    const H = mul(weight, matmul(J, J, { transA: true }));
    return [value(x, u, xi), slice(gz, [{ start: 0, stop: ndx }]), slice(gz, [{ start: ndx }]), ...blocks(H, ndx)];
  });
}

/** l_T = (w/2) ||r(x, xi)||^2 with the Gauss-Newton Hessian; a learned value V = ||r||^2 is w = 2. */
export function gaussNewtonTerminalCost(manifold: StateManifold, nxi: number, r: TerminalCostFn, weight = 1): TerminalCost {
  const value: TerminalCostFn = (x, xi) => mul(0.5 * weight, sum(square(r(x, xi))));
  return compiledTerminal(manifold, nxi, value, (x, xi) => {
    const res = (dx: Tensor) => reshape(r(manifold.integrate(x, dx), xi), [-1]);
    const z0 = zeros([manifold.ndx]);
    const rv = res(z0);
    const J = jacfwd(res)(z0);
    return [value(x, xi), mul(weight, reshape(matmul(reshape(rv, [1, -1]), J), [-1])), mul(weight, matmul(J, J, { transA: true }))];
  });
}

// ---------------------------------------------------------------------------------------
// Cost terms: tensor functions to add up and compile once.

/** Where a reference comes from: a constant, or a slice of the task parameters xi. */
export type Reference = ArrayLike<number> | { xiStart: number; length: number };

function reference(ref: Reference, xi: Tensor): Tensor {
  if ('xiStart' in ref) return slice(xi, [{ start: ref.xiStart, stop: ref.xiStart + ref.length }]);
  return tensor(Array.from(ref as ArrayLike<number>));
}

function weighted(r: Tensor, weights: number | ArrayLike<number>): Tensor {
  return typeof weights === 'number' ? mul(weights, sum(square(r))) : sum(mul(tensor(Array.from(weights)), square(r)));
}

/** sum_i w_i (x (-) x_ref)_i^2 on the manifold. */
export function quadraticStateTerm(manifold: StateManifold, ref: Reference, weights: number | ArrayLike<number>): StageCostFn {
  return (x, _u, xi) => weighted(manifold.difference(reference(ref, xi), x), weights);
}

/** sum_i w_i (u - u_ref)_i^2 (u_ref = 0 when omitted): control regularization. */
export function quadraticControlTerm(weights: number | ArrayLike<number>, ref?: Reference): StageCostFn {
  return (_x, u, xi) => weighted(ref ? sub(u, reference(ref, xi)) : u, weights);
}

/** w ||p(x) - p_ref||^2 for a frame position p(x) (an end effector, as a tensor function). */
export function framePositionTerm(position: (x: Tensor) => Tensor, ref: Reference, weight: number | ArrayLike<number>): StageCostFn {
  return (x, _u, xi) => weighted(sub(reshape(position(x), [-1]), reference(ref, xi)), weight);
}

/** w ||v(x) - v_ref||^2 for a frame velocity v(x) (zero reference when omitted). */
export function frameVelocityTerm(velocity: (x: Tensor) => Tensor, weight: number | ArrayLike<number>, ref?: Reference): StageCostFn {
  return (x, _u, xi) => {
    const v = reshape(velocity(x), [-1]);
    return weighted(ref ? sub(v, reference(ref, xi)) : v, weight);
  };
}

/** The sum of stage terms, scaled by `scale` (e.g. dt for a discretized running cost). */
export function sumTerms(terms: readonly StageCostFn[], scale = 1): StageCostFn {
  return (x, u, xi) => {
    let s = terms[0]!(x, u, xi);
    for (let i = 1; i < terms.length; i++) s = add(s, terms[i]!(x, u, xi));
    return scale === 1 ? s : mul(scale, s);
  };
}

/** A stage term used as a terminal one (its control argument is never read). */
export function terminalTerm(term: StageCostFn, nu: number): TerminalCostFn {
  const u0 = zeros([nu]);
  return (x, xi) => term(x, u0, xi);
}

/**
 * Terminal costs built from any differentiable function of the state that supplies its own
 * value, gradient and a (Gauss-Newton) Hessian: what a learned value V_theta(x_T) needs to
 * be the terminal cost of a short-horizon OCP (value-learning paper, eq. 6, and sec. III-C).
 *
 * `costs.ts` compiles tensor code with `jit`, which suits a cost of a few hundred scalar
 * operations; a network of 3 x 64 units is better run as it is, with its parameters changing
 * between solves. So the function here is opaque: anything with `value` and `derivatives`
 * on flat arrays. Two builders write the derivatives from tensor code, run eagerly:
 *
 *   - `residualFunction(r)`: F(x) = ||r(x)||^2 with F_x = 2 J_r^T r and the Gauss-Newton
 *     Hessian 2 J_r^T J_r (the paper's Gauss-residual network, eq. 9 and below), positive
 *     semi-definite by construction;
 *   - `exactFunction(f)`: any scalar f with its exact gradient and Hessian (a plain
 *     feed-forward value network), which may be indefinite.
 *
 * Derivatives are on the tangent space of the state (ndx): for the vector-space states of
 * the value-learning tasks that is the state itself; a function on a Lie-group state must
 * be written in tangent coordinates by its author.
 */
import { type Tensor, grad, hessian, jacfwd, matmul, reshape, square, sum, tensor } from '../autodiff/index.js';
import type { TerminalCost } from './problem.js';

/** A scalar function of the state with its derivatives (row-major Hessian, ndx x ndx). */
export interface DifferentiableFunction {
  /** The length of x. */
  readonly nx: number;
  /** The length of the gradient (the tangent dimension; nx on a vector space). */
  readonly ndx: number;
  value(x: Float64Array): number;
  /** Write F_x (ndx) and a symmetric Hessian or its approximation (ndx x ndx); return F(x). */
  derivatives(x: Float64Array, gradient: Float64Array, hessian: Float64Array): number;
}

/** A learned cost's function returned a NaN or an infinity where the solver needs its derivatives. */
export class LearnedCostError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LearnedCostError';
  }
}

function checkState(fn: DifferentiableFunction, x: Float64Array, where: string): void {
  if (x.length !== fn.nx) throw new RangeError(`${where}: x has length ${x.length}, the function takes nx = ${fn.nx}`);
}

/**
 * l_T(x, xi) = weight F(x): the terminal cost of an OCP whose task parameters have length
 * `nxi` (F does not read them). A non-finite value is returned as it is (the solver's line
 * search rejects that trial); non-finite derivatives at an iterate are a `LearnedCostError`
 * naming the state, since the solver cannot go on from them.
 */
export function learnedTerminalCost(fn: DifferentiableFunction, options: { nxi?: number; weight?: number } = {}): TerminalCost {
  const { nxi = 1, weight = 1 } = options;
  if (!Number.isInteger(nxi) || nxi < 1) throw new RangeError(`learnedTerminalCost: nxi must be a positive integer, got ${nxi}`);
  if (!Number.isFinite(weight)) throw new RangeError(`learnedTerminalCost: weight must be finite, got ${weight}`);
  return {
    kind: 'terminal',
    nxi,
    value(x) {
      checkState(fn, x, 'learnedTerminalCost.value');
      return weight * fn.value(x);
    },
    derivatives(x, _xi, lx, lxx) {
      checkState(fn, x, 'learnedTerminalCost.derivatives');
      const v = fn.derivatives(x, lx, lxx);
      if (!Number.isFinite(v) || !lx.every(Number.isFinite) || !lxx.every(Number.isFinite)) {
        throw new LearnedCostError(`learned terminal cost: non-finite value or derivatives at x = [${Array.from(x).join(', ')}]`);
      }
      if (weight !== 1) {
        for (let i = 0; i < lx.length; i++) lx[i] *= weight;
        for (let i = 0; i < lxx.length; i++) lxx[i] *= weight;
      }
      return weight * v;
    },
  };
}

/** F = 0: the OCP without a terminal cost (the first DVP iteration, paper sec. III-A.1). */
export function zeroFunction(nx: number, ndx = nx): DifferentiableFunction {
  return {
    nx,
    ndx,
    value: () => 0,
    derivatives(_x, g, H) {
      g.fill(0);
      H.fill(0);
      return 0;
    },
  };
}

const asTensor = (x: Float64Array) => tensor(Array.from(x), [x.length]);

/**
 * F(x) = ||r(x)||^2 for a residual r: R^nx -> R^m written with engine ops, with F_x = 2 J_r^T r
 * and the Gauss-Newton Hessian 2 J_r^T J_r (J_r by forward mode, nx tangents). The Hessian is
 * exact where r = 0, and wherever r is affine.
 */
export function residualFunction(nx: number, r: (x: Tensor) => Tensor): DifferentiableFunction {
  const residual = (x: Tensor) => reshape(r(x), [-1]);
  return {
    nx,
    ndx: nx,
    value: (x) => sum(square(residual(asTensor(x)))).item(),
    derivatives(x, g, H) {
      const xt = asTensor(x);
      const rv = residual(xt);
      const J = jacfwd(residual)(xt); // [m, nx]
      g.set(matmul(reshape(rv, [1, -1]), J).toArray().map((v) => 2 * v));
      H.set(matmul(J, J, { transA: true }).toArray().map((v) => 2 * v));
      return sum(square(rv)).item();
    },
  };
}

/** Any scalar f(x) written with engine ops, with its exact gradient and Hessian. */
export function exactFunction(nx: number, f: (x: Tensor) => Tensor): DifferentiableFunction {
  const scalarF = (x: Tensor) => sum(f(x));
  return {
    nx,
    ndx: nx,
    value: (x) => scalarF(asTensor(x)).item(),
    derivatives(x, g, H) {
      const xt = asTensor(x);
      g.set(grad(scalarF)(xt).toArray());
      H.set(hessian(scalarF)(xt).toArray());
      return scalarF(xt).item();
    },
  };
}

/**
 * What the solvers and the learning code need from a dynamical system. Models are written
 * once, as differentiable tensor code (`stepTensor`); `step` and `jacobians` are that same
 * code compiled with `jit` (the Jacobians from `jacfwd` traced inside it), working on flat
 * Float64Arrays without allocation.
 *
 * States live on a manifold: nx numbers (a free flyer's quaternion included), ndx tangent
 * directions. Derivatives with respect to the state are taken on the tangent space:
 * f_x = d difference(f(x0, u), f(integrate(x0, dx), u)) / d dx at dx = 0, of shape ndx x ndx.
 */
import type { Tensor } from '../autodiff/index.js';

export interface StateManifold {
  /** Number of coordinates of a point. */
  readonly nx: number;
  /** Dimension of the tangent space. */
  readonly ndx: number;
  /** x (+) dx: move from x along the tangent vector dx. */
  integrate(x: Tensor, dx: Tensor): Tensor;
  /** x1 (-) x0: the tangent vector that takes x0 to x1, so integrate(x0, difference(x0, x1)) = x1. */
  difference(x0: Tensor, x1: Tensor): Tensor;
  /** A valid point to start from (the neutral configuration, zero velocity). */
  neutral(): Float64Array;
  /** Throw a typed error if x is not a valid point (wrong length, NaN, non-unit quaternion). */
  check(x: ArrayLike<number>, what: string): void;
}

export interface ControlBounds {
  readonly lower: Float64Array;
  readonly upper: Float64Array;
}

export interface DiscreteDynamics {
  readonly name: string;
  readonly manifold: StateManifold;
  readonly nx: number;
  readonly ndx: number;
  readonly nu: number;
  /** Time step in seconds. */
  readonly dt: number;
  /** Box bounds on the controls, or null when unbounded. */
  readonly controlBounds: ControlBounds | null;
  /** x_next = f(x, u), differentiable: the single source of truth. */
  stepTensor(x: Tensor, u: Tensor): Tensor;
  /** Compiled step: writes f(x, u) into `out` (length nx). */
  step(x: ArrayLike<number>, u: ArrayLike<number>, out: Float64Array): void;
  /** Compiled Jacobians on the tangent space: fx (ndx x ndx) and fu (ndx x nu), row-major. */
  jacobians(x: ArrayLike<number>, u: ArrayLike<number>, fx: Float64Array, fu: Float64Array): void;
}

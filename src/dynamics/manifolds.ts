/**
 * State manifolds (the `StateManifold` of interface.ts). Costs and solvers never subtract
 * states: they use `difference`, and step along tangent vectors with `integrate`, so that a
 * free flyer's quaternion stays a unit quaternion and its tangent space has 6 directions, not 7.
 *
 * - `VectorSpace(n)`: x + dx and x1 - x0.
 * - `MultibodyState(model)`: x = [q; v] with nx = nq + nv, ndx = 2 nv; the configuration part
 *   moves joint by joint on each joint's configuration space (SE(3) for a free flyer, see
 *   joints.ts), the velocity part is a vector space.
 *
 * Both also give the Jacobians of integrate and difference on the tangent space (Pinocchio's
 * dIntegrate / dDifference): the vector space in closed form, the multibody state from the
 * engine's forward mode on the same tensor code, compiled once.
 */
import { type Jitted, type Tensor, add, concat, jacfwd, jit, slice, sub, zeros } from '../autodiff/index.js';
import { QuaternionNormError, checkVector } from './errors.js';
import type { StateManifold } from './interface.js';
import { type Model, jointConfiguration, jointVelocity } from './model.js';

/** Tangent-space Jacobians of y = integrate(x, dx): dy/dx and dy/ddx, each ndx x ndx row-major. */
export interface IntegrateJacobians {
  Jx: Float64Array;
  Jdx: Float64Array;
}

/** Tangent-space Jacobians of d = difference(x0, x1): dd/dx0 and dd/dx1, each ndx x ndx row-major. */
export interface DifferenceJacobians {
  J0: Float64Array;
  J1: Float64Array;
}

/** A state manifold that also knows the Jacobians of its maps. */
export interface LieStateManifold extends StateManifold {
  readonly name: string;
  integrateJacobians(x: ArrayLike<number>, dx: ArrayLike<number>): IntegrateJacobians;
  differenceJacobians(x0: ArrayLike<number>, x1: ArrayLike<number>): DifferenceJacobians;
}

function identity(n: number, scale = 1): Float64Array {
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) out[i * n + i] = scale;
  return out;
}

export class VectorSpace implements LieStateManifold {
  readonly nx: number;
  readonly ndx: number;

  constructor(
    n: number,
    readonly name = `R^${n}`,
  ) {
    this.nx = n;
    this.ndx = n;
  }

  integrate(x: Tensor, dx: Tensor): Tensor {
    return add(x, dx);
  }

  difference(x0: Tensor, x1: Tensor): Tensor {
    return sub(x1, x0);
  }

  neutral(): Float64Array {
    return new Float64Array(this.nx);
  }

  check(x: ArrayLike<number>, what: string): void {
    checkVector(this.name, what, x, this.nx);
  }

  integrateJacobians(x: ArrayLike<number>, dx: ArrayLike<number>): IntegrateJacobians {
    this.check(x, 'x');
    checkVector(this.name, 'dx', dx, this.ndx);
    return { Jx: identity(this.ndx), Jdx: identity(this.ndx) };
  }

  differenceJacobians(x0: ArrayLike<number>, x1: ArrayLike<number>): DifferenceJacobians {
    this.check(x0, 'x0');
    this.check(x1, 'x1');
    return { J0: identity(this.ndx, -1), J1: identity(this.ndx) };
  }
}

/**
 * How far from 1 a quaternion's norm may be before `check` rejects it. Integration keeps the
 * norm within rounding (first-order renormalization, ~1e-15 per step); values typed or
 * stored with six significant digits still pass.
 */
export const QUATERNION_NORM_TOLERANCE = 1e-6;

export class MultibodyState implements LieStateManifold {
  readonly nx: number;
  readonly ndx: number;
  readonly name: string;
  private compiled: { integrate: Jitted<Tensor[]>; difference: Jitted<Tensor[]> } | null = null;

  /** `name` is what errors call it (default: the model's name). */
  constructor(
    readonly model: Model,
    name?: string,
  ) {
    this.nx = model.nq + model.nv;
    this.ndx = 2 * model.nv;
    this.name = name ?? model.name;
  }

  private q(x: Tensor): Tensor {
    return slice(x, [{ start: 0, stop: this.model.nq }]);
  }

  private v(x: Tensor): Tensor {
    return slice(x, [{ start: this.model.nq, stop: this.nx }]);
  }

  private dq(dx: Tensor): Tensor {
    return slice(dx, [{ start: 0, stop: this.model.nv }]);
  }

  private dv(dx: Tensor): Tensor {
    return slice(dx, [{ start: this.model.nv, stop: this.ndx }]);
  }

  /** q (+) dq, joint by joint. */
  integrateConfiguration(q: Tensor, dq: Tensor): Tensor {
    return concat(this.model.bodies.map((b) => b.joint.integrate(jointConfiguration(b, q), jointVelocity(b, dq))), 0);
  }

  /** q1 (-) q0, joint by joint. */
  differenceConfiguration(q0: Tensor, q1: Tensor): Tensor {
    return concat(this.model.bodies.map((b) => b.joint.difference(jointConfiguration(b, q0), jointConfiguration(b, q1))), 0);
  }

  integrate(x: Tensor, dx: Tensor): Tensor {
    return concat([this.integrateConfiguration(this.q(x), this.dq(dx)), add(this.v(x), this.dv(dx))], 0);
  }

  difference(x0: Tensor, x1: Tensor): Tensor {
    return concat([this.differenceConfiguration(this.q(x0), this.q(x1)), sub(this.v(x1), this.v(x0))], 0);
  }

  neutral(): Float64Array {
    const x = new Float64Array(this.nx);
    for (const b of this.model.bodies) x.set(b.joint.neutral(), b.idxQ);
    return x;
  }

  check(x: ArrayLike<number>, what: string): void {
    checkVector(this.name, what, x, this.nx);
    for (const b of this.model.bodies) {
      if (b.joint.kind !== 'freeflyer') continue;
      const o = b.idxQ + 3;
      const norm = Math.hypot(x[o], x[o + 1], x[o + 2], x[o + 3]);
      if (Math.abs(norm - 1) > QUATERNION_NORM_TOLERANCE) throw new QuaternionNormError(this.name, what, o, norm);
    }
  }

  private compile() {
    if (this.compiled !== null) return this.compiled;
    const { nx, ndx } = this;
    const zero = zeros([ndx]);
    // Tangent-space derivatives: perturb each argument along its own tangent space, and read
    // the change of the output in the output's tangent space.
    const integrate = jit((x: Tensor, dx: Tensor) => {
      const y = this.integrate(x, dx);
      const Jx = jacfwd((e: Tensor) => this.difference(y, this.integrate(this.integrate(x, e), dx)))(zero);
      const Jdx = jacfwd((e: Tensor) => this.difference(y, this.integrate(x, add(dx, e))))(zero);
      return [Jx, Jdx];
    }, [[nx], [ndx]]);
    const difference = jit((x0: Tensor, x1: Tensor) => {
      const d = this.difference(x0, x1);
      const J0 = jacfwd((e: Tensor) => sub(this.difference(this.integrate(x0, e), x1), d))(zero);
      const J1 = jacfwd((e: Tensor) => sub(this.difference(x0, this.integrate(x1, e)), d))(zero);
      return [J0, J1];
    }, [[nx], [nx]]);
    this.compiled = { integrate, difference };
    return this.compiled;
  }

  integrateJacobians(x: ArrayLike<number>, dx: ArrayLike<number>): IntegrateJacobians {
    this.check(x, 'x');
    checkVector(this.name, 'dx', dx, this.ndx);
    const [Jx, Jdx] = this.compile().integrate.run([x, dx]);
    return { Jx, Jdx };
  }

  differenceJacobians(x0: ArrayLike<number>, x1: ArrayLike<number>): DifferenceJacobians {
    this.check(x0, 'x0');
    this.check(x1, 'x1');
    const [J0, J1] = this.compile().difference.run([x0, x1]);
    return { J0, J1 };
  }
}

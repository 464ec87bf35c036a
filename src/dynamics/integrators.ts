/**
 * Integrators: from a continuous vector field on a state manifold to a discrete step
 * x_next = f(x, u), written with the manifold's `integrate` so that every intermediate
 * state stays on the manifold.
 *
 * The field returns the state's time derivative as a tangent vector. For a mechanical
 * system on x = [q; v] that is [v; a] (with a = ABA(q, v, tau)), where a free flyer's v is
 * its body twist, exactly the tangent direction its `integrate` expects.
 *
 * - explicit Euler: x+ = x (+) dt f(x, u);
 * - semi-implicit (symplectic) Euler: v+ = v + dt a, then q+ = q (+) dt v+; as one tangent
 *   step, x+ = x (+) dt [v + dt a; a]. It is the scheme of the pendulum task (DESIGN section 5)
 *   and of ALIGATOR's and Crocoddyl's examples;
 * - RK4: the classical four stages, each evaluated at x (+) c dt k. On a vector space it is
 *   the usual fourth-order method; on a Lie group it adds tangent vectors taken at nearby
 *   points, which keeps it consistent but makes it (a little) less than fourth order in the
 *   rotational part (Crouch-Grossman or RKMK methods fix that; none of our tasks needs it).
 */
import { type Tensor, add, concat, mul, slice } from '../autodiff/index.js';
import type { StateManifold } from './interface.js';

export type IntegratorName = 'semiImplicitEuler' | 'explicitEuler' | 'rk4';

export const INTEGRATORS: readonly IntegratorName[] = ['semiImplicitEuler', 'explicitEuler', 'rk4'];

/** A vector field: the time derivative of x under control u, as a tangent vector of length ndx. */
export type VectorField = (x: Tensor, u: Tensor) => Tensor;

/**
 * The discrete step of `field` over `dt`. `secondOrderNv` is the number of velocities when
 * the tangent is [v; a] (a mechanical system), which semi-implicit Euler needs; a first-order
 * system (the unicycle) has no such split and its semi-implicit Euler is explicit Euler.
 */
export function discretize(
  manifold: StateManifold,
  field: VectorField,
  dt: number,
  scheme: IntegratorName,
  secondOrderNv?: number,
): (x: Tensor, u: Tensor) => Tensor {
  switch (scheme) {
    case 'explicitEuler':
      return (x, u) => manifold.integrate(x, mul(field(x, u), dt));
    case 'semiImplicitEuler':
      if (secondOrderNv === undefined) return (x, u) => manifold.integrate(x, mul(field(x, u), dt));
      return (x, u) => {
        const k = field(x, u);
        const v = slice(k, [{ start: 0, stop: secondOrderNv }]);
        const a = slice(k, [{ start: secondOrderNv, stop: 2 * secondOrderNv }]);
        return manifold.integrate(x, mul(concat([add(v, mul(a, dt)), a], 0), dt));
      };
    case 'rk4':
      return (x, u) => {
        const k1 = field(x, u);
        const k2 = field(manifold.integrate(x, mul(k1, dt / 2)), u);
        const k3 = field(manifold.integrate(x, mul(k2, dt / 2)), u);
        const k4 = field(manifold.integrate(x, mul(k3, dt)), u);
        const k = add(add(k1, mul(add(k2, k3), 2)), k4);
        return manifold.integrate(x, mul(k, dt / 6));
      };
  }
}

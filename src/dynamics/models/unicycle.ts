/**
 * The kinematic unicycle of Crocoddyl's `core/actions/unicycle.hxx` (MODELS.md, DESIGN
 * section 5): x = (x, y, theta), u = (v, omega),
 *   x+ = (x + v cos(theta) dt, y + v sin(theta) dt, theta + omega dt),  dt = 0.1,
 * which is explicit Euler on the vector field (v cos theta, v sin theta, omega). Crocoddyl
 * puts no bounds on the controls. Its "body frame" is the point (x, y, 0).
 */
import { type Tensor, concat, cos, mul, reshape, sin, slice, tensor } from '../../autodiff/index.js';
import { CompiledDynamics } from '../discrete.js';
import { type IntegratorName, discretize } from '../integrators.js';
import { VectorSpace } from '../manifolds.js';
import { at } from '../spatial.js';

export const UNICYCLE = { dt: 0.1 } as const;

export interface UnicycleOptions {
  dt?: number;
  integrator?: IntegratorName;
}

export class UnicycleDynamics extends CompiledDynamics {
  readonly endEffector = 'base';
  declare readonly manifold: VectorSpace;

  constructor(options: UnicycleOptions = {}) {
    const manifold = new VectorSpace(3, 'unicycle');
    const field = (x: Tensor, u: Tensor): Tensor => {
      const theta = at(x, 2);
      const v = at(u, 0);
      return concat([reshape(mul(v, cos(theta)), [1]), reshape(mul(v, sin(theta)), [1]), slice(u, [{ start: 1, stop: 2 }])], 0);
    };
    super({
      name: 'unicycle',
      manifold,
      nu: 2,
      dt: options.dt ?? UNICYCLE.dt,
      controlBounds: null,
      stepTensor: discretize(manifold, field, options.dt ?? UNICYCLE.dt, options.integrator ?? 'explicitEuler'),
    });
  }

  /** The position (x, y, 0) of the unicycle: its state is its configuration. */
  frameTranslation(q: Tensor): Tensor {
    return concat([slice(q, [{ start: 0, stop: 2 }]), tensor([0])], 0);
  }
}

export function createUnicycle(options: UnicycleOptions = {}): UnicycleDynamics {
  return new UnicycleDynamics(options);
}

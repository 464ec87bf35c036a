/**
 * The pendulum of the main paper's task (DESIGN section 5), after ALIGATOR's
 * `examples/pendulum.py` (MODELS.md): one revolute joint about x at the origin and a sphere of
 * mass 1.0 and radius 0.1 whose centre is at z = 1.0, so q = 0 is upright; gravity
 * (0, 0, -9.81). Torque control with |u| <= 25 (DESIGN section 5), dt = 0.01 and
 * semi-implicit Euler (ALIGATOR's example and DESIGN section 5).
 *
 * Closed form: (m l^2 + I) qdd = u + m g l sin q, with I = 0.4 m r^2 = 0.004 the sphere's own
 * inertia (so m l^2 + I = 1.004).
 */
import { revolute } from '../joints.js';
import { ModelBuilder, type Model } from '../model.js';
import { type MultibodyOptions, MultibodyDynamics } from '../multibody.js';
import { inertiaConstant } from '../spatial.js';

export const PENDULUM = {
  mass: 1.0,
  length: 1.0,
  radius: 0.1,
  gravity: 9.81,
  torqueLimit: 25,
  dt: 0.01,
} as const;

export function pendulumModel(): Model {
  const { mass, length, radius, gravity } = PENDULUM;
  const I = 0.4 * mass * radius * radius; // solid sphere about its centre: 2/5 m r^2
  return new ModelBuilder('pendulum', [0, 0, -gravity])
    .addBody({ name: 'link', parent: null, joint: revolute([1, 0, 0]), inertia: inertiaConstant(mass, [0, 0, length], [I, 0, 0, 0, I, 0, 0, 0, I]) })
    .addFrame('tip', 'link', [0, 0, length])
    .build({ effort: [PENDULUM.torqueLimit] });
}

export function createPendulum(options: MultibodyOptions = {}): MultibodyDynamics {
  const u = PENDULUM.torqueLimit;
  return new MultibodyDynamics({
    model: pendulumModel(),
    actuation: [1],
    nu: 1,
    controlBounds: { lower: Float64Array.of(-u), upper: Float64Array.of(u) },
    endEffector: 'tip',
    dt: options.dt ?? PENDULUM.dt,
    integrator: options.integrator ?? 'semiImplicitEuler',
  });
}

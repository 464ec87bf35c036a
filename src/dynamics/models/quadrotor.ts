/**
 * The hector quadrotor of example-robot-data with Crocoddyl's thruster actuation (MODELS.md,
 * DESIGN section 5): a free-flying body (nq = 7, nv = 6) of mass 1.477 and inertia
 * diag(0.01152, 0.01152, 0.0218) about its centre of mass, driven by four rotor thrusts
 * u in [0, 5] N through the allocation matrix (wrench [force; torque] in the body frame)
 *
 *   [ 0   0   0   0 ]
 *   [ 0   0   0   0 ]
 *   [ 1   1   1   1 ]
 *   [ 0   d   0  -d ]
 *   [-d   0   d   0 ]
 *   [-c   c  -c   c ]     d = 0.1525, c = cm / cf = 1e-6 / 6.6e-5.
 *
 * Hover needs m g / 4 = 3.622 N per rotor. dt = 0.01 as in ALIGATOR's
 * `examples/quadrotor_obstacles.py` (Crocoddyl's example uses 0.03); semi-implicit Euler.
 */
import { freeFlyer } from '../joints.js';
import { ModelBuilder, type Model } from '../model.js';
import { type MultibodyOptions, MultibodyDynamics } from '../multibody.js';
import { inertiaConstant } from '../spatial.js';

export const QUADROTOR = {
  mass: 1.477,
  inertia: [0.01152, 0.01152, 0.0218],
  armLength: 0.1525,
  torqueToThrust: 1e-6 / 6.6e-5,
  thrustMin: 0,
  thrustMax: 5,
  gravity: 9.81,
  dt: 0.01,
} as const;

/** The 6 x 4 allocation matrix, row-major. */
export function quadrotorAllocation(): number[] {
  const d = QUADROTOR.armLength;
  const c = QUADROTOR.torqueToThrust;
  return [
    0, 0, 0, 0,
    0, 0, 0, 0,
    1, 1, 1, 1,
    0, d, 0, -d,
    -d, 0, d, 0,
    -c, c, -c, c,
  ];
}

export function quadrotorModel(): Model {
  const [ixx, iyy, izz] = QUADROTOR.inertia;
  return new ModelBuilder('quadrotor', [0, 0, -QUADROTOR.gravity])
    .addBody({ name: 'base_link', parent: null, joint: freeFlyer(), inertia: inertiaConstant(QUADROTOR.mass, [0, 0, 0], [ixx, 0, 0, 0, iyy, 0, 0, 0, izz]) })
    .build();
}

export function createQuadrotor(options: MultibodyOptions = {}): MultibodyDynamics {
  return new MultibodyDynamics({
    model: quadrotorModel(),
    actuation: quadrotorAllocation(),
    nu: 4,
    controlBounds: { lower: new Float64Array(4).fill(QUADROTOR.thrustMin), upper: new Float64Array(4).fill(QUADROTOR.thrustMax) },
    endEffector: 'base_link',
    dt: options.dt ?? QUADROTOR.dt,
    integrator: options.integrator ?? 'semiImplicitEuler',
  });
}

/**
 * The double pendulum of example-robot-data, `robots/double_pendulum_description/urdf/
 * double_pendulum_simple.urdf` (MODELS.md, DESIGN section 5): two links with revolute joints
 * about x, q = 0 upright, gravity (0, 0, -9.81).
 *
 * | body  | mass | COM          | inertia about COM                        | joint origin       |
 * | link1 | 0.2  | (0, 0, 0.05) | ixx = iyy = 1.77083e-4, izz = 2.0833e-5  | (0.025, 0, 0)      |
 * | link2 | 0.3  | (0, 0, 0.1)  | ixx = iyy = 1.015625e-3, izz = 0.002     | (0.0125, 0, 0.1)   |
 *
 * End-effector frame at z = 0.2 on link2. Variants:
 * - `createDoublePendulum`: both joints actuated, |u| <= 25 (the paper's setting, DESIGN section 5);
 * - `createAcrobot`: joint 2 only, |u| <= 4 (ALIGATOR `examples/acrobot.py`); Crocoddyl's
 *   `double_pendulum_fwddyn.py` actuates joint 1 instead (`actuatedJoint: 1`).
 * Both default to dt = 0.01 (both examples) and semi-implicit Euler.
 */
import { ModelError } from '../errors.js';
import { revolute } from '../joints.js';
import { ModelBuilder, type Model } from '../model.js';
import { type MultibodyOptions, MultibodyDynamics } from '../multibody.js';
import { inertiaConstant } from '../spatial.js';

const diag = (a: number, b: number, c: number) => [a, 0, 0, 0, b, 0, 0, 0, c];

export function doublePendulumModel(): Model {
  return new ModelBuilder('double_pendulum', [0, 0, -9.81])
    .addBody({
      name: 'link1', parent: null, joint: revolute([1, 0, 0]), placement: { xyz: [0.025, 0, 0] },
      inertia: inertiaConstant(0.2, [0, 0, 0.05], diag(1.77083e-4, 1.77083e-4, 2.0833e-5)),
    })
    .addBody({
      name: 'link2', parent: 'link1', joint: revolute([1, 0, 0]), placement: { xyz: [0.0125, 0, 0.1] },
      inertia: inertiaConstant(0.3, [0, 0, 0.1], diag(1.015625e-3, 1.015625e-3, 0.002)),
    })
    .addFrame('tip', 'link2', [0, 0, 0.2])
    .build();
}

export const DOUBLE_PENDULUM = { torqueLimit: 25, acrobotTorqueLimit: 4, dt: 0.01 } as const;

export function createDoublePendulum(options: MultibodyOptions = {}): MultibodyDynamics {
  const u = DOUBLE_PENDULUM.torqueLimit;
  return new MultibodyDynamics({
    model: doublePendulumModel(),
    actuation: [1, 0, 0, 1],
    nu: 2,
    controlBounds: { lower: Float64Array.of(-u, -u), upper: Float64Array.of(u, u) },
    endEffector: 'tip',
    dt: options.dt ?? DOUBLE_PENDULUM.dt,
    integrator: options.integrator ?? 'semiImplicitEuler',
  });
}

export interface AcrobotOptions extends MultibodyOptions {
  /** Which joint the single actuator drives: 2 (ALIGATOR's acrobot, default) or 1 (Crocoddyl's). */
  actuatedJoint?: 1 | 2;
  /** |u| bound; default 4 (ALIGATOR). */
  torqueLimit?: number;
}

export function createAcrobot(options: AcrobotOptions = {}): MultibodyDynamics {
  const joint = options.actuatedJoint ?? 2;
  if (joint !== 1 && joint !== 2) throw new ModelError(`acrobot: actuatedJoint must be 1 or 2, got ${String(joint)}`);
  const u = options.torqueLimit ?? DOUBLE_PENDULUM.acrobotTorqueLimit;
  return new MultibodyDynamics({
    name: 'acrobot',
    model: doublePendulumModel(),
    actuation: joint === 2 ? [0, 1] : [1, 0],
    nu: 1,
    controlBounds: { lower: Float64Array.of(-u), upper: Float64Array.of(u) },
    endEffector: 'tip',
    dt: options.dt ?? DOUBLE_PENDULUM.dt,
    integrator: options.integrator ?? 'semiImplicitEuler',
  });
}

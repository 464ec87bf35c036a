/**
 * UR5 from example-robot-data `robots/ur_description/urdf/ur5_robot.urdf` (MODELS.md,
 * DESIGN section 5): six revolute joints, inertias, effort limits 150/150/150/28/28/28 N m,
 * and the tool0 frame. The fixed base link carries no dynamics and is the world here.
 *
 * The URDF writes pi/2 as 1.57079632679; we use pi/2 exactly (a difference of 5e-12 rad), so
 * that the placements' rotations have exact 0 and +-1 entries that `jit` folds away.
 *
 * ALIGATOR's `examples/ur5_reach.py` uses dt = 0.01 over 100 steps with the effort limits as
 * control bounds (MODELS.md); semi-implicit Euler as in its examples.
 */
import { revolute } from '../joints.js';
import { ModelBuilder, type Model } from '../model.js';
import { type MultibodyOptions, MultibodyDynamics } from '../multibody.js';
import { inertiaConstant, rpyToMatrix } from '../spatial.js';

const HALF_PI = Math.PI / 2;
const diag = (xx: number, zz: number) => [xx, 0, 0, 0, xx, 0, 0, 0, zz];

/** Joint table: [child link, origin xyz, origin rpy, axis]. */
const JOINTS: [string, number[], number[], number[]][] = [
  ['shoulder_link', [0, 0, 0.089159], [0, 0, 0], [0, 0, 1]],
  ['upper_arm_link', [0, 0.13585, 0], [0, HALF_PI, 0], [0, 1, 0]],
  ['forearm_link', [0, -0.1197, 0.425], [0, 0, 0], [0, 1, 0]],
  ['wrist_1_link', [0, 0, 0.39225], [0, HALF_PI, 0], [0, 1, 0]],
  ['wrist_2_link', [0, 0.093, 0], [0, 0, 0], [0, 0, 1]],
  ['wrist_3_link', [0, 0, 0.09465], [0, 0, 0], [0, 1, 0]],
];

/** Link table: [mass, COM, ixx = iyy, izz]; products of inertia are zero. */
const LINKS: [number, number[], number, number][] = [
  [3.7, [0, 0, 0], 0.010267495893, 0.00666],
  [8.393, [0, 0, 0.28], 0.22689067591, 0.0151074],
  [2.275, [0, 0, 0.25], 0.049443313556, 0.004095],
  [1.219, [0, 0, 0], 0.111172755531, 0.21942],
  [1.219, [0, 0, 0], 0.111172755531, 0.21942],
  [0.1879, [0, 0, 0], 0.0171364731454, 0.033822],
];

export const UR5 = {
  jointNames: ['shoulder_pan', 'shoulder_lift', 'elbow', 'wrist_1', 'wrist_2', 'wrist_3'],
  effort: [150, 150, 150, 28, 28, 28],
  velocity: [3.15, 3.15, 3.15, 3.2, 3.2, 3.2],
  positionLimit: [6.28318530718, 6.28318530718, 3.14159265359, 6.28318530718, 6.28318530718, 6.28318530718],
  /** tool0 on wrist_3_link: xyz (0, 0.0823, 0), rpy (-pi/2, 0, 0). */
  tool0: { xyz: [0, 0.0823, 0], rpy: [-HALF_PI, 0, 0] },
  /** ee_link on wrist_3_link: xyz (0, 0.0823, 0), rpy (0, 0, pi/2). */
  eeLink: { xyz: [0, 0.0823, 0], rpy: [0, 0, HALF_PI] },
  dt: 0.01,
  /** ALIGATOR ur5_reach target for tool0. */
  reachTarget: [0.15, 0.65, 0.5],
  joints: JOINTS,
  links: LINKS,
} as const;

export function ur5Model(): Model {
  const builder = new ModelBuilder('ur5', [0, 0, -9.81]);
  JOINTS.forEach(([child, xyz, rpy, axis], i) => {
    const [mass, com, ixx, izz] = LINKS[i];
    builder.addBody({
      name: child,
      parent: i === 0 ? null : JOINTS[i - 1][0],
      joint: revolute(axis),
      placement: { xyz, R: rpyToMatrix(rpy[0], rpy[1], rpy[2]) },
      inertia: inertiaConstant(mass, com, diag(ixx, izz)),
    });
  });
  const [r, p, y] = UR5.tool0.rpy;
  builder.addFrame('tool0', 'wrist_3_link', UR5.tool0.xyz, rpyToMatrix(r, p, y));
  const e = UR5.eeLink.rpy;
  builder.addFrame('ee_link', 'wrist_3_link', UR5.eeLink.xyz, rpyToMatrix(e[0], e[1], e[2]));
  return builder.build({
    effort: UR5.effort,
    velocity: UR5.velocity,
    positionLower: UR5.positionLimit.map((v) => -v),
    positionUpper: UR5.positionLimit,
  });
}

export function createUR5(options: MultibodyOptions = {}): MultibodyDynamics {
  const actuation: number[] = [];
  for (let i = 0; i < 6; i++) for (let j = 0; j < 6; j++) actuation.push(i === j ? 1 : 0);
  return new MultibodyDynamics({
    model: ur5Model(),
    actuation,
    nu: 6,
    controlBounds: { lower: Float64Array.from(UR5.effort, (v) => -v), upper: Float64Array.from(UR5.effort) },
    endEffector: 'tool0',
    dt: options.dt ?? UR5.dt,
    integrator: options.integrator ?? 'semiImplicitEuler',
  });
}

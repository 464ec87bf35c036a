/**
 * Joint models (Featherstone chapter 4.4; Pinocchio's JointModel*). A joint relates the frame
 * fixed on its parent side to the frame of its child body: `transform(q)` is the joint's
 * placement X_J(q), `motion(qd)` the joint velocity S qd expressed in the child frame, and
 * `projectForce(f)` the generalized force S^T f. The motion subspace S is constant in the
 * child frame for every joint here, so its zeros fold away when compiled.
 *
 * Each joint also knows its configuration space: `integrate` and `difference` on its slice
 * of q, which is a vector space for revolute and prismatic joints and SE(3) for the free flyer.
 */
import { type Tensor, add, concat, mul, reshape, slice, sub, tensor } from '../autodiff/index.js';
import { expSE3, logSE3, quatConjugate, quatFirstOrderNormalize, quatMultiply, quatToMatrix } from './liegroup.js';
import {
  type Force, type Motion, type SE3, axisAngleRotation, dot, fromVector, principalRotation, rotate, rotateInv, toVector,
} from './spatial.js';

export interface Joint {
  readonly kind: 'revolute' | 'prismatic' | 'freeflyer';
  /** Number of configuration coordinates. */
  readonly nq: number;
  /** Number of velocity coordinates (degrees of freedom). */
  readonly nv: number;
  /** S as a constant 6 x nv matrix, rows [lin; ang]. */
  readonly S: Tensor;
  /** X_J(q): the child frame in the joint's parent-side frame, q of length nq. */
  transform(q: Tensor): SE3;
  /** S qd, qd of length nv. */
  motion(qd: Tensor): Motion;
  /** S^T f, of length nv. */
  projectForce(f: Force): Tensor;
  /** q (+) v on this joint's configuration space. */
  integrate(q: Tensor, v: Tensor): Tensor;
  /** q1 (-) q0. */
  difference(q0: Tensor, q1: Tensor): Tensor;
  /** The neutral configuration. */
  neutral(): number[];
}

const ZERO3 = [0, 0, 0];

function principalAxis(axis: readonly number[]): 0 | 1 | 2 | null {
  const nonzero = axis.map((a, i) => (a !== 0 ? i : -1)).filter((i) => i >= 0);
  return nonzero.length === 1 && axis[nonzero[0]] === 1 ? (nonzero[0] as 0 | 1 | 2) : null;
}

function normalized(axis: readonly number[]): number[] {
  const n = Math.hypot(...axis);
  if (axis.length !== 3 || !(n > 0)) throw new RangeError(`joint axis must be a nonzero 3-vector, got [${axis.join(', ')}]`);
  return axis.map((a) => a / n);
}

/** Vector-space configuration: integrate is +, difference is -. */
const euclidean = {
  integrate: (q: Tensor, v: Tensor) => add(q, v),
  difference: (q0: Tensor, q1: Tensor) => sub(q1, q0),
};

/** A revolute joint about a fixed unit axis (in the child frame, which it shares with the joint frame). */
export function revolute(axisIn: readonly number[]): Joint {
  const axis = normalized(axisIn);
  const a = tensor(axis);
  const principal = principalAxis(axis);
  return {
    kind: 'revolute',
    nq: 1,
    nv: 1,
    S: tensor([...ZERO3, ...axis], [6, 1]),
    transform: (q) => ({
      R: principal !== null ? principalRotation(principal, q) : axisAngleRotation(axis, q),
      p: tensor(ZERO3),
    }),
    motion: (qd) => ({ lin: tensor(ZERO3), ang: mul(a, qd) }),
    projectForce: (f) => reshape(dot(a, f.ang), [1]),
    ...euclidean,
    neutral: () => [0],
  };
}

/** A prismatic joint along a fixed unit axis. */
export function prismatic(axisIn: readonly number[]): Joint {
  const axis = normalized(axisIn);
  const a = tensor(axis);
  return {
    kind: 'prismatic',
    nq: 1,
    nv: 1,
    S: tensor([...axis, ...ZERO3], [6, 1]),
    transform: (q) => ({ R: tensor([1, 0, 0, 0, 1, 0, 0, 0, 1], [3, 3]), p: mul(a, q) }),
    motion: (qd) => ({ lin: mul(a, qd), ang: tensor(ZERO3) }),
    projectForce: (f) => reshape(dot(a, f.lin), [1]),
    ...euclidean,
    neutral: () => [0],
  };
}

const position = (q: Tensor) => slice(q, [{ start: 0, stop: 3 }]);
const quaternion = (q: Tensor) => slice(q, [{ start: 3, stop: 7 }]);
const linear = (v: Tensor) => slice(v, [{ start: 0, stop: 3 }]);
const angular = (v: Tensor) => slice(v, [{ start: 3, stop: 6 }]);

/**
 * The free flyer: q = [xyz, quaternion (x, y, z, w)] (nq = 7) places the body in its parent;
 * v = [linear; angular] (nv = 6) is the body's spatial velocity in its own frame, so S = 1.
 * Its configuration space is SE(3): integrate(q, v) = q Exp(v), difference = Log(q0^-1 q1).
 */
export function freeFlyer(): Joint {
  const eye6: number[] = [];
  for (let i = 0; i < 6; i++) for (let j = 0; j < 6; j++) eye6.push(i === j ? 1 : 0);
  return {
    kind: 'freeflyer',
    nq: 7,
    nv: 6,
    S: tensor(eye6, [6, 6]),
    transform: (q) => ({ R: quatToMatrix(quaternion(q)), p: position(q) }),
    motion: (qd) => fromVector(qd),
    projectForce: (f) => toVector(f),
    integrate: (q, v) => {
      const R = quatToMatrix(quaternion(q));
      const step = expSE3(linear(v), angular(v));
      const p = add(position(q), rotate(R, step.p));
      const quat = quatFirstOrderNormalize(quatMultiply(quaternion(q), step.quat));
      return concat([p, quat], 0);
    },
    difference: (q0, q1) => {
      const R0 = quatToMatrix(quaternion(q0));
      const relative = {
        p: rotateInv(R0, sub(position(q1), position(q0))),
        quat: quatMultiply(quatConjugate(quaternion(q0)), quaternion(q1)),
      };
      const { v, w } = logSE3(relative);
      return concat([v, w], 0);
    },
    neutral: () => [0, 0, 0, 0, 0, 0, 1],
  };
}

/**
 * Unit quaternions and the exponential and logarithm maps of SO(3) and SE(3), written with the
 * engine's ops so that their derivatives, to any order, come from the engine.
 *
 * Quaternions are stored (x, y, z, w) (DESIGN section 4, and Pinocchio's order).
 *
 * The engine has no `atan2`, and the maps have removable singularities at the identity
 * (sin(theta)/theta and friends). Both are handled without reading values, so the code can
 * be staged by `jit`:
 * - small angles switch to Taylor series with `where`, using the "double where" pattern:
 *   the branch not taken is fed a harmless argument, so that neither it nor its derivative
 *   is ever NaN or infinite (a NaN tangent multiplied by a zero selector is still NaN);
 * - the logarithm computes theta / sin(theta / 2) with a series that is smooth everywhere
 *   (see `halfAngleRatio`), so it needs no branch at all.
 *
 * References: Sola, Deray and Atchuthan, "A micro Lie theory for state estimation in
 * robotics" (2018), eqs. 138-140 (Exp/Log of SO(3) via quaternions) and 172-174 (SE(3),
 * the V matrix); Pinocchio's `exp6` / `log6` use the same formulas.
 */
import {
  type Tensor, add, cos, div, less, matmul, mul, neg, reshape, sin, slice, sqrt, sub, tensor, where,
} from '../autodiff/index.js';
import { type SE3, components, cross, dot, fromScalars, skew } from './spatial.js';

/** Split a quaternion [4] into its vector part [3] and scalar part []. */
export function quatParts(q: Tensor): { v: Tensor; w: Tensor } {
  return { v: slice(q, [{ start: 0, stop: 3 }]), w: reshape(slice(q, [3]), []) };
}

export function quatFromParts(v: Tensor, w: Tensor): Tensor {
  return fromScalars([...components(v), w], [4]);
}

/** The Hamilton product a b: (aw bv + bw av + av x bv, aw bw - av . bv). */
export function quatMultiply(a: Tensor, b: Tensor): Tensor {
  const A = quatParts(a);
  const B = quatParts(b);
  const v = add(add(mul(A.w, B.v), mul(B.w, A.v)), cross(A.v, B.v));
  const w = sub(mul(A.w, B.w), dot(A.v, B.v));
  return quatFromParts(v, w);
}

/** The conjugate (the inverse of a unit quaternion). */
export function quatConjugate(q: Tensor): Tensor {
  return mul(q, tensor([-1, -1, -1, 1]));
}

/** The rotation matrix of a unit quaternion. */
export function quatToMatrix(q: Tensor): Tensor {
  const [x, y, z, w] = components(q);
  const m = (a: Tensor, b: Tensor) => mul(mul(a, b), 2);
  const xx = m(x, x), yy = m(y, y), zz = m(z, z);
  const xy = m(x, y), xz = m(x, z), yz = m(y, z);
  const wx = m(w, x), wy = m(w, y), wz = m(w, z);
  return fromScalars([
    sub(1, add(yy, zz)), sub(xy, wz), add(xz, wy),
    add(xy, wz), sub(1, add(xx, zz)), sub(yz, wx),
    sub(xz, wy), add(yz, wx), sub(1, add(xx, yy)),
  ], [3, 3]);
}

/**
 * Renormalize a nearly unit quaternion to first order: q (3 - |q|^2) / 2. Exact for a unit
 * quaternion (so its derivative there is the projection onto unit quaternions), and it keeps
 * long rollouts on the sphere without a square root (Pinocchio's `firstOrderNormalize`).
 */
export function quatFirstOrderNormalize(q: Tensor): Tensor {
  return mul(q, mul(sub(3, dot(q, q)), 0.5));
}

/** Below this theta^2 the maps use their Taylor series (errors are quantified where used). */
const SMALL_ANGLE2 = 1e-3;

/**
 * Even series in theta, sum_k c_k theta^(2k), and the closed form `exact(theta2Safe)`,
 * selected by theta^2 < SMALL_ANGLE2 with the double-where pattern.
 */
function smallAngleSwitch(theta2: Tensor, series: readonly number[], exact: (theta2: Tensor) => Tensor): Tensor {
  const small = less(theta2, SMALL_ANGLE2);
  const safe = where(small, 1, theta2);
  let taylor: Tensor = tensor(series[series.length - 1]);
  for (let k = series.length - 2; k >= 0; k--) taylor = add(mul(taylor, theta2), series[k]);
  return where(small, taylor, exact(safe));
}

/**
 * Exp of SO(3) as a quaternion: (sin(theta/2) / theta w, cos(theta/2)) with theta = |w|.
 * The series are truncated where the next term is below 1e-16 for theta^2 < 1e-3.
 */
export function expQuaternion(w: Tensor): Tensor {
  const theta2 = dot(w, w);
  const sinc = smallAngleSwitch(theta2, [1 / 2, -1 / 48, 1 / 3840, -1 / 645120], (t2) => {
    const t = sqrt(t2);
    return div(sin(mul(t, 0.5)), t);
  });
  const c = smallAngleSwitch(theta2, [1, -1 / 8, 1 / 384, -1 / 46080], (t2) => cos(mul(sqrt(t2), 0.5)));
  return quatFromParts(mul(w, sinc), c);
}

/**
 * theta / sin(theta / 2) for a unit quaternion (v, w) with w >= 0, where theta = 2 atan2(|v|, w)
 * is the rotation angle, smooth everywhere (it tends to 2 at the identity) and computed from
 * |v|^2 only, with no atan2 and no branch:
 * with t0 = |v| / (1 + w) = tan(theta / 4) <= 1, theta = 4 atan(t0). Three half-angle steps
 * t_{k+1} = t_k / (1 + sqrt(1 + t_k^2)) (tan of half the angle) bring t3 <= tan(pi / 32) < 0.1,
 * where atan(t3) / t3 = sum (-1)^n t3^(2n) / (2n + 1) converges to 1e-17 in nine terms. So
 * theta / |v| = 32 atan(t3) / ((1 + w) t0) = 32 / (1 + w) * prod_k 1 / (1 + sqrt(1 + t_k^2)) * atan(t3) / t3.
 */
export function halfAngleRatio(v2: Tensor, w: Tensor): Tensor {
  const onePlusW = add(1, w);
  let t2 = div(v2, mul(onePlusW, onePlusW));
  let ratio: Tensor = div(32, onePlusW);
  for (let k = 0; k < 3; k++) {
    const rho = div(1, add(1, sqrt(add(1, t2))));
    ratio = mul(ratio, rho);
    t2 = mul(t2, mul(rho, rho));
  }
  let series: Tensor = tensor(1 / 17);
  for (let n = 7; n >= 0; n--) series = add(mul(series, neg(t2)), 1 / (2 * n + 1));
  return mul(ratio, series);
}

/**
 * Log of SO(3) from a unit quaternion: the rotation vector theta u with theta in [0, pi].
 * q and -q are the same rotation; the sign is chosen so that w >= 0.
 */
export function logQuaternion(q: Tensor): Tensor {
  const sign = where(less(reshape(slice(q, [3]), []), 0), -1, 1);
  const { v, w } = quatParts(mul(q, sign));
  return mul(v, halfAngleRatio(dot(v, v), w));
}

/**
 * The left Jacobian V of SO(3), the matrix with p = V(w) v in Exp of SE(3):
 * V = 1 + (1 - cos theta) / theta^2 [w]x + (theta - sin theta) / theta^3 [w]x^2.
 */
export function se3V(w: Tensor): Tensor {
  const theta2 = dot(w, w);
  const a = smallAngleSwitch(theta2, [1 / 2, -1 / 24, 1 / 720, -1 / 40320], (t2) => div(sub(1, cos(sqrt(t2))), t2));
  const b = smallAngleSwitch(theta2, [1 / 6, -1 / 120, 1 / 5040, -1 / 362880], (t2) => {
    const t = sqrt(t2);
    return div(sub(t, sin(t)), mul(t2, t));
  });
  const W = skew(w);
  const eye = tensor([1, 0, 0, 0, 1, 0, 0, 0, 1], [3, 3]);
  return add(add(eye, mul(a, W)), mul(b, matmul(W, W)));
}

/**
 * V(w)^-1 = 1 - [w]x / 2 + beta [w]x^2 with beta = (1 - (theta / 2) cot(theta / 2)) / theta^2,
 * given theta / sin(theta / 2) and cos(theta / 2) from the quaternion (so no angle is recomputed).
 * The closed form loses about 1e-16 / theta^2 to cancellation, but beta multiplies [w]x^2 of
 * size theta^2, so the product is accurate to rounding; the series is used below theta^2 = 1e-3.
 */
function se3VInverse(w: Tensor, ratio: Tensor, cosHalf: Tensor): Tensor {
  const theta2 = dot(w, w);
  const beta = smallAngleSwitch(theta2, [1 / 12, 1 / 720, 1 / 30240, 1 / 1209600], (t2) =>
    // (theta / 2) cot(theta / 2) = (theta / sin(theta / 2)) cos(theta / 2) / 2
    div(sub(1, mul(mul(ratio, cosHalf), 0.5)), t2));
  const W = skew(w);
  const eye = tensor([1, 0, 0, 0, 1, 0, 0, 0, 1], [3, 3]);
  return add(sub(eye, mul(W, 0.5)), mul(beta, matmul(W, W)));
}

/** A placement stored as a translation and a quaternion. */
export interface Pose {
  p: Tensor;
  quat: Tensor;
}

/** Exp of SE(3) for a twist [v; w] given as two 3-vectors: (V(w) v, Exp(w)). */
export function expSE3(v: Tensor, w: Tensor): Pose {
  return { p: matmul(se3V(w), v), quat: expQuaternion(w) };
}

/** Log of SE(3): the twist [v; w] with Exp(v, w) = (p, quat). */
export function logSE3(pose: Pose): { v: Tensor; w: Tensor } {
  const sign = where(less(reshape(slice(pose.quat, [3]), []), 0), -1, 1);
  const { v: qv, w: qw } = quatParts(mul(pose.quat, sign));
  const ratio = halfAngleRatio(dot(qv, qv), qw);
  const w = mul(qv, ratio);
  return { v: matmul(se3VInverse(w, ratio, qw), pose.p), w };
}

/** (p, quat) as an SE3 with a rotation matrix. */
export function poseToSE3(pose: Pose): SE3 {
  return { R: quatToMatrix(pose.quat), p: pose.p };
}

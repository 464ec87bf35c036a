/**
 * Spatial algebra (Featherstone, "Rigid Body Dynamics Algorithms", 2008, chapter 2), written
 * with the autodiff engine's ops on small tensors: 3-vectors [3] and 3x3 matrices [3, 3].
 *
 * Conventions (DESIGN section 4, and Pinocchio's):
 * - A motion vector (velocity, acceleration) is a pair { lin, ang } of 3-vectors, ordered
 *   [linear; angular] when flattened to a 6-vector; `lin` is the velocity of the point at the
 *   frame's origin.
 * - A force vector is a pair { lin, ang } = [force; moment about the frame's origin].
 * - A placement `SE3 { R, p }` of frame B in frame A maps B coordinates to A coordinates:
 *   x_A = R x_B + p. Its `act*` functions express a B quantity in A; `actInv*` go back.
 *
 * Everything is written out with 3-vectors rather than 6x6 matrices: evaluated eagerly it
 * costs a handful of tensor ops per call, and traced by `jit` it lowers to exactly the
 * multiplications a hand-written implementation would do, while the constant zeros of a
 * joint's axis or of a placement fold away.
 */
import {
  type Tensor, add, concat, cos, matmul, mul, neg, reshape, sin, slice, stack, sub, sum, tensor, transpose,
} from '../autodiff/index.js';

/** A motion vector: linear velocity of the frame origin, angular velocity. */
export interface Motion {
  readonly lin: Tensor;
  readonly ang: Tensor;
}

/** A force vector: force, moment about the frame origin. */
export interface Force {
  readonly lin: Tensor;
  readonly ang: Tensor;
}

/** The placement of a frame B in a frame A: x_A = R x_B + p. */
export interface SE3 {
  readonly R: Tensor;
  readonly p: Tensor;
}

// ---------------------------------------------------------------------------------------
// Scalars and 3-vectors

/** Element i of a vector, as a tensor of shape []. */
export function at(v: Tensor, i: number): Tensor {
  return reshape(slice(v, [i]), []);
}

/** Element (i, j) of a matrix, as a tensor of shape []. */
export function at2(m: Tensor, i: number, j: number): Tensor {
  return reshape(slice(m, [i, j]), []);
}

/**
 * A tensor of the given shape from scalars: numbers become constants (which `jit` folds),
 * tensors of one element are used as they are. Row-major.
 */
export function fromScalars(parts: readonly (Tensor | number)[], shape: readonly number[]): Tensor {
  const pieces = parts.map((x) => (typeof x === 'number' ? tensor([x]) : reshape(x, [1])));
  return reshape(concat(pieces, 0), shape);
}

/** The components of a vector as tensors of shape []. */
export function components(v: Tensor): Tensor[] {
  return Array.from({ length: v.shape[0] }, (_, i) => at(v, i));
}

const rotateLeft = (a: Tensor) => concat([slice(a, [{ start: 1, stop: 3 }]), slice(a, [{ start: 0, stop: 1 }])], 0);
const rotateRight = (a: Tensor) => concat([slice(a, [{ start: 2, stop: 3 }]), slice(a, [{ start: 0, stop: 2 }])], 0);

/** a x b for 3-vectors: (a_y b_z - a_z b_y, a_z b_x - a_x b_z, a_x b_y - a_y b_x). */
export function cross(a: Tensor, b: Tensor): Tensor {
  return sub(mul(rotateLeft(a), rotateRight(b)), mul(rotateRight(a), rotateLeft(b)));
}

/** a . b for 3-vectors, shape []. */
export function dot(a: Tensor, b: Tensor): Tensor {
  return sum(mul(a, b));
}

/** The skew-symmetric matrix [a]x with [a]x b = a x b. */
export function skew(a: Tensor): Tensor {
  const [x, y, z] = components(a);
  return fromScalars([0, neg(z), y, z, 0, neg(x), neg(y), x, 0], [3, 3]);
}

/** R v. */
export const rotate = (R: Tensor, v: Tensor): Tensor => matmul(R, v);
/** R^T v. */
export const rotateInv = (R: Tensor, v: Tensor): Tensor => matmul(R, v, { transA: true });

// ---------------------------------------------------------------------------------------
// Rotations

/**
 * The rotation by angle q (a tensor of one element) about a principal axis, built from
 * cos q and sin q directly so that its constant zeros and ones fold away under `jit`.
 */
export function principalRotation(axis: 0 | 1 | 2, q: Tensor): Tensor {
  const c = reshape(cos(q), []);
  const s = reshape(sin(q), []);
  const ns = neg(s);
  switch (axis) {
    case 0: return fromScalars([1, 0, 0, 0, c, ns, 0, s, c], [3, 3]);
    case 1: return fromScalars([c, 0, s, 0, 1, 0, ns, 0, c], [3, 3]);
    case 2: return fromScalars([c, ns, 0, s, c, 0, 0, 0, 1], [3, 3]);
  }
}

/** Rodrigues' formula R = I + sin q [a]x + (1 - cos q) [a]x^2 for a constant unit axis a. */
export function axisAngleRotation(axis: readonly number[], q: Tensor): Tensor {
  const K = skewConstant(axis);
  const K2 = matmulConstant(K, K);
  const I = [1, 0, 0, 0, 1, 0, 0, 0, 1];
  const s = reshape(sin(q), [1, 1]);
  const omc = reshape(sub(1, cos(q)), [1, 1]);
  return add(add(tensor(I, [3, 3]), mul(s, tensor(K, [3, 3]))), mul(omc, tensor(K2, [3, 3])));
}

function skewConstant([x, y, z]: readonly number[]): number[] {
  return [0, -z, y, z, 0, -x, -y, x, 0];
}

function matmulConstant(a: number[], b: number[]): number[] {
  const out: number[] = [];
  for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) out.push(a[3 * i] * b[j] + a[3 * i + 1] * b[3 + j] + a[3 * i + 2] * b[6 + j]);
  return out;
}

/**
 * The rotation matrix of URDF roll-pitch-yaw angles, R = Rz(yaw) Ry(pitch) Rx(roll), as plain
 * numbers. Angles that are multiples of pi/2 give exact 0 and +-1 entries (cos(pi/2) is not
 * exactly 0 in floating point), so that `jit` can fold them.
 */
export function rpyToMatrix(roll: number, pitch: number, yaw: number): number[] {
  const cs = (a: number): [number, number] => {
    const quarter = a / (Math.PI / 2);
    if (Math.abs(quarter - Math.round(quarter)) < 1e-10) {
      const k = ((Math.round(quarter) % 4) + 4) % 4;
      return [[1, 0], [0, 1], [-1, 0], [0, -1]][k] as [number, number];
    }
    return [Math.cos(a), Math.sin(a)];
  };
  const [cr, sr] = cs(roll);
  const [cp, sp] = cs(pitch);
  const [cy, sy] = cs(yaw);
  const Rx = [1, 0, 0, 0, cr, -sr, 0, sr, cr];
  const Ry = [cp, 0, sp, 0, 1, 0, -sp, 0, cp];
  const Rz = [cy, -sy, 0, sy, cy, 0, 0, 0, 1];
  return matmulConstant(Rz, matmulConstant(Ry, Rx)).map((v) => (v === 0 ? 0 : v));
}

// ---------------------------------------------------------------------------------------
// Rigid transforms

/** A constant placement from a translation and a row-major rotation matrix (identity by default). */
export function se3Constant(p: readonly number[], R: readonly number[] = [1, 0, 0, 0, 1, 0, 0, 0, 1]): SE3 {
  return { R: tensor([...R], [3, 3]), p: tensor([...p]) };
}

/** A . B: the placement of C in A from B in A and C in B. */
export function compose(A: SE3, B: SE3): SE3 {
  return { R: matmul(A.R, B.R), p: add(rotate(A.R, B.p), A.p) };
}

/** The placement of A in B from that of B in A. */
export function inverse(M: SE3): SE3 {
  const Rt = transpose(M.R);
  return { R: Rt, p: neg(matmul(Rt, M.p)) };
}

/** A point given in B, expressed in A. */
export function actPoint(M: SE3, x: Tensor): Tensor {
  return add(rotate(M.R, x), M.p);
}

/** A motion vector given in B, expressed in A (Featherstone eq. 2.24, X = [R, p x R; 0, R]). */
export function actMotion(M: SE3, m: Motion): Motion {
  const ang = rotate(M.R, m.ang);
  return { lin: add(rotate(M.R, m.lin), cross(M.p, ang)), ang };
}

/** A motion vector given in A, expressed in B: the inverse of `actMotion`. */
export function actInvMotion(M: SE3, m: Motion): Motion {
  return { lin: rotateInv(M.R, sub(m.lin, cross(M.p, m.ang))), ang: rotateInv(M.R, m.ang) };
}

/** A force vector given in B, expressed in A (the dual transform, X* = [R, 0; p x R, R]). */
export function actForce(M: SE3, f: Force): Force {
  const lin = rotate(M.R, f.lin);
  return { lin, ang: add(rotate(M.R, f.ang), cross(M.p, lin)) };
}

/** A force vector given in A, expressed in B. */
export function actInvForce(M: SE3, f: Force): Force {
  return { lin: rotateInv(M.R, f.lin), ang: rotateInv(M.R, sub(f.ang, cross(M.p, f.lin))) };
}

// ---------------------------------------------------------------------------------------
// Motion and force vectors

export const zeroMotion = (): Motion => ({ lin: tensor([0, 0, 0]), ang: tensor([0, 0, 0]) });

export function addMotion(a: Motion, b: Motion): Motion {
  return { lin: add(a.lin, b.lin), ang: add(a.ang, b.ang) };
}

export function subForce(a: Force, b: Force): Force {
  return { lin: sub(a.lin, b.lin), ang: sub(a.ang, b.ang) };
}

export const addForce: (a: Force, b: Force) => Force = addMotion;

export function scaleMotion(a: Motion, s: Tensor | number): Motion {
  return { lin: mul(a.lin, s), ang: mul(a.ang, s) };
}

/** The 6-vector [lin; ang]. */
export function toVector(m: Motion | Force): Tensor {
  return concat([m.lin, m.ang], 0);
}

/** A motion or force from a 6-vector [lin; ang]. */
export function fromVector(v: Tensor): Motion {
  return { lin: slice(v, [{ start: 0, stop: 3 }]), ang: slice(v, [{ start: 3, stop: 6 }]) };
}

/** v x m, the spatial cross product of motions (Featherstone eq. 2.31, crm). */
export function crossMotion(v: Motion, m: Motion): Motion {
  return { lin: add(cross(v.ang, m.lin), cross(v.lin, m.ang)), ang: cross(v.ang, m.ang) };
}

/** v x* f, the spatial cross product of a motion with a force (Featherstone eq. 2.32, crf). */
export function crossForce(v: Motion, f: Force): Force {
  return { lin: cross(v.ang, f.lin), ang: add(cross(v.ang, f.ang), cross(v.lin, f.lin)) };
}

/** <f, m>: power of a force on a motion, shape []. */
export function dotMotionForce(m: Motion, f: Force): Tensor {
  return add(dot(m.lin, f.lin), dot(m.ang, f.ang));
}

// ---------------------------------------------------------------------------------------
// Rigid-body inertia

/**
 * The spatial inertia of a rigid body in a frame, in the form that adds and transforms
 * cheaply: mass m, first moment h = m c (c the centre of mass) and the rotational inertia
 * Io about the frame origin (Io = Ic - m [c]x^2, the parallel-axis theorem). As a 6x6 matrix
 * acting on [lin; ang] motions: [m 1, -[h]x; [h]x, Io] (Featherstone eq. 2.63, reordered).
 */
export interface Inertia {
  readonly mass: Tensor;
  readonly h: Tensor;
  readonly Io: Tensor;
}

/** A constant inertia from mass, centre of mass and the rotational inertia about the COM (row-major 3x3). */
export function inertiaConstant(mass: number, com: readonly number[], Ic: readonly number[]): Inertia {
  const [cx, cy, cz] = com;
  // -m [c]x^2 = m (|c|^2 I - c c^T)
  const c2 = cx * cx + cy * cy + cz * cz;
  const Io = Ic.map((v, k) => {
    const i = Math.floor(k / 3);
    const j = k % 3;
    return v + mass * ((i === j ? c2 : 0) - com[i] * com[j]);
  });
  return { mass: tensor(mass), h: tensor(com.map((c) => mass * c)), Io: tensor(Io, [3, 3]) };
}

/** The momentum I v: [m v - h x w; Io w + h x v]. */
export function applyInertia(I: Inertia, v: Motion): Force {
  return {
    lin: sub(mul(I.mass, v.lin), cross(I.h, v.ang)),
    ang: add(matmul(I.Io, v.ang), cross(I.h, v.lin)),
  };
}

export function addInertia(a: Inertia, b: Inertia): Inertia {
  return { mass: add(a.mass, b.mass), h: add(a.h, b.h), Io: add(a.Io, b.Io) };
}

/**
 * An inertia given in B, expressed in A. With hr = R h: h' = hr + m p and
 * Io' = R Io R^T - (p hr^T + hr p^T) + 2 (hr . p) 1 - m (p p^T - |p|^2 1)
 * (from Io' = R Ic R^T - m [R c + p]x^2 with [a]x [b]x = b a^T - (a . b) 1),
 * the parallel-axis theorem written for the first moment.
 */
export function actInertia(M: SE3, I: Inertia): Inertia {
  const hr = rotate(M.R, I.h);
  const p = M.p;
  const ppT = outer(p, p);
  const phT = outer(p, hr);
  const eye = tensor([1, 0, 0, 0, 1, 0, 0, 0, 1], [3, 3]);
  const shift = sub(
    add(phT, transpose(phT)),
    mul(eye, add(mul(2, dot(hr, p)), mul(I.mass, dot(p, p)))),
  );
  const Io = sub(sub(matmul(M.R, matmul(I.Io, transpose(M.R))), shift), mul(I.mass, ppT));
  return { mass: I.mass, h: add(hr, mul(I.mass, p)), Io };
}

/** a b^T for 3-vectors. */
export function outer(a: Tensor, b: Tensor): Tensor {
  return mul(reshape(a, [3, 1]), reshape(b, [1, 3]));
}

/** The inertia as a 6x6 matrix acting on [lin; ang] motions. */
export function inertiaMatrix(I: Inertia): Tensor {
  const mI = mul(I.mass, tensor([1, 0, 0, 0, 1, 0, 0, 0, 1], [3, 3]));
  const H = skew(I.h);
  return concat([concat([mI, neg(H)], 1), concat([H, I.Io], 1)], 0);
}

// ---------------------------------------------------------------------------------------
// 6x6 matrices (articulated-body inertias in ABA)

/** The 6x6 matrix X* = [R, 0; [p]x R, R] that maps forces given in B to A. */
export function forceTransformMatrix(M: SE3): Tensor {
  const zero = tensor(new Float64Array(9), [3, 3]);
  return concat([concat([M.R, zero], 1), concat([matmul(skew(M.p), M.R), M.R], 1)], 0);
}

/** A 6x6 matrix applied to a motion, giving a force. */
export function applyMatrix6(A: Tensor, m: Motion): Force {
  return fromVector(matmul(A, toVector(m)));
}

/** Stack three scalars (shape []) into a 3-vector. */
export function vec3(x: Tensor | number, y: Tensor | number, z: Tensor | number): Tensor {
  return fromScalars([x, y, z], [3]);
}

/** Stack tensors of shape [] into a vector. */
export function vector(parts: readonly Tensor[]): Tensor {
  return stack(parts, 0);
}

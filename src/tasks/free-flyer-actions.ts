/**
 * State actions on SE(3) (main paper, sec. 4.2, the quadrotor: "q_t is the SE3 placement of
 * the quadrotor, preprocessed by projecting it to the tangent space dq_t = q_t (-)SE3 q_ref,
 * ... a_t = (dq_t, v_t)"), for a single free-flying body driven through a constant
 * allocation matrix B (nv x nu) of rotor thrusts:
 *
 *   a = enc(x) = (q (-) q_ref, v)                   12 numbers: the SE(3) log of q_ref^-1 q, then
 *                                                   the body twist
 *   u = allocate(RNEA(q_t, v_t, (v_{t+1} - v_t) / dt))
 *
 * The step is semi-implicit Euler, v_{t+1} = v_t + dt ABA(q_t, v_t, B u_t), so the wrench w =
 * RNEA(..) is the one that reaches the planned velocity exactly (only v_{t+1} is used, as for
 * the UR5). A quadrotor cannot produce it in general: B has rank 4 (no lateral force in the
 * body frame), so the thrusts are the least-squares solution of B u = w in the metric of the
 * velocity they produce, min |M^-1 (B u - w)|^2 (M the body's 6 x 6 inertia), i.e. the
 * reachable next velocity closest to the planned one. Inside the thrust bounds this is
 * B4^-1 (w_z, tau) whatever the metric (B4, the four realizable rows, is invertible); at the
 * bounds it is the box-constrained least squares (the box QP of ocp/boxqp.ts). Those decodes
 * are counted, not hidden: `saturation()` reports how many thrust vectors met a bound.
 */
import { type Tensor, concat, div, jit, slice, sqrt, square, sum, tensor, vmap } from '../autodiff/index.js';
import { type MultibodyDynamics, rnea } from '../dynamics/index.js';
import { BoxQpWorkspace, solveBoxQp } from '../ocp/index.js';
import type { StateActions } from './task.js';

/** How many decoded thrust vectors met a bound (box-constrained least squares instead of the exact allocation). */
export interface SaturationCount {
  decoded: number;
  saturated: number;
}

export interface FreeFlyerStateActions extends StateActions {
  /** The counts since the last `resetSaturation`. */
  saturation(): SaturationCount;
  resetSaturation(): void;
}

/** a = (q (-) q_ref, v) for a single free flyer, batched [B, 13] -> [B, 12] (engine ops, so the chunk targets can chain its Jacobian). */
export function freeFlyerEncoding(dynamics: MultibodyDynamics, qRef: readonly number[]): (x: Tensor) => Tensor {
  const { nq, nv } = dynamics.model;
  const manifold = dynamics.manifold;
  const ref = tensor([...qRef]);
  // The quaternion is normalized first, so enc does not change along the direction that leaves
  // the unit sphere (the stored coordinates' derivative then agrees with the tangent one, chunks.ts).
  const row = (x: Tensor) => {
    const quat = slice(x, [{ start: 3, stop: 7 }]);
    const q = concat([slice(x, [{ start: 0, stop: 3 }]), div(quat, sqrt(sum(square(quat))))], 0);
    return concat([manifold.differenceConfiguration(ref, q), slice(x, [{ start: nq, stop: nq + nv }])], 0);
  };
  const batched = vmap(row);
  return (x: Tensor) => batched(x);
}

export function freeFlyerStateActions(dynamics: MultibodyDynamics, qRef: readonly number[]): FreeFlyerStateActions {
  const { model, dt, nu, nx } = dynamics;
  const { nq, nv } = model;
  if (model.bodies.length !== 1 || model.bodies[0]!.joint.kind !== 'freeflyer') {
    throw new RangeError(`freeFlyerStateActions: ${dynamics.name} is not a single free-flying body`);
  }
  const bounds = dynamics.controlBounds;
  if (bounds === null) throw new RangeError(`freeFlyerStateActions: ${dynamics.name} has no thrust bounds`);
  const B = dynamics.actuation.toArray(); // nv x nu
  const wrench = jit((q, v, a) => rnea(model, q, v, a), [[nq], [nv], [nv]]);
  // The metric M^-2 of the velocity error, M = rnea's linear map a -> M a at v = 0 without gravity
  // (a single body: constant in its own frame). Columns by unit accelerations.
  const zero = new Float64Array(nv);
  const q0 = Float64Array.from([0, 0, 0, 0, 0, 0, 1]);
  const [bias] = wrench.run([q0, zero, zero]);
  const M = new Float64Array(nv * nv);
  for (let j = 0; j < nv; j++) {
    const e = new Float64Array(nv);
    e[j] = 1;
    const [col] = wrench.run([q0, zero, e]);
    for (let i = 0; i < nv; i++) M[i * nv + j] = col[i]! - bias[i]!;
  }
  const Minv2 = inverseSquaredDiagonal(M, nv);
  // H = B^T W B, the Hessian of 1/2 |M^-1 (B u - w)|^2 in u (W = M^-2, diagonal for a body at its COM).
  const H = new Float64Array(nu * nu);
  for (let i = 0; i < nu; i++) for (let j = 0; j < nu; j++) {
    let s = 0;
    for (let k = 0; k < nv; k++) s += B[k * nu + i]! * Minv2[k]! * B[k * nu + j]!;
    H[i * nu + j] = s;
  }
  const ws = new BoxQpWorkspace(nu);
  const g = new Float64Array(nu);
  const start = new Float64Array(nu);
  const count: SaturationCount = { decoded: 0, saturated: 0 };
  const encode = freeFlyerEncoding(dynamics, qRef);
  return {
    kind: 'state',
    dim: 2 * nv,
    encode,
    saturation: () => ({ ...count }),
    resetSaturation() {
      count.decoded = 0;
      count.saturated = 0;
    },
    inverse(x: Tensor, next: Tensor): Tensor {
      const rows = x.shape[0];
      const xs = x.concrete().data;
      const ns = next.concrete().data;
      const na = 2 * nv;
      const u = new Float64Array(rows * nu);
      const acceleration = new Float64Array(nv);
      for (let b = 0; b < rows; b++) {
        const q = xs.subarray(b * nx, b * nx + nq);
        const v = xs.subarray(b * nx + nq, (b + 1) * nx);
        for (let j = 0; j < nv; j++) acceleration[j] = (ns[b * na + nv + j]! - v[j]!) / dt;
        const [w] = wrench.run([q, v, acceleration]);
        // g = -B^T W w; the unconstrained minimizer solves H u = -g.
        for (let i = 0; i < nu; i++) {
          let s = 0;
          for (let k = 0; k < nv; k++) s += B[k * nu + i]! * Minv2[k]! * w[k]!;
          g[i] = -s;
          start[i] = 0.5 * (bounds.lower[i]! + bounds.upper[i]!);
        }
        const status = solveBoxQp(ws, H, g, bounds.lower, bounds.upper, start);
        if (status !== 'ok') throw new Error(`freeFlyerStateActions: the thrust allocation's box QP failed (${status}) at batch row ${b}`);
        let clamped = false;
        for (let i = 0; i < nu; i++) {
          const ui = ws.x[i]!;
          if (ws.free[i] === 0) clamped = true;
          u[b * nu + i] = ui;
        }
        count.decoded++;
        if (clamped) count.saturated++;
      }
      return tensor(u, [rows, nu]);
    },
  };
}

/** 1 / M_ii^2 of a diagonal inertia matrix (a body whose frame is at its centre of mass), checked diagonal. */
function inverseSquaredDiagonal(M: Float64Array, n: number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      if (i !== j && Math.abs(M[i * n + j]!) > 1e-12 * Math.abs(M[i * n + i]!)) {
        throw new RangeError('freeFlyerStateActions: the body inertia is not diagonal in its frame (centre of mass off the origin or rotated principal axes)');
      }
    }
    out[i] = 1 / (M[i * n + i]! * M[i * n + i]!);
  }
  return out;
}

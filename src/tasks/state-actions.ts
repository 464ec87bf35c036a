/**
 * State actions (main paper, sec. 4.2: the UR5 and the quadrotor "a_t = x_t"): the policy
 * plans the states to go through, and an inverse dynamics step turns the next planned state
 * into the control. For a fully actuated chain of revolute joints:
 *
 *   a = enc(x) = (cos q, sin q, v)      each angle as a point on the circle (the paper, after
 *                                       the consensus paper: q "preprocessed to (cos q, sin q)")
 *   u_t = RNEA(q_t, v_t, (v_{t+1} - v_t) / dt)
 *
 * The control is exact for the semi-implicit and explicit Euler steps, which both update the
 * velocity by dt ABA(q_t, v_t, u_t): only the planned velocity is used ("so only v_t is used,
 * but predicting q_t too stabilizes the training"). A torque beyond the actuator's limit is
 * saturated at it, as a real actuator would be; the policy's rollout then departs from its
 * plan, which the next plan corrects.
 */
import { type Tensor, concat, cos, jit, sin, slice, tensor } from '../autodiff/index.js';
import { type MultibodyDynamics, rnea } from '../dynamics/index.js';
import type { StateActions } from './task.js';

/** enc(x) = (cos q, sin q, v) of a chain of nq revolute joints, [B, nx] -> [B, 2 nq + (nx - nq)]. */
export function revoluteEncoding(nq: number, nx: number): (x: Tensor) => Tensor {
  return (x) => {
    const q = slice(x, [{}, { start: 0, stop: nq }]);
    const v = slice(x, [{}, { start: nq, stop: nx }]);
    return concat([cos(q), sin(q), v], 1);
  };
}

export function revoluteStateActions(dynamics: MultibodyDynamics): StateActions {
  const { model, dt, nu, nx } = dynamics;
  const { nq, nv } = model;
  const B = dynamics.actuation.toArray();
  const identity = nu === nv && B.every((b, i) => b === (Math.floor(i / nu) === i % nu ? 1 : 0));
  if (nq !== nv || !identity) {
    throw new RangeError(`revoluteStateActions: ${dynamics.name} is not a fully actuated chain of revolute joints (nq ${nq}, nv ${nv}, nu ${nu}); state actions there need an allocation of the generalized forces to the actuators`);
  }
  const torque = jit((q, v, a) => rnea(model, q, v, a), [[nq], [nv], [nv]]);
  const bounds = dynamics.controlBounds;
  return {
    kind: 'state',
    dim: 2 * nq + nv,
    encode: revoluteEncoding(nq, nx),
    inverse(x: Tensor, next: Tensor): Tensor {
      const rows = x.shape[0];
      const xs = x.concrete().data;
      const ns = next.concrete().data;
      const na = 2 * nq + nv;
      const u = new Float64Array(rows * nu);
      const acceleration = new Float64Array(nv);
      for (let b = 0; b < rows; b++) {
        const q = xs.subarray(b * nx, b * nx + nq);
        const v = xs.subarray(b * nx + nq, (b + 1) * nx);
        for (let j = 0; j < nv; j++) acceleration[j] = (ns[b * na + 2 * nq + j] - v[j]) / dt;
        const [tau] = torque.run([q, v, acceleration]);
        for (let j = 0; j < nu; j++) u[b * nu + j] = bounds ? Math.min(Math.max(tau[j], bounds.lower[j]), bounds.upper[j]) : tau[j];
      }
      return tensor(u, [rows, nu]);
    },
  };
}

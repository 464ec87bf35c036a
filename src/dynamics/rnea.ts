/**
 * The recursive Newton-Euler algorithm (Featherstone, Table 5.1): inverse dynamics
 * tau = M(q) qdd + b(q, v), in two passes over the tree.
 *
 * Gravity enters as a fictitious upward acceleration of the world, a_0 = -g (Featherstone
 * section 5.3), so no body needs a separate gravity force.
 */
import { type Tensor, concat, tensor, zeros } from '../autodiff/index.js';
import { type Data, type Model, createData, jointConfiguration, jointVelocity } from './model.js';
import {
  type Motion, actForce, actInvMotion, addForce, addMotion, applyInertia, compose, crossForce, crossMotion,
} from './spatial.js';

/** The world's fictitious acceleration -g, as a motion. */
export function gravityAcceleration(model: Model): Motion {
  return { lin: tensor(model.gravity.map((g) => -g)), ang: tensor([0, 0, 0]) };
}

/**
 * tau = RNEA(q, v, a). Pass 1 (root to leaves): velocity and acceleration of each body in its
 * own frame, and the force its joint must transmit, f_i = I_i a_i + v_i x* I_i v_i
 * (Featherstone eqs. 5.9-5.11). Pass 2 (leaves to root): tau_i = S_i^T f_i, and f_i is
 * added to the parent's, expressed in the parent frame (eqs. 5.12-5.13).
 */
export function rnea(model: Model, q: Tensor, v: Tensor, a: Tensor, data: Data = createData(model)): Tensor {
  const a0 = gravityAcceleration(model);
  model.bodies.forEach((body, i) => {
    const liMi = compose(body.placement, body.joint.transform(jointConfiguration(body, q)));
    data.liMi[i] = liMi;
    data.oMi[i] = body.parent < 0 ? liMi : compose(data.oMi[body.parent], liMi);
    const vJ = body.joint.motion(jointVelocity(body, v));
    const vParent = body.parent < 0 ? null : data.v[body.parent];
    const vi = vParent === null ? vJ : addMotion(actInvMotion(liMi, vParent), vJ);
    const aParent = body.parent < 0 ? a0 : data.a[body.parent];
    const ai = addMotion(addMotion(actInvMotion(liMi, aParent), body.joint.motion(jointVelocity(body, a))), crossMotion(vi, vJ));
    data.v[i] = vi;
    data.a[i] = ai;
    data.f[i] = addForce(applyInertia(body.inertia, ai), crossForce(vi, applyInertia(body.inertia, vi)));
  });
  const tau: Tensor[] = new Array(model.bodies.length);
  for (let i = model.bodies.length - 1; i >= 0; i--) {
    const body = model.bodies[i];
    tau[i] = body.joint.projectForce(data.f[i]);
    if (body.parent >= 0) data.f[body.parent] = addForce(data.f[body.parent], actForce(data.liMi[i], data.f[i]));
  }
  return concat(tau, 0);
}

/** The bias forces b(q, v) = C(q, v) v + g(q): RNEA with zero acceleration. */
export function nonLinearEffects(model: Model, q: Tensor, v: Tensor): Tensor {
  return rnea(model, q, v, zeros([model.nv]));
}

/** The generalized gravity g(q): RNEA with zero velocity and acceleration. */
export function gravityTorques(model: Model, q: Tensor): Tensor {
  return rnea(model, q, zeros([model.nv]), zeros([model.nv]));
}


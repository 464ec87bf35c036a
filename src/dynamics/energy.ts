/**
 * Mechanical energy, for conservation tests and energy-shaping costs:
 * kinetic 1/2 sum_i v_i . I_i v_i (Featherstone eq. 2.67, each body in its own frame) and
 * potential -sum_i m_i g . c_i with c_i the world position of body i's centre of mass.
 */
import { type Tensor, add, mul, tensor } from '../autodiff/index.js';
import { forwardKinematics } from './kinematics.js';
import { type Model } from './model.js';
import { applyInertia, dot, dotMotionForce, rotate } from './spatial.js';

export function kineticEnergy(model: Model, q: Tensor, v: Tensor): Tensor {
  const data = forwardKinematics(model, q, v);
  let T: Tensor = tensor(0);
  model.bodies.forEach((body, i) => {
    T = add(T, dotMotionForce(data.v[i], applyInertia(body.inertia, data.v[i])));
  });
  return mul(T, 0.5);
}

export function potentialEnergy(model: Model, q: Tensor): Tensor {
  const data = forwardKinematics(model, q);
  const g = tensor([...model.gravity]);
  let V: Tensor = tensor(0);
  model.bodies.forEach((body, i) => {
    // m c_world = R h + m p
    const firstMoment = add(rotate(data.oMi[i].R, body.inertia.h), mul(body.inertia.mass, data.oMi[i].p));
    V = add(V, mul(-1, dot(g, firstMoment)));
  });
  return V;
}

export function totalEnergy(model: Model, q: Tensor, v: Tensor): Tensor {
  return add(kineticEnergy(model, q, v), potentialEnergy(model, q));
}

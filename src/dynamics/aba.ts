/**
 * The articulated-body algorithm (Featherstone, Table 7.1): forward dynamics
 * qdd = ABA(q, v, tau) in O(n), three passes over the tree.
 *
 * Articulated-body inertias IA_i are general symmetric 6x6 matrices (rows [lin; ang]); the
 * joint quantities U = IA S, D = S^T U and u = tau - S^T pA are nv_i-sized, so the same code
 * serves 1-dof joints (D a scalar) and the 6-dof free flyer (D a 6x6 SPD block).
 */
import { type Tensor, add, concat, matmul, sub } from '../autodiff/index.js';
import { unrolledSpdInverse } from '../linalg/index.js';
import { type Model, jointConfiguration, jointVelocity } from './model.js';
import { gravityAcceleration } from './rnea.js';
import {
  type Force, type Motion, type SE3, actForce, actInvMotion, addForce, addMotion, applyInertia, applyMatrix6, compose,
  crossForce, crossMotion, forceTransformMatrix, fromVector, inertiaMatrix, toVector,
} from './spatial.js';

export function aba(model: Model, q: Tensor, v: Tensor, tau: Tensor): Tensor {
  const n = model.bodies.length;
  const liMi: SE3[] = new Array(n);
  const vel: Motion[] = new Array(n);
  const c: Motion[] = new Array(n);
  const IA: Tensor[] = new Array(n);
  const pA: Force[] = new Array(n);
  // Pass 1, root to leaves: velocities, velocity-product accelerations c_i = v_i x S qd_i,
  // and the isolated bodies' inertias and bias forces pA_i = v_i x* I_i v_i.
  model.bodies.forEach((body, i) => {
    liMi[i] = compose(body.placement, body.joint.transform(jointConfiguration(body, q)));
    const vJ = body.joint.motion(jointVelocity(body, v));
    vel[i] = body.parent < 0 ? vJ : addMotion(actInvMotion(liMi[i], vel[body.parent]), vJ);
    c[i] = crossMotion(vel[i], vJ);
    IA[i] = inertiaMatrix(body.inertia);
    pA[i] = crossForce(vel[i], applyInertia(body.inertia, vel[i]));
  });
  // Pass 2, leaves to root: each body hands its parent the articulated inertia and bias force
  // of the subtree it carries, seen through its joint (Featherstone eqs. 7.37-7.41).
  const U: Tensor[] = new Array(n);
  const Dinv: Tensor[] = new Array(n);
  const u: Tensor[] = new Array(n);
  for (let i = n - 1; i >= 0; i--) {
    const body = model.bodies[i];
    const S = body.joint.S;
    U[i] = matmul(IA[i], S);
    Dinv[i] = unrolledSpdInverse(matmul(S, U[i], { transA: true }));
    u[i] = sub(jointVelocity(body, tau), body.joint.projectForce(pA[i]));
    if (body.parent < 0) continue;
    const UDinv = matmul(U[i], Dinv[i]);
    const Ia = sub(IA[i], matmul(UDinv, U[i], { transB: true }));
    const pa = addForce(addForce(pA[i], applyMatrix6(Ia, c[i])), fromVector(matmul(UDinv, u[i])));
    const X = forceTransformMatrix(liMi[i]);
    IA[body.parent] = add(IA[body.parent], matmul(X, matmul(Ia, X, { transB: true })));
    pA[body.parent] = addForce(pA[body.parent], actForce(liMi[i], pa));
  }
  // Pass 3, root to leaves: accelerations (eqs. 7.42-7.44), gravity as a_0 = -g.
  const a: Motion[] = new Array(n);
  const qdd: Tensor[] = new Array(n);
  const a0 = gravityAcceleration(model);
  model.bodies.forEach((body, i) => {
    const aPrime = addMotion(actInvMotion(liMi[i], body.parent < 0 ? a0 : a[body.parent]), c[i]);
    qdd[i] = matmul(Dinv[i], sub(u[i], matmul(U[i], toVector(aPrime), { transA: true })));
    a[i] = addMotion(aPrime, body.joint.motion(qdd[i]));
  });
  return concat(qdd, 0);
}

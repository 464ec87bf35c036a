/**
 * Forward kinematics, frame placements and frame Jacobians (Featherstone chapter 4;
 * Pinocchio's forwardKinematics, updateFramePlacement, getFrameJacobian).
 */
import { type Tensor, concat, reshape, sub, tensor } from '../autodiff/index.js';
import { type Data, type Model, createData, jointConfiguration, jointVelocity } from './model.js';
import {
  type Motion, type SE3, actInvMotion, actMotion, addMotion, compose, cross, crossMotion, toVector,
} from './spatial.js';

/**
 * Placements of every body (liMi, oMi), and when given, body velocities and accelerations in
 * each body's frame: v_i = iX_lambda v_lambda + S_i qd_i and
 * a_i = iX_lambda a_lambda + S_i qdd_i + v_i x S_i qd_i (Featherstone eqs. 5.7-5.8; S_i is
 * constant in the body frame, so the derivative term of S is zero).
 */
export function forwardKinematics(model: Model, q: Tensor, v?: Tensor, a?: Tensor, data: Data = createData(model)): Data {
  model.bodies.forEach((body, i) => {
    const liMi = compose(body.placement, body.joint.transform(jointConfiguration(body, q)));
    data.liMi[i] = liMi;
    data.oMi[i] = body.parent < 0 ? liMi : compose(data.oMi[body.parent], liMi);
    if (v === undefined) return;
    const vJ = body.joint.motion(jointVelocity(body, v));
    const vi = body.parent < 0 ? vJ : addMotion(actInvMotion(liMi, data.v[body.parent]), vJ);
    data.v[i] = vi;
    if (a === undefined) return;
    const aJ = addMotion(body.joint.motion(jointVelocity(body, a)), crossMotion(vi, vJ));
    data.a[i] = body.parent < 0 ? aJ : addMotion(actInvMotion(liMi, data.a[body.parent]), aJ);
  });
  return data;
}

/** The placement of frame `frame` in the world, after `forwardKinematics`. */
export function framePlacement(model: Model, data: Data, frame: number): SE3 {
  const f = model.frames[frame];
  return compose(data.oMi[f.body], f.placement);
}

/** The world position of frame `frame` as a function of q: the usual end-effector cost term. */
export function frameTranslation(model: Model, q: Tensor, frame: number): Tensor {
  return framePlacement(model, forwardKinematics(model, q), frame).p;
}

/**
 * Where a frame Jacobian is expressed:
 * - 'localWorldAligned': linear rows are the velocity of the frame origin in world axes
 *   (d p_frame / dt = J_lin v), angular rows the angular velocity in world axes;
 * - 'local': both in the frame's own axes (the body twist of the frame);
 * - 'world': the spatial velocity at the world origin, in world axes.
 */
export type ReferenceFrame = 'localWorldAligned' | 'local' | 'world';

/**
 * The 6 x nv Jacobian of frame `frame`, rows [lin; ang]: column k is the motion of the frame
 * caused by a unit velocity of degree of freedom k, which is S_j's column mapped to the
 * world by oMj for each joint j on the path from the root (Featherstone eq. 4.18), zero elsewhere.
 */
export function frameJacobian(model: Model, q: Tensor, frame: number, reference: ReferenceFrame = 'localWorldAligned'): Tensor {
  const data = forwardKinematics(model, q);
  const oMf = framePlacement(model, data, frame);
  const columns: Tensor[] = [];
  const support = new Set<number>();
  for (let j = model.frames[frame].body; j >= 0; j = model.bodies[j].parent) support.add(j);
  model.bodies.forEach((body, j) => {
    for (let k = 0; k < body.joint.nv; k++) {
      if (!support.has(j)) {
        columns.push(tensor([0, 0, 0, 0, 0, 0], [6, 1]));
        continue;
      }
      const unit = new Array<number>(body.joint.nv).fill(0);
      unit[k] = 1;
      const world = actMotion(data.oMi[j], body.joint.motion(tensor(unit)));
      columns.push(reshape(toVector(express(world, oMf, reference)), [6, 1]));
    }
  });
  return concat(columns, 1);
}

/** A motion given at the world origin in world axes, re-expressed as `reference` asks. */
function express(world: Motion, oMf: SE3, reference: ReferenceFrame): Motion {
  switch (reference) {
    case 'world':
      return world;
    case 'local':
      return actInvMotion(oMf, world);
    case 'localWorldAligned':
      // velocity of the point at the frame origin: v_o + w x p = v_o - p x w
      return { lin: sub(world.lin, cross(oMf.p, world.ang)), ang: world.ang };
  }
}

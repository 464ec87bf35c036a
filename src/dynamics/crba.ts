/**
 * The composite-rigid-body algorithm (Featherstone, Table 6.2): the joint-space inertia
 * matrix M(q). Each body's composite inertia Ic_i (itself and everything it carries) is
 * accumulated from the leaves; the force F = Ic_i S_i that a unit acceleration of joint i
 * needs is then carried down the path to the root, and M[j, i] = S_j^T F on the way.
 * Composite inertias use the rigid form (mass, first moment, rotational inertia), which
 * transforms with a few 3x3 products instead of a 6x6 congruence.
 */
import { type Tensor, concat, reshape, tensor, transpose } from '../autodiff/index.js';
import { type Model, jointConfiguration } from './model.js';
import { type Force, type Inertia, actForce, actInertia, addInertia, applyInertia, compose } from './spatial.js';

export function crba(model: Model, q: Tensor): Tensor {
  const n = model.bodies.length;
  const liMi = model.bodies.map((b) => compose(b.placement, b.joint.transform(jointConfiguration(b, q))));
  const Ic: Inertia[] = model.bodies.map((b) => b.inertia);
  const blocks: (Tensor | null)[][] = Array.from({ length: n }, () => new Array<Tensor | null>(n).fill(null));
  for (let i = n - 1; i >= 0; i--) {
    const body = model.bodies[i];
    // F = Ic_i S_i, one force per degree of freedom of joint i.
    let F: Force[] = [];
    for (let k = 0; k < body.joint.nv; k++) {
      const unit = new Array<number>(body.joint.nv).fill(0);
      unit[k] = 1;
      F.push(applyInertia(Ic[i], body.joint.motion(tensor(unit))));
    }
    for (let j = i; ; ) {
      // M[j, i] = S_j^T F, a block nv_j x nv_i.
      blocks[j][i] = concat(F.map((f) => reshape(model.bodies[j].joint.projectForce(f), [model.bodies[j].joint.nv, 1])), 1);
      if (j !== i) blocks[i][j] = transpose(blocks[j][i]!);
      const parent = model.bodies[j].parent;
      if (parent < 0) break;
      F = F.map((f) => actForce(liMi[j], f));
      j = parent;
    }
    if (body.parent >= 0) Ic[body.parent] = addInertia(Ic[body.parent], actInertia(liMi[i], Ic[i]));
  }
  const rows = blocks.map((row, i) =>
    concat(row.map((b, j) => b ?? tensor(new Float64Array(model.bodies[i].joint.nv * model.bodies[j].joint.nv), [model.bodies[i].joint.nv, model.bodies[j].joint.nv])), 1));
  return concat(rows, 0);
}

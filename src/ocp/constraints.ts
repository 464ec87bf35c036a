/**
 * General constraints c(x, u, xi) (first `ne` rows = 0, the other `ni` rows <= 0), written
 * as tensor code and compiled with `jit` together with their Jacobians on the tangent space
 * (the same convention as costs.ts). Control *bounds* are not constraints here: the box QP
 * of the backward pass handles them exactly (boxqp.ts).
 *
 * Builders for the constraints of the papers' tasks: state bounds, floor and ceiling, and
 * cylindrical obstacles -(||p_xy - c||^2 - (r + margin)^2) <= 0 (DESIGN section 5).
 */
import { type Tensor, add, concat, jacfwd, jit, mul, reshape, slice, square, sub, sum, tensor, zeros } from '../autodiff/index.js';
import type { StateManifold } from '../dynamics/interface.js';
import type { Constraint } from './problem.js';

export type ConstraintFn = (x: Tensor, u: Tensor, xi: Tensor) => Tensor;
export type TerminalConstraintFn = (x: Tensor, xi: Tensor) => Tensor;

/** Compile a stage constraint (rows: ne equalities, then ni inequalities). */
export function stageConstraint(manifold: StateManifold, nu: number, nxi: number, rows: { ne: number; ni: number }, c: ConstraintFn): Constraint {
  const ndx = manifold.ndx;
  const shapes = [[manifold.nx], [nu], [nxi]];
  const flat = (x: Tensor, u: Tensor, xi: Tensor) => reshape(c(x, u, xi), [-1]);
  const value = jit((x, u, xi) => flat(x, u, xi), shapes);
  const jac = jit((x, u, xi) => {
    const g = (z: Tensor) => flat(manifold.integrate(x, slice(z, [{ start: 0, stop: ndx }])), add(u, slice(z, [{ start: ndx }])), xi);
    const J = jacfwd(g)(zeros([ndx + nu]));
    return [flat(x, u, xi), slice(J, [{}, { start: 0, stop: ndx }]), slice(J, [{}, { start: ndx }])];
  }, shapes);
  check(value.outputShapes[0]!, rows);
  const ins: Float64Array[] = [new Float64Array(0), new Float64Array(0), new Float64Array(0)];
  const o1: Float64Array[] = [new Float64Array(0)];
  const o3: Float64Array[] = [new Float64Array(0), new Float64Array(0), new Float64Array(0)];
  return {
    ne: rows.ne, ni: rows.ni, nxi, stage: true,
    value(x, u, xi, out) {
      ins[0] = x; ins[1] = u; ins[2] = xi; o1[0] = out;
      value.run(ins, o1);
    },
    jacobians(x, u, xi, cv, cx, cu) {
      ins[0] = x; ins[1] = u; ins[2] = xi; o3[0] = cv; o3[1] = cx; o3[2] = cu;
      jac.run(ins, o3);
    },
  };
}

/** Compile a terminal constraint c(x, xi). */
export function terminalConstraint(manifold: StateManifold, nxi: number, rows: { ne: number; ni: number }, c: TerminalConstraintFn): Constraint {
  const shapes = [[manifold.nx], [nxi]];
  const flat = (x: Tensor, xi: Tensor) => reshape(c(x, xi), [-1]);
  const value = jit((x, xi) => flat(x, xi), shapes);
  const jac = jit((x, xi) => [flat(x, xi), jacfwd((dx: Tensor) => flat(manifold.integrate(x, dx), xi))(zeros([manifold.ndx]))], shapes);
  check(value.outputShapes[0]!, rows);
  const ins: Float64Array[] = [new Float64Array(0), new Float64Array(0)];
  const o1: Float64Array[] = [new Float64Array(0)];
  const o2: Float64Array[] = [new Float64Array(0), new Float64Array(0)];
  return {
    ne: rows.ne, ni: rows.ni, nxi, stage: false,
    value(x, _u, xi, out) {
      ins[0] = x; ins[1] = xi; o1[0] = out;
      value.run(ins, o1);
    },
    jacobians(x, _u, xi, cv, cx) {
      ins[0] = x; ins[1] = xi; o2[0] = cv; o2[1] = cx;
      jac.run(ins, o2);
    },
  };
}

function check(shape: readonly number[], rows: { ne: number; ni: number }): void {
  if (shape[0] !== rows.ne + rows.ni) throw new Error(`constraint: ${shape[0]} rows, declared ne + ni = ${rows.ne + rows.ni}`);
}

// ---------------------------------------------------------------------------------------
// Builders (tensor functions of (x, u, xi); stack them with `stackRows`).

/** lower_i - x_{k_i} <= 0 and x_{k_i} - upper_i <= 0 for the chosen coordinates. */
export function stateBoundRows(indices: readonly number[], lower: readonly number[], upper: readonly number[]): ConstraintFn {
  return (x) => {
    const xs = concat(indices.map((k) => slice(x, [{ start: k, stop: k + 1 }])));
    return concat([sub(tensor([...lower]), xs), sub(xs, tensor([...upper]))]);
  };
}

/** floor - z <= 0 and z - ceiling <= 0 for the height z = x[zIndex]. */
export function floorCeilingRows(zIndex: number, floor: number, ceiling: number): ConstraintFn {
  return stateBoundRows([zIndex], [floor], [ceiling]);
}

/**
 * Cylinders (infinite along z) as -(||p_xy - c||^2 - (r + margin)^2) <= 0, one row each.
 * Centers and radii are read from xi at `xiStart`: (cx, cy, r) per cylinder, so the
 * obstacles are task parameters and one compiled constraint serves every task.
 */
export function cylinderRows(positionXY: (x: Tensor) => Tensor, count: number, xiStart: number, margin = 0): ConstraintFn {
  return (x, _u, xi) => {
    const p = reshape(positionXY(x), [2]);
    const rows: Tensor[] = [];
    for (let i = 0; i < count; i++) {
      const o = xiStart + 3 * i;
      const c = slice(xi, [{ start: o, stop: o + 2 }]);
      const r = add(slice(xi, [{ start: o + 2, stop: o + 3 }]), margin);
      rows.push(sub(square(r), reshape(sum(square(sub(p, c))), [1])));
    }
    return concat(rows);
  };
}

/** Concatenate the rows of several constraint functions (put equalities first yourself). */
export function stackRows(parts: readonly ConstraintFn[]): ConstraintFn {
  return (x, u, xi) => concat(parts.map((p) => reshape(p(x, u, xi), [-1])));
}

export const scaleRows = (c: ConstraintFn, s: number): ConstraintFn => (x, u, xi) => mul(s, c(x, u, xi));

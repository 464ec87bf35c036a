/**
 * What the solver loop minimizes, knot by knot: by default the problem's costs; the
 * constrained solver wraps them with augmented-Lagrangian terms (constrained.ts). Keeping
 * this one indirection is what lets DDP, FDDP and the constrained solver share the loop.
 */
import type { Knot } from './workspace.js';
import type { OcpProblem } from './problem.js';

export interface Objective {
  stageValue(t: number, x: Float64Array, u: Float64Array): number;
  terminalValue(x: Float64Array): number;
  /** Write l_x, l_u, l_xx, l_ux, l_uu into the knot; return the value. */
  stageDerivatives(t: number, x: Float64Array, u: Float64Array, knot: Knot): number;
  /** Write l_x, l_xx into the (terminal) knot; return the value. */
  terminalDerivatives(x: Float64Array, knot: Knot): number;
}

export function costObjective(problem: OcpProblem): Objective {
  const { stageCost, terminalCost, xi } = problem;
  return {
    stageValue: (_t, x, u) => stageCost.value(x, u, xi),
    terminalValue: (x) => terminalCost.value(x, xi),
    stageDerivatives: (_t, x, u, knot) => stageCost.derivatives(x, u, xi, knot),
    terminalDerivatives: (x, knot) => terminalCost.derivatives(x, xi, knot.lx, knot.lxx),
  };
}

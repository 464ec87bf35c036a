/**
 * What the solver loop minimizes, knot by knot: by default the problem's costs; the
 * constrained solver wraps them with augmented-Lagrangian terms (constrained.ts). Keeping
 * this one indirection is what lets DDP, FDDP and the constrained solver share the loop.
 */
import type { Knot } from './workspace.js';
import type { CostDerivatives, OcpProblem } from './problem.js';

export interface Objective {
  stageValue(t: number, x: Float64Array, u: Float64Array): number;
  terminalValue(x: Float64Array): number;
  /** Write l_x, l_u, l_xx, l_ux, l_uu into the knot; return the value. */
  stageDerivatives(t: number, x: Float64Array, u: Float64Array, knot: Knot): number;
  /** Write l_x, l_xx into the (terminal) knot; return the value. */
  terminalDerivatives(x: Float64Array, knot: Knot): number;
}

/**
 * The problem's costs, each weighted by its discount: gamma^t at knot t, gamma^T at the end
 * (problem.ts); values and derivatives alike, so the backward pass differentiates the
 * discounted objective. Undiscounted problems get the costs unwrapped.
 */
export function costObjective(problem: OcpProblem): Objective {
  const { stageCost, terminalCost, xi, discount, horizon } = problem;
  if (discount === 1) {
    return {
      stageValue: (_t, x, u) => stageCost.value(x, u, xi),
      terminalValue: (x) => terminalCost.value(x, xi),
      stageDerivatives: (_t, x, u, knot) => stageCost.derivatives(x, u, xi, knot),
      terminalDerivatives: (x, knot) => terminalCost.derivatives(x, xi, knot.lx, knot.lxx),
    };
  }
  const weights = discountWeights(discount, horizon);
  const wT = weights[horizon]!;
  return {
    stageValue: (t, x, u) => weights[t]! * stageCost.value(x, u, xi),
    terminalValue: (x) => wT * terminalCost.value(x, xi),
    stageDerivatives: (t, x, u, knot) => {
      const w = weights[t]!;
      const v = stageCost.derivatives(x, u, xi, knot);
      scaleDerivatives(knot, w);
      return w * v;
    },
    terminalDerivatives: (x, knot) => {
      const v = terminalCost.derivatives(x, xi, knot.lx, knot.lxx);
      scale(knot.lx, wT);
      scale(knot.lxx, wT);
      return wT * v;
    },
  };
}

/** gamma^t for t = 0..T. */
export function discountWeights(discount: number, horizon: number): Float64Array {
  const w = new Float64Array(horizon + 1);
  for (let t = 0; t <= horizon; t++) w[t] = discount ** t;
  return w;
}

function scale(a: Float64Array, w: number): void {
  for (let i = 0; i < a.length; i++) a[i] *= w;
}

function scaleDerivatives(d: CostDerivatives, w: number): void {
  scale(d.lx, w);
  scale(d.lu, w);
  scale(d.lxx, w);
  scale(d.lux, w);
  scale(d.luu, w);
}

/**
 * The optimal control problem the solvers work on:
 *
 *   minimize   sum_{t<T} gamma^t l(x_t, u_t, xi) + gamma^T l_T(x_T, xi)
 *   subject to x_{t+1} = f(x_t, u_t),  x_0 given,
 *              lower <= u_t <= upper                        (box, handled inside the QP)
 *              c(x_t, u_t, xi) = 0 / <= 0, c_T(x_T, xi) = 0 / <= 0  (general, constrained solver)
 *
 * with the discount gamma in (0, 1] (1 by default: the undiscounted problem of the main paper;
 * below 1 the discounted problem of the value paper's comparison with PPO, sec. IV-D). The
 * weights are applied by the objective (objective.ts), so the backward pass's V_x, V_xx at
 * knot t are those of the cost from knot 0: gamma^t times the derivatives of the discounted
 * cost-to-go from t; the gains are unchanged by that factor. Constraints are not discounted:
 * the constrained solver's penalty terms wrap the discounted costs unweighted, since a
 * constraint must hold at every knot alike.
 *
 * Everything the solvers call in their hot loops is *compiled*: costs and constraints are
 * written once as tensor code and lowered with `jit` (see costs.ts, constraints.ts); the
 * dynamics come compiled from `src/dynamics/`. The interfaces below are what the solvers
 * see, so a cost that cannot be jitted (a large network, say) can implement them by hand.
 *
 * Derivatives with respect to states are always on the tangent space of the state
 * manifold (ndx directions), as for the dynamics Jacobians (see dynamics/interface.ts).
 */
import type { ControlBounds, DiscreteDynamics } from '../dynamics/interface.js';

/** Where a stage cost writes its derivatives (row-major; lux is nu x ndx). */
export interface CostDerivatives {
  readonly lx: Float64Array;
  readonly lu: Float64Array;
  readonly lxx: Float64Array;
  readonly lux: Float64Array;
  readonly luu: Float64Array;
}

/** A running cost l(x, u, xi). */
export interface StageCost {
  readonly kind: 'stage';
  /** Length of the task-parameter vector it reads (the problem's xi). */
  readonly nxi: number;
  value(x: Float64Array, u: Float64Array, xi: Float64Array): number;
  /** Write the gradient and the Hessian (or a Gauss-Newton approximation of it); return the value. */
  derivatives(x: Float64Array, u: Float64Array, xi: Float64Array, out: CostDerivatives): number;
}

/** A terminal cost l_T(x, xi). */
export interface TerminalCost {
  readonly kind: 'terminal';
  readonly nxi: number;
  value(x: Float64Array, xi: Float64Array): number;
  derivatives(x: Float64Array, xi: Float64Array, lx: Float64Array, lxx: Float64Array): number;
}

/**
 * A vector constraint c(x, u, xi): its first `ne` rows are equalities c = 0, the other `ni`
 * rows inequalities c <= 0. For a terminal constraint nu is 0 and `cu` is not written.
 */
export interface Constraint {
  readonly ne: number;
  readonly ni: number;
  readonly nxi: number;
  /** Whether it depends on the control (false for terminal constraints). */
  readonly stage: boolean;
  value(x: Float64Array, u: Float64Array, xi: Float64Array, c: Float64Array): void;
  /** Write c (ne + ni), cx ((ne + ni) x ndx) and cu ((ne + ni) x nu). */
  jacobians(x: Float64Array, u: Float64Array, xi: Float64Array, c: Float64Array, cx: Float64Array, cu: Float64Array): void;
}

export interface OcpProblem {
  readonly dynamics: DiscreteDynamics;
  /** Number of control intervals T: states x_0..x_T, controls u_0..u_{T-1}. */
  readonly horizon: number;
  readonly x0: Float64Array;
  /** Task parameters (start, target, obstacles, ...), read by costs and constraints. */
  readonly xi: Float64Array;
  readonly stageCost: StageCost;
  readonly terminalCost: TerminalCost;
  /** Box bounds on u; defaults to the dynamics' own bounds; null for none. */
  readonly controlBounds: ControlBounds | null;
  readonly stageConstraint: Constraint | null;
  readonly terminalConstraint: Constraint | null;
  /** gamma: the stage cost at knot t weighs gamma^t, the terminal cost gamma^T. */
  readonly discount: number;
}

export interface ProblemSpec {
  dynamics: DiscreteDynamics;
  horizon: number;
  x0: ArrayLike<number>;
  xi?: ArrayLike<number>;
  stageCost: StageCost;
  terminalCost: TerminalCost;
  controlBounds?: ControlBounds | null;
  stageConstraint?: Constraint | null;
  terminalConstraint?: Constraint | null;
  /** gamma in (0, 1]; 1 (no discount) when omitted. */
  discount?: number;
}

/** A problem definition that does not fit together (sizes, horizon, bounds). */
export class OcpDefinitionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OcpDefinitionError';
  }
}

/** Check the pieces against each other once, so the solvers need not. */
export function defineProblem(spec: ProblemSpec): OcpProblem {
  const { dynamics } = spec;
  if (!Number.isInteger(spec.horizon) || spec.horizon < 1) throw new OcpDefinitionError(`horizon must be a positive integer, got ${spec.horizon}`);
  if (spec.x0.length !== dynamics.nx) throw new OcpDefinitionError(`x0 has length ${spec.x0.length}, the ${dynamics.name} state has nx = ${dynamics.nx}`);
  dynamics.manifold.check(spec.x0, 'x0');
  const xi = Float64Array.from(spec.xi ?? [0]);
  for (const [name, piece] of [
    ['stageCost', spec.stageCost],
    ['terminalCost', spec.terminalCost],
    ['stageConstraint', spec.stageConstraint],
    ['terminalConstraint', spec.terminalConstraint],
  ] as const) {
    if (piece && piece.nxi !== xi.length) throw new OcpDefinitionError(`${name} reads xi of length ${piece.nxi}, the problem's xi has length ${xi.length}`);
  }
  const bounds = spec.controlBounds === undefined ? dynamics.controlBounds : spec.controlBounds;
  if (bounds) {
    if (bounds.lower.length !== dynamics.nu || bounds.upper.length !== dynamics.nu) {
      throw new OcpDefinitionError(`control bounds have lengths ${bounds.lower.length}/${bounds.upper.length}, nu = ${dynamics.nu}`);
    }
    for (let i = 0; i < dynamics.nu; i++) {
      if (!(bounds.lower[i]! <= bounds.upper[i]!)) throw new OcpDefinitionError(`control bound ${i}: lower ${bounds.lower[i]} > upper ${bounds.upper[i]}`);
    }
  }
  const discount = spec.discount ?? 1;
  if (!(discount > 0 && discount <= 1)) throw new OcpDefinitionError(`discount must lie in (0, 1], got ${discount}`);
  if (spec.terminalConstraint?.stage) throw new OcpDefinitionError('the terminal constraint must not depend on u (stage = false)');
  return {
    dynamics,
    horizon: spec.horizon,
    x0: Float64Array.from(spec.x0),
    xi,
    stageCost: spec.stageCost,
    terminalCost: spec.terminalCost,
    controlBounds: bounds ? { lower: Float64Array.from(bounds.lower), upper: Float64Array.from(bounds.upper) } : null,
    stageConstraint: spec.stageConstraint ?? null,
    terminalConstraint: spec.terminalConstraint ?? null,
    discount,
  };
}

/** The same problem with another initial state or task (the costs read xi at run time). */
export function withTask(problem: OcpProblem, change: { x0?: ArrayLike<number>; xi?: ArrayLike<number> }): OcpProblem {
  return defineProblem({ ...problem, x0: change.x0 ?? problem.x0, xi: change.xi ?? problem.xi });
}

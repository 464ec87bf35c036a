/**
 * The solution every other module relies on (DESIGN section 3), and the gains computed at
 * the returned iterate.
 *
 * Convention: u = u_bar + k + K (x (-) x_bar), so K = du/dx (Crocoddyl stores -K).
 * Per knot: xs (T + 1), us (T), K, k (T), Vx, Vxx (T + 1), and the dynamics Jacobians
 * fx, fu (T) at the solution, which the learning code chains as f_x + f_u K (eq. 2 of the
 * main paper). `clamped` marks the controls held at a box bound: their rows of K are zero.
 *
 * A failure is a result, not an exception: `converged = false` and `reason` says why.
 */
export type StopReason =
  | 'converged'
  | 'maxIterations'
  | 'nonFinite'
  | 'infeasible'
  | 'lineSearchFailed'
  | 'backwardPassFailed';

export interface IterationRecord {
  iteration: number;
  cost: number;
  /** max_t |projected Q_u|_inf before the step. */
  gradientNorm: number;
  /** max |gap|: the dynamics defects of the iterate before the step (0 for DDP). */
  feasibility: number;
  /** Expected first-order change g of the full step (negative for descent). */
  expectedImprovement: number;
  /** Accepted step length, 0 when every trial was rejected. */
  step: number;
  regularization: number;
  /** Constraint violation (constrained solver only). */
  constraintViolation?: number;
}

export interface SolverTimings {
  totalMs: number;
  perIterationMs: number;
  derivativesMs: number;
  backwardMs: number;
  forwardMs: number;
}

export interface OcpSolution {
  xs: Float64Array[];
  us: Float64Array[];
  K: Float64Array[];
  k: Float64Array[];
  Vx: Float64Array[];
  Vxx: Float64Array[];
  fx: Float64Array[];
  fu: Float64Array[];
  clamped: Uint8Array[];
  cost: number;
  iterations: number;
  converged: boolean;
  reason: StopReason;
  /** max |gap| at the returned iterate. */
  feasibility: number;
  gradientNorm: number;
  timings: SolverTimings;
  history: IterationRecord[];
  /** Whether K, Vx, Vxx include the dynamics' second-order terms (exact DDP gains). */
  exactGains: boolean;
  /**
   * How many entries of the initial guess's controls lay outside the control bounds and were
   * projected onto them before the first rollout (0 for a guess inside the box; see inputs.ts).
   */
  projectedControls: number;
  /** Constrained solver: multipliers per knot (T + 1; the last for terminal constraints). */
  multipliers?: Float64Array[];
  /** Constrained solver: max violation of the general constraints. */
  constraintViolation?: number;
}

/** Dimensions for consumers that receive a solution without its problem (e.g. from a worker). */
export function solutionDims(s: OcpSolution): { T: number; nx: number; nu: number; ndx: number } {
  const T = s.us.length;
  return { T, nx: s.xs[0]!.length, nu: s.us[0]?.length ?? 0, ndx: s.Vx[0]!.length };
}

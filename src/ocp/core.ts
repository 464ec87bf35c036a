/**
 * The solver loop shared by DDP, FDDP and the inner solves of the constrained solver,
 * structured as Crocoddyl's: compute derivatives, backward pass, expected improvement,
 * stopping test, line search, regularization update. Each step is a small function below
 * or in backward.ts / forward.ts; this file only sequences them.
 *
 * - 'ddp': single shooting. The initial controls are rolled out from x0, so every iterate
 *   is dynamically feasible and each forward pass is a nonlinear rollout.
 * - 'fddp': multiple shooting (Mastalli et al. 2020). The state guess may be infeasible;
 *   the gaps enter the backward pass and the expected improvement, and a step of length
 *   alpha shrinks them by (1 - alpha); a full step closes them all.
 */
import { compileDynamicsCurvature, compileManifold } from './compiled.js';
import { backwardPass } from './backward.js';
import { type RolloutContext, computeDerivatives, evaluate, expectedImprovement, rollout, simulate } from './forward.js';
import { SolverOptionsError, checkGuess, resolveOptions } from './inputs.js';
import { type Objective, costObjective } from './objective.js';
import type { OcpProblem } from './problem.js';
import type { IterationRecord, OcpSolution, StopReason } from './solution.js';
import { Workspace } from './workspace.js';

export interface SolverOptions {
  /** Iteration cap (n_max = 1000 in the papers). */
  maxIterations: number;
  /** Stop when |expected first-order improvement| <= tolerance * (1 + |cost|) and feasible. */
  tolerance: number;
  /** Max |gap| for a trajectory to count as feasible. */
  feasibilityTolerance: number;
  regInit: number;
  regMin: number;
  regMax: number;
  regFactor: number;
  /** Add the regularization to V_xx as well as to Q_uu (see backward.ts). */
  regularizeValue: boolean;
  /**
   * Increase the regularization when the accepted step is at most this. Crocoddyl uses 0.01
   * (raise only when the line search nearly fails); 1/8 (three or more halvings) makes the
   * schedule a three-band rule: a full step lowers mu, one or two halvings keep it, a
   * shorter step raises it. Measured on the double-pendulum swing-up (bench, 2 x 20 starts,
   * {Gauss-Newton, exact} Hessians x {first, second order}): converged 129/160 with 0.01,
   * 157/160 with 1/8, 156/160 with 1/4; the gain is all in the Gauss-Newton first-order
   * solves (22/40 -> 37/40); exact Hessians converge 80/80 with any of the three.
   */
  stepIncrease: number;
  /** Decrease it when the accepted step is larger than this. */
  stepDecrease: number;
  /** Smallest trial step (steps are 1, 1/2, 1/4, ...). */
  minStep: number;
  /** Accept when actual decrease >= acceptRatio * expected decrease (Armijo-like). */
  acceptRatio: number;
  /** FDDP: when the model predicts an increase, accept up to acceptIncreaseRatio times it. */
  acceptIncreaseRatio: number;
  /**
   * Use the dynamics' second-order terms (true DDP) in the backward pass of every feasible
   * iterate. While FDDP still has gaps the Gauss-Newton pass is used: the covector
   * V_x' + V_xx' gap that multiplies f_xx then grows with the regularization itself (mu gap,
   * V_xx being regularized), so raising mu cannot make Q_uu positive definite (measured: 19
   * of 20 double-pendulum solves from the interpolation guess stopped at the first iterate
   * with 'backwardPassFailed' when the curvature was used there).
   */
  secondOrder: boolean;
  /** Recompute the final gains with the second-order terms (exact du/dx at a minimum). */
  exactGains: boolean;
  /** Record one IterationRecord per iteration. */
  history: boolean;
}

export const defaultSolverOptions: SolverOptions = {
  maxIterations: 1000,
  tolerance: 1e-9,
  feasibilityTolerance: 1e-9,
  regInit: 0,
  regMin: 1e-9,
  regMax: 1e9,
  regFactor: 10,
  regularizeValue: true,
  stepIncrease: 0.125,
  stepDecrease: 0.5,
  minStep: 2 ** -10,
  acceptRatio: 0.1,
  acceptIncreaseRatio: 2,
  secondOrder: false,
  exactGains: true,
  history: true,
};

/**
 * Where a solve starts. Both parts are checked (inputs.ts): the right counts and lengths,
 * finite entries (else an InitialGuessError naming the knot); controls outside the box are
 * projected onto it, and `solution.projectedControls` says how many entries were.
 */
export interface InitialGuess {
  /** T + 1 states (FDDP uses them, possibly infeasible; DDP rolls out `us` instead and does not read them). */
  xs?: readonly ArrayLike<number>[];
  /** T controls (zeros when omitted). */
  us?: readonly ArrayLike<number>[];
}

export type ShootingMode = 'ddp' | 'fddp';

/** A solver's state between iterations: what the small steps below read and write. */
interface LoopState {
  ws: Workspace;
  ctx: RolloutContext;
  problem: OcpProblem;
  opt: SolverOptions;
  mode: ShootingMode;
  mu: number;
  feasibility: number;
  gradientNorm: number;
  derivativesFresh: boolean;
  improvement: { g: number; h: number };
  timings: { derivativesMs: number; backwardMs: number; forwardMs: number };
}

/** Step 1: derivatives at the current iterate (once per accepted step). */
function derivatives(s: LoopState): boolean {
  if (s.derivativesFresh) return true;
  const t0 = performance.now();
  s.feasibility = computeDerivatives(s.ws, s.ctx, s.problem.x0, s.mode === 'fddp');
  s.timings.derivativesMs += performance.now() - t0;
  s.derivativesFresh = true;
  return Number.isFinite(s.feasibility);
}

/** Step 2: the backward pass at the current regularization; false when Q_uu failed. */
function backward(s: LoopState, curvature = false): boolean {
  const t0 = performance.now();
  const r = backwardPass(s.ws, {
    mu: s.mu,
    regularizeValue: s.opt.regularizeValue,
    gaps: s.feasibility > 0,
    bounds: s.problem.controlBounds,
    curvature: curvature ? compileDynamicsCurvature(s.problem.dynamics) : null,
  });
  s.timings.backwardMs += performance.now() - t0;
  s.gradientNorm = r.gradientNorm;
  return r.failedAt < 0;
}

/** Step 4: the stopping test (Crocoddyl: expected improvement below threshold, feasible). */
function converged(s: LoopState): boolean {
  const J = s.ws.current.cost;
  return s.feasibility <= s.opt.feasibilityTolerance && Math.abs(s.improvement.g) <= s.opt.tolerance * (1 + Math.abs(J));
}

/** Relative rounding level of a summed cost (T terms of a few operations each). */
const ROUNDOFF = 1e-13;

/** Step 5: backtracking line search on the expected improvement; the accepted step or 0. */
function lineSearch(s: LoopState): number {
  const t0 = performance.now();
  const J = s.ws.current.cost;
  const { g, h } = s.improvement;
  const gaps = s.mode === 'fddp' && s.feasibility > 0;
  let accepted = 0;
  for (let alpha = 1; alpha >= s.opt.minStep; alpha *= 0.5) {
    const Jtry = rollout(s.ws, s.ctx, alpha, gaps);
    if (!Number.isFinite(Jtry)) continue;
    const expected = -(alpha * g + 0.5 * alpha * alpha * h);
    const actual = J - Jtry;
    // Below the rounding level of J a decrease cannot be measured: trust the model there
    // (otherwise the last Newton steps of a tight solve are rejected for noise).
    const noise = ROUNDOFF * (1 + Math.abs(J));
    const ok =
      (expected >= 0 ? actual >= s.opt.acceptRatio * expected : actual >= s.opt.acceptIncreaseRatio * expected) ||
      (Math.abs(expected) <= noise && actual >= -noise);
    if (ok) {
      accepted = alpha;
      break;
    }
  }
  if (accepted > 0) {
    s.ws.acceptTrial();
    s.derivativesFresh = false;
  }
  s.timings.forwardMs += performance.now() - t0;
  return accepted;
}

/**
 * Step 6: regularization schedule (Crocoddyl's form: x regFactor on a short or failed step,
 * / regFactor on a full one; see `stepIncrease` for the bands). mu enters Q_uu and V_xx
 * (backward.ts). Below regMin it drops to exactly 0 (as in Tassa's iLQG), so a
 * well-behaved problem takes pure Newton steps (an LQR is then solved exactly in one
 * iteration, not up to O(mu)).
 */
function updateRegularization(s: LoopState, step: number): void {
  if (step > s.opt.stepDecrease) s.mu = s.mu / s.opt.regFactor < s.opt.regMin ? 0 : s.mu / s.opt.regFactor;
  if (step <= s.opt.stepIncrease) s.mu = increased(s);
}

function increased(s: LoopState): number {
  return Math.min(Math.max(s.mu * s.opt.regFactor, s.opt.regMin), s.opt.regMax);
}

/** Load the initial guess into the workspace and evaluate it; false if it is not finite. */
function initialize(s: LoopState, init: InitialGuess): boolean {
  const { ws, problem } = s;
  const cur = ws.current;
  for (let t = 0; t < ws.T; t++) {
    if (init.us) cur.us[t]!.set(init.us[t]!);
    else cur.us[t]!.fill(0);
  }
  if (s.mode === 'fddp' && init.xs) {
    for (let t = 0; t <= ws.T; t++) cur.xs[t]!.set(init.xs[t]!);
    return Number.isFinite(evaluate(cur, s.ctx));
  }
  return Number.isFinite(simulate(cur, s.ctx, problem.x0));
}

export interface CoreResult {
  solution: OcpSolution;
  workspace: Workspace;
  /** The loop's regularization mu when it stopped (before the gains' final unregularized pass): where a following solve of a nearby problem may start. */
  regularization: number;
}

/**
 * Run the loop. `objective` defaults to the problem's costs; the constrained solver passes
 * its augmented Lagrangian and reuses `workspace` between outer iterations. A bad guess or
 * option throws (InitialGuessError, SolverOptionsError: inputs.ts) before any work is done.
 */
export function solveCore(
  problem: OcpProblem,
  mode: ShootingMode,
  options: Partial<SolverOptions> = {},
  init: InitialGuess = {},
  objective: Objective = costObjective(problem),
  workspace?: Workspace,
): CoreResult {
  const start = performance.now();
  if (mode !== 'ddp' && mode !== 'fddp') throw new SolverOptionsError('solveCore', 'mode', mode, "is not 'ddp' or 'fddp'");
  const opt = resolveOptions<SolverOptions>(mode, defaultSolverOptions, options);
  const projectedControls = checkGuess(mode, problem, { xs: init.xs, us: init.us }, mode === 'fddp');
  const { dynamics } = problem;
  const ws = workspace ?? new Workspace(problem.horizon, dynamics.nx, dynamics.ndx, dynamics.nu);
  const ctx: RolloutContext = { dynamics, manifold: compileManifold(dynamics.manifold), objective, bounds: problem.controlBounds };
  const s: LoopState = {
    ws, ctx, problem, opt, mode,
    mu: opt.regInit,
    feasibility: 0,
    gradientNorm: Number.NaN,
    derivativesFresh: false,
    improvement: { g: Number.NaN, h: Number.NaN },
    timings: { derivativesMs: 0, backwardMs: 0, forwardMs: 0 },
  };
  for (const knot of ws.knots) knot.k.fill(0);
  const history: IterationRecord[] = [];
  let reason: StopReason = 'maxIterations';
  let iterations = 0;
  if (!initialize(s, init)) {
    reason = 'nonFinite';
  } else {
    for (;;) {
      if (!derivatives(s)) {
        reason = 'nonFinite';
        break;
      }
      if (!backward(s, opt.secondOrder && s.feasibility <= opt.feasibilityTolerance)) {
        if (s.mu >= opt.regMax) {
          reason = 'backwardPassFailed';
          break;
        }
        s.mu = increased(s);
        continue;
      }
      expectedImprovement(ws, s.improvement);
      if (converged(s)) {
        reason = 'converged';
        break;
      }
      if (iterations >= opt.maxIterations) {
        reason = 'maxIterations';
        break;
      }
      iterations++;
      const costBefore = ws.current.cost;
      const feasBefore = s.feasibility;
      const step = lineSearch(s);
      updateRegularization(s, step);
      if (opt.history) {
        history.push({
          iteration: iterations,
          cost: costBefore,
          gradientNorm: s.gradientNorm,
          feasibility: feasBefore,
          expectedImprovement: s.improvement.g,
          step,
          regularization: s.mu,
        });
      }
      if (step === 0 && s.mu >= opt.regMax) {
        reason = 'lineSearchFailed';
        break;
      }
    }
  }
  const regularization = s.mu;
  const solution = finalize(s, reason, iterations, history, start, projectedControls);
  return { solution, workspace: ws, regularization };
}

/**
 * Gains at the returned iterate: one more backward pass without regularization (raised
 * only if Q_uu is not positive definite there) and, when feasible and asked for, with the
 * dynamics' second-order terms, so that K_t = du_t/dx_t and V_x, V_xx are the derivatives
 * of the optimal cost-to-go at a strict local minimum.
 */
function finalize(
  s: LoopState, reason: StopReason, iterations: number, history: IterationRecord[], start: number, projectedControls: number,
): OcpSolution {
  const { ws, opt } = s;
  let exact = false;
  const finite = reason !== 'nonFinite' && derivatives(s);
  if (finite) {
    const wantExact = opt.exactGains && s.feasibility <= opt.feasibilityTolerance;
    let ok = false;
    for (const curvature of wantExact ? [true, false] : [false]) {
      s.mu = 0;
      while (!(ok = backward(s, curvature)) && s.mu < opt.regMax) s.mu = s.mu === 0 ? opt.regMin : s.mu * opt.regFactor;
      if (ok) {
        // Exact only unregularized: with mu > 0 the pass is not the derivative of anything.
        exact = curvature && s.mu === 0;
        break;
      }
    }
  } else if (reason !== 'nonFinite') {
    reason = 'nonFinite';
  }
  const cur = ws.current;
  const T = ws.T;
  const copy = (a: Float64Array) => a.slice();
  const total = performance.now() - start;
  return {
    xs: cur.xs.map(copy),
    us: cur.us.map(copy),
    K: ws.knots.slice(0, T).map((k) => k.K.data.slice()),
    k: ws.knots.slice(0, T).map((k) => k.k.slice()),
    Vx: ws.knots.map((k) => k.Vx.slice()),
    Vxx: ws.knots.map((k) => k.Vxx.data.slice()),
    fx: ws.knots.slice(0, T).map((k) => k.fx.data.slice()),
    fu: ws.knots.slice(0, T).map((k) => k.fu.data.slice()),
    clamped: ws.knots.slice(0, T).map((k) => k.free.map((f) => 1 - f)),
    cost: cur.cost,
    iterations,
    converged: reason === 'converged',
    reason,
    feasibility: s.feasibility,
    gradientNorm: s.gradientNorm,
    timings: { totalMs: total, perIterationMs: iterations > 0 ? total / iterations : 0, ...s.timings },
    history,
    exactGains: exact,
    projectedControls,
  };
}

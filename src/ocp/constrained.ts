/**
 * A constrained solver of the augmented-Lagrangian family (the ProxDDP line of Jallet et
 * al. 2022, 2023, in its simplest primal form, close to ALTRO): general constraints
 * c_t(x_t, u_t) (= 0 / <= 0) are moved into the objective with multipliers per knot,
 *
 *   L_A = sum_t l_t + sum_t phi(c_t; lambda_t, rho),
 *   phi = lambda^T c + rho/2 |c|^2                              (equality rows)
 *   phi = (|max(0, lambda + rho c)|^2 - |lambda|^2) / (2 rho)   (inequality rows, PHR)
 *
 * and each outer iteration minimizes L_A with the shared DDP/FDDP core (its line search on
 * L_A is the merit-function line search), warm-started from the previous iterate; control
 * bounds stay in the box QP. The gradient of phi is J^T y with y = lambda + rho c
 * (projected on y >= 0 for inequalities), its Hessian approximated by rho J^T D J, D the
 * active rows (Gauss-Newton: second derivatives of c are left out, which changes the speed
 * of convergence, not the fixed point).
 *
 * Multipliers and penalty follow the bound-constrained Lagrangian (BCL) schedule of
 * Conn, Gould & Toint (Nocedal & Wright, Alg. 17.4), as ProxNLP / ProxDDP use it: if the
 * violation is below eta, accept the first-order update lambda <- y and tighten eta and
 * the inner tolerance omega; otherwise raise rho and reset them. Convergence: violation
 * <= constraintTolerance after an inner solve at the final tolerance, which are the KKT
 * conditions with the updated multipliers. A violation that rho_max cannot remove is
 * reported as 'infeasible'.
 *
 * Not implemented: ProxDDP's primal-dual Newton step on the multipliers and its
 * proximal (dual) regularization; here the multipliers change only between inner solves.
 */
import { type InitialGuess, type SolverOptions, defaultSolverOptions, solveCore } from './core.js';
import { checkGuess, resolveOptions } from './inputs.js';
import { type Objective, costObjective } from './objective.js';
import type { Constraint, OcpProblem } from './problem.js';
import type { IterationRecord, OcpSolution, StopReason } from './solution.js';
import type { Knot, Workspace } from './workspace.js';

export interface ConstrainedOptions extends SolverOptions {
  maxOuterIterations: number;
  penaltyInit: number;
  penaltyMax: number;
  penaltyFactor: number;
  /** Max violation of the general constraints at convergence. */
  constraintTolerance: number;
  /** Inner shooting mode. */
  mode: 'ddp' | 'fddp';
}

export const defaultConstrainedOptions: ConstrainedOptions = {
  ...defaultSolverOptions,
  exactGains: false,
  maxOuterIterations: 60,
  penaltyInit: 10,
  penaltyMax: 1e8,
  penaltyFactor: 10,
  constraintTolerance: 1e-6,
  mode: 'fddp',
};

export interface ConstrainedGuess extends InitialGuess {
  /** Warm-start multipliers: T entries for the stage constraint, then one for the terminal one. */
  multipliers?: readonly ArrayLike<number>[];
}

/** Per-knot constraint buffers and multipliers. */
class AugmentedLagrangian {
  rho: number;
  readonly lambda: Float64Array[];
  readonly c: Float64Array[];
  readonly cx: Float64Array[];
  readonly cu: Float64Array[];
  readonly y: Float64Array[];

  constructor(readonly problem: OcpProblem, rho: number) {
    const { horizon: T, dynamics } = problem;
    this.rho = rho;
    const size = (t: number) => {
      const con = this.constraintAt(t);
      return con ? con.ne + con.ni : 0;
    };
    const make = (n: (t: number) => number) => Array.from({ length: T + 1 }, (_, t) => new Float64Array(n(t)));
    this.lambda = make(size);
    this.c = make(size);
    this.y = make(size);
    this.cx = make((t) => size(t) * dynamics.ndx);
    this.cu = make((t) => size(t) * dynamics.nu);
  }

  constraintAt(t: number): Constraint | null {
    return t === this.problem.horizon ? this.problem.terminalConstraint : this.problem.stageConstraint;
  }

  /** phi(c; lambda, rho) and y = the (projected) first-order multiplier estimate. */
  penalty(t: number, con: Constraint): number {
    const c = this.c[t]!;
    const lam = this.lambda[t]!;
    const y = this.y[t]!;
    const rho = this.rho;
    let v = 0;
    for (let i = 0; i < c.length; i++) {
      const yi = lam[i]! + rho * c[i]!;
      if (i < con.ne) {
        y[i] = yi;
        v += lam[i]! * c[i]! + 0.5 * rho * c[i]! * c[i]!;
      } else {
        y[i] = yi > 0 ? yi : 0;
        v += (y[i]! * y[i]! - lam[i]! * lam[i]!) / (2 * rho);
      }
    }
    return v;
  }

  /** Add J^T y and rho J^T D J to the knot's derivatives (D: equality and active rows). */
  addDerivatives(t: number, con: Constraint, knot: Knot, ndx: number, nu: number): void {
    const c = this.c[t]!;
    const y = this.y[t]!;
    const cx = this.cx[t]!;
    const cu = this.cu[t]!;
    const rho = this.rho;
    const stage = t < this.problem.horizon;
    for (let r = 0; r < c.length; r++) {
      const active = r < con.ne || y[r]! > 0;
      if (!active) continue;
      const yr = y[r]!;
      const jx = r * ndx;
      for (let i = 0; i < ndx; i++) {
        knot.lx[i] += yr * cx[jx + i]!;
        for (let j = 0; j < ndx; j++) knot.lxx[i * ndx + j] += rho * cx[jx + i]! * cx[jx + j]!;
      }
      if (!stage) continue;
      const ju = r * nu;
      for (let i = 0; i < nu; i++) {
        knot.lu[i] += yr * cu[ju + i]!;
        for (let j = 0; j < ndx; j++) knot.lux[i * ndx + j] += rho * cu[ju + i]! * cx[jx + j]!;
        for (let j = 0; j < nu; j++) knot.luu[i * nu + j] += rho * cu[ju + i]! * cu[ju + j]!;
      }
    }
  }

  objective(base: Objective): Objective {
    const { problem } = this;
    const { xi } = problem;
    const { ndx, nu } = problem.dynamics;
    const empty = new Float64Array(0);
    return {
      stageValue: (t, x, u) => {
        const con = problem.stageConstraint;
        const v = base.stageValue(t, x, u);
        if (!con) return v;
        con.value(x, u, xi, this.c[t]!);
        return v + this.penalty(t, con);
      },
      terminalValue: (x) => {
        const con = problem.terminalConstraint;
        const T = problem.horizon;
        const v = base.terminalValue(x);
        if (!con) return v;
        con.value(x, empty, xi, this.c[T]!);
        return v + this.penalty(T, con);
      },
      stageDerivatives: (t, x, u, knot) => {
        const con = problem.stageConstraint;
        const v = base.stageDerivatives(t, x, u, knot);
        if (!con) return v;
        con.jacobians(x, u, xi, this.c[t]!, this.cx[t]!, this.cu[t]!);
        const p = this.penalty(t, con);
        this.addDerivatives(t, con, knot, ndx, nu);
        return v + p;
      },
      terminalDerivatives: (x, knot) => {
        const con = problem.terminalConstraint;
        const T = problem.horizon;
        const v = base.terminalDerivatives(x, knot);
        if (!con) return v;
        con.jacobians(x, empty, xi, this.c[T]!, this.cx[T]!, empty);
        const p = this.penalty(T, con);
        this.addDerivatives(T, con, knot, ndx, 0);
        return v + p;
      },
    };
  }

  /** Evaluate c along a trajectory; return the max violation (|c| for =, max(c, 0) for <=). */
  evaluate(xs: Float64Array[], us: Float64Array[]): number {
    const { problem } = this;
    let v = 0;
    for (let t = 0; t <= problem.horizon; t++) {
      const con = this.constraintAt(t);
      if (!con) continue;
      con.value(xs[t]!, t < problem.horizon ? us[t]! : new Float64Array(0), problem.xi, this.c[t]!);
      this.penalty(t, con);
      const c = this.c[t]!;
      for (let i = 0; i < c.length; i++) v = Math.max(v, i < con.ne ? Math.abs(c[i]!) : Math.max(c[i]!, 0));
    }
    return v;
  }

  acceptMultipliers(): void {
    for (let t = 0; t < this.lambda.length; t++) this.lambda[t]!.set(this.y[t]!);
  }
}

export function solveConstrained(problem: OcpProblem, init: ConstrainedGuess = {}, options: Partial<ConstrainedOptions> = {}): OcpSolution {
  const start = performance.now();
  const opt = resolveOptions<ConstrainedOptions>('constrained', defaultConstrainedOptions, options);
  const projectedControls = checkGuess('constrained', problem, init, opt.mode === 'fddp');
  const al = new AugmentedLagrangian(problem, opt.penaltyInit);
  if (init.multipliers) init.multipliers.forEach((m, t) => al.lambda[t]?.set(m));
  const objective = al.objective(costObjective(problem));
  let rho = opt.penaltyInit;
  let eta = Math.max(rho ** -0.1, opt.constraintTolerance);
  let omega = Math.max(1 / rho, opt.tolerance);
  let guess: InitialGuess = { xs: init.xs, us: init.us };
  let workspace: Workspace | undefined;
  let regInit = opt.regInit;
  let sol: OcpSolution | null = null;
  const history: IterationRecord[] = [];
  let iterations = 0;
  let reason: StopReason = 'maxIterations';
  let violation = Number.POSITIVE_INFINITY;
  // Phase timings summed over the inner solves (each reports only its own).
  const phases = { derivativesMs: 0, backwardMs: 0, forwardMs: 0 };
  for (let outer = 0; outer < opt.maxOuterIterations; outer++) {
    al.rho = rho;
    const budget = opt.maxIterations - iterations;
    const inner = solveCore(problem, opt.mode, { ...opt, tolerance: omega, maxIterations: budget, exactGains: false, regInit }, guess, objective, workspace);
    workspace = inner.workspace;
    // The next inner solve starts from this one's regularization: restarting at regInit costs
    // every outer iteration a run of rejected steps while mu climbs back (measured on the
    // quadrotor: 6-8 of them per outer iteration, a third of a solve's iterations).
    regInit = inner.regularization;
    sol = inner.solution;
    iterations += sol.iterations;
    phases.derivativesMs += sol.timings.derivativesMs;
    phases.backwardMs += sol.timings.backwardMs;
    phases.forwardMs += sol.timings.forwardMs;
    history.push(...sol.history);
    violation = al.evaluate(sol.xs, sol.us);
    if (history.length) history[history.length - 1]!.constraintViolation = violation;
    if (sol.reason === 'nonFinite' || sol.reason === 'backwardPassFailed') {
      reason = sol.reason;
      break;
    }
    if (iterations >= opt.maxIterations) {
      reason = 'maxIterations';
      break;
    }
    guess = { xs: sol.xs, us: sol.us };
    if (violation <= eta) {
      al.acceptMultipliers();
      if (violation <= opt.constraintTolerance && sol.converged && omega <= opt.tolerance) {
        reason = 'converged';
        break;
      }
      eta = Math.max(eta / rho ** 0.9, opt.constraintTolerance);
      omega = Math.max(omega / rho, opt.tolerance);
    } else {
      if (rho >= opt.penaltyMax) {
        reason = 'infeasible';
        break;
      }
      rho = Math.min(rho * opt.penaltyFactor, opt.penaltyMax);
      eta = Math.max(rho ** -0.1, opt.constraintTolerance);
      omega = Math.max(1 / rho, opt.tolerance);
    }
  }
  const out = sol!;
  const total = performance.now() - start;
  // The inner solves report L_A; the solution's cost is the problem's own objective J at the iterate.
  const J = costObjective(problem);
  const T = problem.horizon;
  let cost = J.terminalValue(out.xs[T]!);
  for (let t = 0; t < T; t++) cost += J.stageValue(t, out.xs[t]!, out.us[t]!);
  return {
    ...out,
    cost,
    iterations,
    converged: reason === 'converged',
    reason,
    history,
    multipliers: al.lambda.map((l) => l.slice()),
    constraintViolation: violation,
    projectedControls,
    timings: { totalMs: total, perIterationMs: iterations > 0 ? total / iterations : 0, ...phases },
  };
}

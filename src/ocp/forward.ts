/**
 * Forward passes: the nonlinear rollout of the current policy with step length alpha, and
 * the derivatives at an accepted trajectory.
 *
 * Rollout (Tassa 2012, eq. 12; with gaps, Mastalli et al. 2020, eq. 12):
 *
 *   u_t     = clamp(u_t + alpha k_t + K_t (x'_t (-) x_t))
 *   x'_0    = x_0 (+) alpha gap_0
 *   x'_{t+1} = f(x'_t, u'_t) (+) (alpha - 1) gap_{t+1}      (FDDP: gaps shrink by (1 - alpha))
 *   x'_{t+1} = f(x'_t, u'_t)                                 (DDP: a single-shooting rollout)
 *
 * With alpha = 1 both close every gap. Returns the trial cost, or NaN as soon as anything
 * is not finite (a failure the line search treats as a rejected step).
 */
import { NonFiniteInputError, NonFiniteResultError } from '../dynamics/errors.js';
import type { ControlBounds, DiscreteDynamics } from '../dynamics/interface.js';
import type { CompiledManifold } from './compiled.js';
import type { Objective } from './objective.js';
import type { Trajectory, Workspace } from './workspace.js';

export interface RolloutContext {
  readonly dynamics: DiscreteDynamics;
  readonly manifold: CompiledManifold;
  readonly objective: Objective;
  readonly bounds: ControlBounds | null;
}

function clampInto(u: Float64Array, bounds: ControlBounds | null): void {
  if (!bounds) return;
  for (let i = 0; i < u.length; i++) {
    const v = u[i]!;
    u[i] = v < bounds.lower[i]! ? bounds.lower[i]! : v > bounds.upper[i]! ? bounds.upper[i]! : v;
  }
}

/**
 * The dynamics layer throws a typed error for a non-finite input or result (a diverging
 * trial rollout, DESIGN section 4). Inside the solver that is an ordinary outcome: a trial
 * step that blew up is rejected, an initial guess that blows up is a 'nonFinite' result.
 * These wrappers turn exactly those two errors into `false` (and NaN in `out`); any other
 * error (a wrong length, a non-unit quaternion) is a bug and propagates.
 */
function isNonFinite(e: unknown): boolean {
  return e instanceof NonFiniteResultError || e instanceof NonFiniteInputError;
}

export function tryStep(dynamics: DiscreteDynamics, x: Float64Array, u: Float64Array, out: Float64Array): boolean {
  try {
    dynamics.step(x, u, out);
  } catch (e) {
    if (!isNonFinite(e)) throw e;
    out.fill(Number.NaN);
    return false;
  }
  return allFinite(out);
}

export function tryJacobians(dynamics: DiscreteDynamics, x: Float64Array, u: Float64Array, fx: Float64Array, fu: Float64Array): boolean {
  try {
    dynamics.jacobians(x, u, fx, fu);
  } catch (e) {
    if (!isNonFinite(e)) throw e;
    return false;
  }
  return allFinite(fx) && allFinite(fu);
}

function allFinite(a: Float64Array): boolean {
  for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i]!)) return false;
  return true;
}

/** Roll the policy out into ws.trial; `gaps` says whether to keep (1 - alpha) of them (FDDP). */
export function rollout(ws: Workspace, ctx: RolloutContext, alpha: number, gaps: boolean): number {
  const cur = ws.current;
  const tr = ws.trial;
  const { manifold, dynamics, objective } = ctx;
  const s = ws.scratch;
  const T = ws.T;
  const nu = ws.nu;
  const ndx = ws.ndx;
  if (gaps) {
    const g = ws.knots[0]!.gap;
    for (let i = 0; i < ndx; i++) s.dx2[i] = alpha * g[i]!;
    manifold.integrate(cur.xs[0]!, s.dx2, tr.xs[0]!);
  } else {
    tr.xs[0]!.set(cur.xs[0]!);
  }
  let cost = 0;
  for (let t = 0; t < T; t++) {
    const knot = ws.knots[t]!;
    const x = tr.xs[t]!;
    const u = tr.us[t]!;
    manifold.difference(cur.xs[t]!, x, s.dx);
    const K = knot.K.data;
    const ub = cur.us[t]!;
    for (let i = 0; i < nu; i++) {
      let v = ub[i]! + alpha * knot.k[i]!;
      for (let j = 0; j < ndx; j++) v += K[i * ndx + j]! * s.dx[j]!;
      u[i] = v;
    }
    clampInto(u, ctx.bounds);
    cost += objective.stageValue(t, x, u);
    const next = tr.xNext[t]!;
    if (!Number.isFinite(cost) || !tryStep(dynamics, x, u, next)) return (tr.cost = Number.NaN);
    if (gaps && alpha !== 1) {
      const g = ws.knots[t + 1]!.gap;
      for (let i = 0; i < ndx; i++) s.dx2[i] = (alpha - 1) * g[i]!;
      manifold.integrate(next, s.dx2, tr.xs[t + 1]!);
    } else {
      tr.xs[t + 1]!.set(next);
    }
  }
  cost += objective.terminalValue(tr.xs[T]!);
  tr.cost = Number.isFinite(cost) ? cost : Number.NaN;
  return tr.cost;
}

/** Open-loop single-shooting rollout of `traj.us` from x0 into `traj` (the DDP start). */
export function simulate(traj: Trajectory, ctx: RolloutContext, x0: Float64Array): number {
  const T = traj.us.length;
  traj.xs[0]!.set(x0);
  let cost = 0;
  for (let t = 0; t < T; t++) {
    clampInto(traj.us[t]!, ctx.bounds);
    cost += ctx.objective.stageValue(t, traj.xs[t]!, traj.us[t]!);
    if (!tryStep(ctx.dynamics, traj.xs[t]!, traj.us[t]!, traj.xNext[t]!)) return (traj.cost = Number.NaN);
    traj.xs[t + 1]!.set(traj.xNext[t]!);
  }
  cost += ctx.objective.terminalValue(traj.xs[T]!);
  return (traj.cost = Number.isFinite(cost) ? cost : Number.NaN);
}

/** Cost of a given (possibly infeasible) trajectory, with f(x_t, u_t) stored for the gaps. */
export function evaluate(traj: Trajectory, ctx: RolloutContext): number {
  const T = traj.us.length;
  let cost = 0;
  for (let t = 0; t < T; t++) {
    clampInto(traj.us[t]!, ctx.bounds);
    cost += ctx.objective.stageValue(t, traj.xs[t]!, traj.us[t]!);
    if (!tryStep(ctx.dynamics, traj.xs[t]!, traj.us[t]!, traj.xNext[t]!)) return (traj.cost = Number.NaN);
  }
  cost += ctx.objective.terminalValue(traj.xs[T]!);
  return (traj.cost = Number.isFinite(cost) ? cost : Number.NaN);
}

/**
 * Derivatives at the current trajectory: f_x, f_u, the objective's gradient and Hessian,
 * and the gaps. Returns the max-norm of the gaps (the infeasibility), or NaN if any
 * derivative is not finite.
 */
export function computeDerivatives(ws: Workspace, ctx: RolloutContext, x0: Float64Array, withGaps: boolean): number {
  const cur = ws.current;
  const T = ws.T;
  let feas = 0;
  let finite = true;
  for (let t = 0; t < T; t++) {
    const knot = ws.knots[t]!;
    const x = cur.xs[t]!;
    const u = cur.us[t]!;
    finite &&= tryJacobians(ctx.dynamics, x, u, knot.fx.data, knot.fu.data);
    knot.cost = ctx.objective.stageDerivatives(t, x, u, knot);
    finite &&= Number.isFinite(knot.cost) && allFinite(knot.lx) && allFinite(knot.lu);
    finite &&= allFinite(knot.lxx) && allFinite(knot.lux) && allFinite(knot.luu);
  }
  const term = ws.knots[T]!;
  term.cost = ctx.objective.terminalDerivatives(cur.xs[T]!, term);
  finite &&= Number.isFinite(term.cost) && allFinite(term.lx) && allFinite(term.lxx);
  if (withGaps) {
    ctx.manifold.difference(cur.xs[0]!, x0, ws.knots[0]!.gap);
    feas = maxAbs(ws.knots[0]!.gap);
    for (let t = 0; t < T; t++) {
      const g = ws.knots[t + 1]!.gap;
      ctx.manifold.difference(cur.xs[t + 1]!, cur.xNext[t]!, g);
      feas = Math.max(feas, maxAbs(g));
    }
    finite &&= Number.isFinite(feas);
  } else {
    for (const k of ws.knots) k.gap.fill(0);
  }
  return finite ? feas : Number.NaN;
}

function maxAbs(a: Float64Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]!));
  return a.length && Number.isNaN(a[0]!) ? Number.NaN : m;
}

/**
 * Expected improvement: the change of the local quadratic model along the step of length
 * alpha is  m(alpha) = alpha g + alpha^2 h / 2,  where (g, h) come from one *linear*
 * rollout of the full step (dx_0 = gap_0, du_t = k_t + K_t dx_t,
 * dx_{t+1} = f_x dx_t + f_u du_t + gap_{t+1}):
 *
 *   g = sum_t l_x.dx_t + l_u.du_t,   h = sum_t [dx;du]^T [l_xx l_ux^T; l_ux l_uu] [dx;du]
 *
 * (plus the terminal terms). Every piece of the step is linear in alpha, so this is exact
 * for the model. Without gaps it equals Tassa's  alpha k^T Q_u + alpha^2/2 k^T Q_uu k; with
 * gaps it is the quantity Mastalli et al. 2020 (eq. 20) express through V_x and V_xx.
 */
export function expectedImprovement(ws: Workspace, out: { g: number; h: number }): void {
  const s = ws.scratch;
  const ndx = ws.ndx;
  const nu = ws.nu;
  const dx = s.dx;
  const du = s.du;
  const nx2 = s.dx2;
  dx.set(ws.knots[0]!.gap);
  let g = 0;
  let h = 0;
  for (let t = 0; t < ws.T; t++) {
    const knot = ws.knots[t]!;
    const K = knot.K.data;
    for (let i = 0; i < nu; i++) {
      let v = knot.k[i]!;
      for (let j = 0; j < ndx; j++) v += K[i * ndx + j]! * dx[j]!;
      du[i] = v;
    }
    const lxx = knot.lxx;
    const lux = knot.lux;
    const luu = knot.luu;
    for (let i = 0; i < ndx; i++) {
      g += knot.lx[i]! * dx[i]!;
      let r = 0;
      for (let j = 0; j < ndx; j++) r += lxx[i * ndx + j]! * dx[j]!;
      h += dx[i]! * r;
    }
    for (let i = 0; i < nu; i++) {
      g += knot.lu[i]! * du[i]!;
      let r = 0;
      for (let j = 0; j < ndx; j++) r += 2 * lux[i * ndx + j]! * dx[j]!;
      for (let j = 0; j < nu; j++) r += luu[i * nu + j]! * du[j]!;
      h += du[i]! * r;
    }
    const fx = knot.fx.data;
    const fu = knot.fu.data;
    const gapNext = ws.knots[t + 1]!.gap;
    for (let i = 0; i < ndx; i++) {
      let v = gapNext[i]!;
      for (let j = 0; j < ndx; j++) v += fx[i * ndx + j]! * dx[j]!;
      for (let j = 0; j < nu; j++) v += fu[i * nu + j]! * du[j]!;
      nx2[i] = v;
    }
    dx.set(nx2);
  }
  const term = ws.knots[ws.T]!;
  for (let i = 0; i < ndx; i++) {
    g += term.lx[i]! * dx[i]!;
    let r = 0;
    for (let j = 0; j < ndx; j++) r += term.lxx[i * ndx + j]! * dx[j]!;
    h += dx[i]! * r;
  }
  out.g = g;
  out.h = h;
}

/**
 * The backward pass shared by DDP, FDDP and the constrained solver: a Riccati-like sweep
 * from the terminal knot to the first, building the local quadratic model of the
 * Q-function and solving it for the feed-forward term k_t and the gain K_t.
 *
 * Per knot (Tassa, Erez & Todorov 2012, eq. 5; with the gaps of FDDP, Mastalli et al.
 * 2020, eq. 9: the value is expanded at x_{t+1} but the linearized dynamics land at
 * f(x_t, u_t) = x_{t+1} (+) gap_{t+1}, so the next value's gradient is shifted by
 * V_xx gap):
 *
 *   v    = V_x' + V_xx' gap'
 *   Q_x  = l_x + f_x^T v          Q_xx = l_xx + f_x^T V_xx' f_x  [+ v . f_xx]
 *   Q_u  = l_u + f_u^T v          Q_ux = l_ux + f_u^T V_xx' f_x  [+ v . f_ux]
 *                                 Q_uu = l_uu + f_u^T V_xx' f_u  [+ v . f_uu]
 *
 * The bracketed tensor terms make it true DDP (optional; the final gains use them, see
 * solution.ts). Regularization adds mu I to Q_uu and, by default, to every V_xx as well
 * (Crocoddyl 2 does both; Tassa 2012 eq. 10 regularizes V_xx'; see regularizeValue). Then, with box bounds, the box QP of boxqp.ts (Tassa 2014),
 * without them a Cholesky solve:  k = -Q_uu^{-1} Q_u,  K = -Q_uu^{-1} Q_ux, clamped rows 0.
 *
 * The value update uses the forms valid for *any* k, K (Tassa 2012, eq. 11), so it stays
 * consistent when k is clamped or Q_uu regularized:
 *
 *   V_x  = Q_x + K^T (Q_uu k + Q_u) + Q_ux^T k
 *   V_xx = Q_xx + K^T (Q_uu K + Q_ux) + Q_ux^T K      (symmetrized)
 */
import {
  addScaledIdentity, copyInto, mulAtBAcc, mulAtBSymmetricAcc, mulAtVecAcc, mul, mulAcc, mulVec, mulVecAcc, symmetrize,
} from '../linalg/index.js';
import type { ControlBounds } from '../dynamics/interface.js';
import { solveBoxQp } from './boxqp.js';
import type { DynamicsCurvature } from './compiled.js';
import type { Knot, Workspace } from './workspace.js';

export interface BackwardOptions {
  /** Regularization added to Q_uu. */
  mu: number;
  /** Also add mu I to every V_xx (Crocoddyl's state regularization); see `regularizeValue`. */
  regularizeValue: boolean;
  /** Whether the trajectory has gaps to account for (FDDP while infeasible). */
  gaps: boolean;
  bounds: ControlBounds | null;
  /** The dynamics' curvature for true DDP, or null for iLQR / Gauss-Newton. */
  curvature: DynamicsCurvature | null;
}

export interface BackwardResult {
  /** -1 on success, else the knot where Q_uu (+ mu I) was not positive definite or not finite. */
  failedAt: number;
  /** max_t of the infinity norm of the projected Q_u (first-order stationarity). */
  gradientNorm: number;
}

const result: BackwardResult = { failedAt: -1, gradientNorm: 0 };

/** Terminal knot: V = l_T. */
function terminalValue(knot: Knot): void {
  knot.Vx.set(knot.lx);
  knot.Vxx.data.set(knot.lxx);
}

/**
 * V_xx <- V_xx + mu I. Regularizing Q_uu alone cannot repair a value Hessian that is
 * indefinite (exact Hessians of a nonconvex cost, or the dynamics' curvature): the negative
 * part is propagated and amplified backward through f_x^T V_xx f_x until no mu makes Q_uu
 * positive definite. Adding mu to V_xx at every knot (Tassa, Erez & Todorov 2012, eq. 10
 * regularize V_xx'; Crocoddyl 2 adds its preg to both Q_uu and V_xx) bounds that growth and
 * penalizes the state deviation of the step, which keeps the closed-loop rollout near the
 * trajectory where the model holds. The returned gains are computed with mu = 0.
 */
function regularizeValue(knot: Knot, mu: number, ndx: number): void {
  const v = knot.Vxx.data;
  for (let i = 0; i < ndx; i++) v[i * ndx + i] += mu;
}

/** Q-function blocks at knot t from the next knot's value (eq. 5 with gaps). */
export function computeQ(ws: Workspace, t: number, o: BackwardOptions): void {
  const knot = ws.knots[t]!;
  const next = ws.knots[t + 1]!;
  const s = ws.scratch;
  const vx = s.vx;
  vx.set(next.Vx);
  if (o.gaps) mulVecAcc(vx, next.Vxx, next.gap);
  knot.Qx.set(knot.lx);
  mulAtVecAcc(knot.Qx, knot.fx, vx);
  knot.Qu.set(knot.lu);
  mulAtVecAcc(knot.Qu, knot.fu, vx);
  mul(s.VxxFx, next.Vxx, knot.fx);
  mul(s.VxxFu, next.Vxx, knot.fu);
  // f_x^T V_xx f_x and f_u^T V_xx f_u are symmetric (V_xx is): their upper triangles suffice.
  copyInto(knot.Qxx, knot.Lxx);
  mulAtBSymmetricAcc(knot.Qxx, knot.fx, s.VxxFx);
  copyInto(knot.Qux, knot.Lux);
  mulAtBAcc(knot.Qux, knot.fu, s.VxxFx);
  copyInto(knot.Quu, knot.Luu);
  mulAtBSymmetricAcc(knot.Quu, knot.fu, s.VxxFu);
  if (o.curvature) {
    o.curvature.run(ws.current.xs[t]!, ws.current.us[t]!, vx, s.hxx.data, s.hux.data, s.huu.data);
    addTo(knot.Qxx.data, s.hxx.data);
    addTo(knot.Qux.data, s.hux.data);
    addTo(knot.Quu.data, s.huu.data);
  }
}

function addTo(a: Float64Array, b: Float64Array): void {
  for (let i = 0; i < a.length; i++) a[i] += b[i]!;
}

/**
 * Solve the local QP for k, K. Unbounded: one Cholesky of Q_uu + mu I. Bounded: the box QP
 * on du in [lower - u, upper - u], warm-started from the previous k. Returns false when
 * the (free block of the) regularized Q_uu is not positive definite.
 */
export function solveLocalQp(ws: Workspace, t: number, o: BackwardOptions): boolean {
  const knot = ws.knots[t]!;
  const s = ws.scratch;
  const nu = ws.nu;
  const ndx = ws.ndx;
  const qp = knot.qp;
  const Hreg = addScaledIdentity(s.quuReg, knot.Quu, o.mu).data;
  if (o.bounds) {
    const u = ws.current.us[t]!;
    for (let i = 0; i < nu; i++) {
      s.lower[i] = o.bounds.lower[i]! - u[i]!;
      s.upper[i] = o.bounds.upper[i]! - u[i]!;
    }
    const status = solveBoxQp(qp, Hreg, knot.Qu, s.lower, s.upper, knot.k);
    if (status === 'notPositiveDefinite' || status === 'nonFinite') return false;
    knot.k.set(qp.x);
    knot.free.set(qp.free);
  } else {
    for (let i = 0; i < nu; i++) qp.freeIndex[i] = i;
    qp.nFree = nu;
    if (!qp.factorFree(Hreg)) return false;
    for (let i = 0; i < nu; i++) s.packed[i] = -knot.Qu[i]!;
    qp.solvePacked(s.packed);
    knot.k.set(s.packed);
    knot.free.fill(1);
  }
  // K_f = -H_ff^{-1} Q_ux,f column by column; clamped rows are zero (Tassa 2014, eq. 7).
  const K = knot.K.data;
  const qux = knot.Qux.data;
  K.fill(0);
  const m = qp.nFree;
  const idx = qp.freeIndex;
  for (let j = 0; j < ndx; j++) {
    for (let a = 0; a < m; a++) s.packed[a] = -qux[idx[a]! * ndx + j]!;
    qp.solvePacked(s.packed);
    for (let a = 0; a < m; a++) K[idx[a]! * ndx + j] = s.packed[a]!;
  }
  for (let i = 0; i < nu; i++) if (!Number.isFinite(knot.k[i]!)) return false;
  for (let i = 0; i < K.length; i++) if (!Number.isFinite(K[i]!)) return false;
  return true;
}

/** V_x, V_xx at knot t from Q and the gains (eq. 11 of Tassa 2012). */
export function updateValue(ws: Workspace, t: number): void {
  const knot = ws.knots[t]!;
  const s = ws.scratch;
  const w = s.w.subarray(0, ws.nu);
  // w = Q_uu k + Q_u;  V_x = Q_x + K^T w + Q_ux^T k
  mulVec(w, knot.Quu, knot.k);
  for (let i = 0; i < ws.nu; i++) w[i] += knot.Qu[i]!;
  knot.Vx.set(knot.Qx);
  mulAtVecAcc(knot.Vx, knot.K, w);
  mulAtVecAcc(knot.Vx, knot.Qux, knot.k);
  // W = Q_uu K + Q_ux;  V_xx = Q_xx + K^T W + Q_ux^T K
  copyInto(s.W, knot.Qux);
  mulAcc(s.W, knot.Quu, knot.K);
  copyInto(s.VxxFx, knot.Qxx);
  mulAtBAcc(s.VxxFx, knot.K, s.W);
  mulAtBAcc(s.VxxFx, knot.Qux, knot.K);
  symmetrize(knot.Vxx, s.VxxFx);
}

/** max_i |Q_u,i| over components not held at a bound by an outward gradient. */
function projectedGradient(ws: Workspace, t: number, bounds: ControlBounds | null): number {
  const knot = ws.knots[t]!;
  const u = ws.current.us[t]!;
  let m = 0;
  for (let i = 0; i < ws.nu; i++) {
    const q = knot.Qu[i]!;
    if (bounds && ((u[i]! <= bounds.lower[i]! && q > 0) || (u[i]! >= bounds.upper[i]! && q < 0))) continue;
    m = Math.max(m, Math.abs(q));
  }
  return m;
}

/** The whole sweep. Stops at the first knot whose Q_uu fails (the caller raises mu). */
export function backwardPass(ws: Workspace, o: BackwardOptions): BackwardResult {
  terminalValue(ws.knots[ws.T]!);
  const regV = o.regularizeValue && o.mu > 0;
  if (regV) regularizeValue(ws.knots[ws.T]!, o.mu, ws.ndx);
  let gnorm = 0;
  for (let t = ws.T - 1; t >= 0; t--) {
    computeQ(ws, t, o);
    gnorm = Math.max(gnorm, projectedGradient(ws, t, o.bounds));
    if (!solveLocalQp(ws, t, o)) {
      result.failedAt = t;
      result.gradientNorm = Number.NaN;
      return result;
    }
    updateValue(ws, t);
    if (regV) regularizeValue(ws.knots[t]!, o.mu, ws.ndx);
  }
  result.failedAt = -1;
  result.gradientNorm = gnorm;
  return result;
}

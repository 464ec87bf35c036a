/**
 * Derivative targets from a solver's feedback gains (main paper, section on Sobolev targets).
 *
 * Around a solved trajectory (x_bar, u_bar) the solver's policy is u_t = u_bar_t + k_t +
 * K_t (x_t (-) x_bar_t), so K_t = du_t/dx_t. Under that closed loop a perturbation of x_t
 * propagates by
 *
 *   dx_{t+1}/dx_t = f_x + f_u K_t                                   (eq. 2)
 *
 * and chaining it over a chunk gives the derivative of each future action with respect to
 * the state the chunk starts from:
 *
 *   d a_{t+h} / d x_t = K_{t+h} Phi_h     (torque actions, a_{t+h} = u_{t+h})      (eq. 7)
 *   d a_{t+h} / d x_t = Phi_{h+1}         (state actions, a_{t+h} = x_{t+h+1})
 *   Phi_0 = I,  Phi_{h+1} = (f_x + f_u K_{t+h}) Phi_h.
 *
 * A state action is the state the step leads to (the target an inverse step such as RNEA
 * or a PD loop then tracks), so both kinds use the knots t .. t + horizon - 1.
 *
 * All derivatives are on the tangent space (ndx columns). With an observation history of
 * T_o states (x_{t-T_o+1}, ..., x_t), the closed loop is Markov: a chunk depends on the
 * history only through x_t, so the columns of the older states are zero.
 */

/** What the chaining needs of a solution: per knot, row-major f_x (ndx x ndx), f_u (ndx x nu), K (nu x ndx). */
export interface GainTrajectory {
  fx: readonly Float64Array[];
  fu: readonly Float64Array[];
  K: readonly Float64Array[];
}

export type ActionKind = 'torque' | 'state';

function dims(traj: GainTrajectory): { T: number; ndx: number; nu: number } {
  const T = traj.K.length;
  if (T === 0 || traj.fx.length < T || traj.fu.length < T) {
    throw new RangeError(`gain chaining: need fx, fu and K for every knot (got ${traj.fx.length}, ${traj.fu.length}, ${T})`);
  }
  const ndx = Math.round(Math.sqrt(traj.fx[0].length));
  const nu = traj.fu[0].length / ndx;
  if (ndx * ndx !== traj.fx[0].length || !Number.isInteger(nu) || traj.K[0].length !== nu * ndx) {
    throw new RangeError(`gain chaining: inconsistent sizes fx ${traj.fx[0].length}, fu ${traj.fu[0].length}, K ${traj.K[0].length}`);
  }
  return { T, ndx, nu };
}

/** out (n x p) = a (n x m) b (m x p), row-major. */
function multiply(out: Float64Array, a: Float64Array, b: Float64Array, n: number, m: number, p: number): void {
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < p; j++) {
      let s = 0;
      for (let q = 0; q < m; q++) s += a[i * m + q] * b[q * p + j];
      out[i * p + j] = s;
    }
  }
}

/** The closed-loop transition f_x + f_u K_t of eq. (2) at knot t (ndx x ndx, row-major). */
export function closedLoopTransition(traj: GainTrajectory, t: number): Float64Array {
  const { ndx, nu } = dims(traj);
  const out = new Float64Array(ndx * ndx);
  multiply(out, traj.fu[t], traj.K[t], ndx, nu, ndx);
  for (let i = 0; i < out.length; i++) out[i] += traj.fx[t][i];
  return out;
}

/**
 * d a_{t+h} / d x_t for h = 0 .. horizon - 1 (eq. 7): a Float64Array laid out
 * [horizon, actionDim, ndx], actionDim = nu for torque actions and ndx for state actions.
 * Knots past the end of the trajectory are not allowed: the caller picks chunks inside it.
 */
export function chunkJacobian(traj: GainTrajectory, t: number, horizon: number, kind: ActionKind): Float64Array {
  const { T, ndx, nu } = dims(traj);
  if (!Number.isInteger(t) || t < 0 || horizon < 1 || t + horizon > T) {
    throw new RangeError(`chunkJacobian: chunk [${t}, ${t + horizon}) does not fit a trajectory of ${T} knots`);
  }
  const na = kind === 'torque' ? nu : ndx;
  const out = new Float64Array(horizon * na * ndx);
  let phi = new Float64Array(ndx * ndx);
  for (let i = 0; i < ndx; i++) phi[i * ndx + i] = 1;
  const next = new Float64Array(ndx * ndx);
  for (let h = 0; h < horizon; h++) {
    const block = out.subarray(h * na * ndx, (h + 1) * na * ndx);
    if (kind === 'torque') multiply(block, traj.K[t + h], phi, nu, ndx, ndx);
    multiply(next, closedLoopTransition(traj, t + h), phi, ndx, ndx, ndx);
    phi = Float64Array.from(next);
    if (kind === 'state') block.set(phi);
  }
  return out;
}

/**
 * The full target d tau_0 / d x_hist for an observation history of `historyLength` states
 * ending at x_t: [horizon, actionDim, historyLength, ndx], zero except for the last state.
 */
export function chunkJacobianWithHistory(
  traj: GainTrajectory,
  t: number,
  horizon: number,
  kind: ActionKind,
  historyLength: number,
): Float64Array {
  const { ndx } = dims(traj);
  const inner = chunkJacobian(traj, t, horizon, kind);
  if (historyLength === 1) return inner;
  const rows = inner.length / ndx;
  const out = new Float64Array(rows * historyLength * ndx);
  for (let r = 0; r < rows; r++) out.set(inner.subarray(r * ndx, (r + 1) * ndx), (r * historyLength + historyLength - 1) * ndx);
  return out;
}

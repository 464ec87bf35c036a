/**
 * The augmented-Lagrangian consensus terms of the consensus paper (Le Lidec et al. 2023,
 * sec. IV), added per knot to a problem's own costs for the OC phase of ADMM (Alg. 2, line 2):
 *
 *   single shooting (eq. 13):   mu_t/2 || u_t + lambda_t/mu_t - pi(x_t) ||^2
 *   multiple shooting (eq. 15): mu_t/2 || u_t + lambda_t/mu_t - pi(2x_t) ||^2 + mu_t/2 || x_t + gamma_t/mu_t - 2x_t ||^2
 *
 * In single shooting pi is evaluated at the solver's own states, so the derivatives need the
 * policy's Jacobian J = d pi/dx (eq. 13's "costly computation of the Jacobian"): with
 * r = u + lambda/mu - pi(x),
 *
 *   l_u = mu r,  l_x = -mu J^T r,  l_uu = mu I,  l_ux = -mu J,  l_xx = mu J^T J  (Gauss-Newton:
 *   the policy's second derivative is dropped, which keeps the term convex in (x, u)).
 *
 * In multiple shooting the policy's controls pi(2x_t) and the learning copy of the states 2x_t
 * are constants of the OC phase (the learning phase moves them), so no Jacobian is needed.
 * With lambda = 0 the single-shooting term is the quadratic penalty of DPL (Mordatch and
 * Todorov 2014). The constants -||lambda||^2 / (2 mu) of eq. (15) do not move the minimizer
 * and are left out of the value.
 *
 * States must be vector-space coordinates (ndx = nx), as for every task this is used on: the
 * policy reads x itself, and d pi/dx is then the tangent-space derivative the solver expects.
 */
import { type Objective, costObjective } from './objective.js';
import { OcpDefinitionError, type OcpProblem } from './problem.js';

/** A policy as the solver sees it: pi(x) and its Jacobian on flat arrays. */
export interface PolicyFunction {
  readonly nx: number;
  readonly nu: number;
  /** Write pi(x) into `u` and, when `J` is not null, d pi/dx (nu x nx, row-major) into `J`. */
  evaluate(x: Float64Array, u: Float64Array, J: Float64Array | null): void;
}

/** Multiple shooting (eq. 14-16): the learning phase's states 2x_t, the policy's controls there, and the state multipliers gamma_t. */
export interface ShootingTargets {
  /** pi(2x_t), T entries of nu. */
  controls: readonly Float64Array[];
  /** 2x_t, T entries of nx. */
  states: readonly Float64Array[];
  /** gamma_t, T entries of nx. */
  gamma: readonly Float64Array[];
}

export interface ConsensusTerms {
  /** mu_t > 0 per knot (T entries). */
  mu: ArrayLike<number>;
  /** lambda_t per knot (T entries of nu); all zero for a pure quadratic penalty. */
  lambda: readonly Float64Array[];
  /** Exactly one of: the policy itself (single shooting, eq. 13) ... */
  policy?: PolicyFunction;
  /** ... or the multiple-shooting targets (eq. 15). */
  shooting?: ShootingTargets;
}

function checkTerms(problem: OcpProblem, terms: ConsensusTerms): void {
  const { nx, ndx, nu } = problem.dynamics;
  const T = problem.horizon;
  const where = 'consensusObjective';
  if (ndx !== nx) throw new OcpDefinitionError(`${where}: the state must be a vector space (ndx ${ndx} != nx ${nx})`);
  if ((terms.policy === undefined) === (terms.shooting === undefined)) throw new OcpDefinitionError(`${where}: give exactly one of policy and shooting`);
  if (terms.mu.length !== T) throw new OcpDefinitionError(`${where}: mu has ${terms.mu.length} entries for T = ${T}`);
  for (let t = 0; t < T; t++) if (!(terms.mu[t]! > 0)) throw new OcpDefinitionError(`${where}: mu_${t} = ${terms.mu[t]} is not positive`);
  const sized = (name: string, list: readonly Float64Array[], n: number) => {
    if (list.length !== T) throw new OcpDefinitionError(`${where}: ${name} has ${list.length} knots for T = ${T}`);
    list.forEach((v, t) => {
      if (v.length !== n) throw new OcpDefinitionError(`${where}: ${name}[${t}] has length ${v.length}, expected ${n}`);
      if (!v.every(Number.isFinite)) throw new OcpDefinitionError(`${where}: ${name}[${t}] is not finite`);
    });
  };
  sized('lambda', terms.lambda, nu);
  if (terms.policy && (terms.policy.nx !== nx || terms.policy.nu !== nu)) {
    throw new OcpDefinitionError(`${where}: the policy maps ${terms.policy.nx} -> ${terms.policy.nu}, the problem has nx ${nx}, nu ${nu}`);
  }
  if (terms.shooting) {
    sized('shooting.controls', terms.shooting.controls, nu);
    sized('shooting.states', terms.shooting.states, nx);
    sized('shooting.gamma', terms.shooting.gamma, nx);
  }
}

/** The problem's costs plus the consensus terms, as the objective the solver loop minimizes (core.ts: solveCore). */
export function consensusObjective(problem: OcpProblem, terms: ConsensusTerms): Objective {
  checkTerms(problem, terms);
  const base = costObjective(problem);
  const { nx, nu } = problem.dynamics;
  const { policy, shooting, lambda, mu } = terms;
  const r = new Float64Array(nu);
  const s = new Float64Array(nx);
  const J = new Float64Array(nu * nx);

  /** r = u + lambda_t/mu_t - target (target: pi(x), or pi(2x_t)); s = x + gamma_t/mu_t - 2x_t. Returns the penalty's value. */
  const residuals = (t: number, x: Float64Array, u: Float64Array, jacobian: boolean): number => {
    const m = mu[t]!;
    if (policy) policy.evaluate(x, r, jacobian ? J : null);
    else r.set(shooting!.controls[t]!);
    let value = 0;
    for (let i = 0; i < nu; i++) {
      r[i] = u[i]! + lambda[t]![i]! / m - r[i]!;
      value += r[i]! * r[i]!;
    }
    if (shooting) {
      for (let j = 0; j < nx; j++) {
        s[j] = x[j]! + shooting.gamma[t]![j]! / m - shooting.states[t]![j]!;
        value += s[j]! * s[j]!;
      }
    }
    return 0.5 * m * value;
  };

  return {
    stageValue: (t, x, u) => base.stageValue(t, x, u) + residuals(t, x, u, false),
    terminalValue: (x) => base.terminalValue(x),
    stageDerivatives: (t, x, u, knot) => {
      const value = base.stageDerivatives(t, x, u, knot) + residuals(t, x, u, policy !== undefined);
      const m = mu[t]!;
      for (let i = 0; i < nu; i++) {
        knot.lu[i] += m * r[i]!;
        knot.luu[i * nu + i] += m;
      }
      if (policy) {
        for (let j = 0; j < nx; j++) {
          let g = 0;
          for (let i = 0; i < nu; i++) g += J[i * nx + j]! * r[i]!;
          knot.lx[j] -= m * g;
        }
        for (let i = 0; i < nu; i++) for (let j = 0; j < nx; j++) knot.lux[i * nx + j] -= m * J[i * nx + j]!;
        for (let a = 0; a < nx; a++) {
          for (let b = 0; b < nx; b++) {
            let h = 0;
            for (let i = 0; i < nu; i++) h += J[i * nx + a]! * J[i * nx + b]!;
            knot.lxx[a * nx + b] += m * h;
          }
        }
      } else {
        for (let j = 0; j < nx; j++) {
          knot.lx[j] += m * s[j]!;
          knot.lxx[j * nx + j] += m;
        }
      }
      return value;
    },
    terminalDerivatives: (x, knot) => base.terminalDerivatives(x, knot),
  };
}

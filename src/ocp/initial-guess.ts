/**
 * The standard initial guesses: a state interpolation from the start to the target on the
 * manifold (x_t = x0 (+) (t/T) (x_target (-) x0), infeasible, hence FDDP), zero or
 * constant controls, controls from a state feedback such as gravity compensation, and
 * the rollout of any controls the caller provides (feasible, for DDP or FDDP).
 */
import { tensor } from '../autodiff/index.js';
import type { StateManifold } from '../dynamics/interface.js';
import type { InitialGuess } from './core.js';
import type { OcpProblem } from './problem.js';

/** x_t = x0 (+) (t / T) (target (-) x0), t = 0..T. */
export function interpolateStates(manifold: StateManifold, x0: ArrayLike<number>, target: ArrayLike<number>, T: number): Float64Array[] {
  const a = tensor(Array.from(x0));
  const d = manifold.difference(a, tensor(Array.from(target))).toArray();
  return Array.from({ length: T + 1 }, (_, t) =>
    Float64Array.from(manifold.integrate(a, tensor(d.map((v) => (v * t) / T))).toArray()),
  );
}

export function constantControls(T: number, u: ArrayLike<number>): Float64Array[] {
  return Array.from({ length: T }, () => Float64Array.from(u));
}

export function zeroControls(T: number, nu: number): Float64Array[] {
  return Array.from({ length: T }, () => new Float64Array(nu));
}

/** u_t = policy(x_t) along given states (e.g. gravity compensation g(q) along an interpolation). */
export function feedbackControls(xs: readonly Float64Array[], policy: (x: Float64Array) => ArrayLike<number>): Float64Array[] {
  return xs.slice(0, -1).map((x) => Float64Array.from(policy(x)));
}

/** States from rolling `us` out of the problem's x0 (clamped to the control bounds). */
export function rolloutStates(problem: OcpProblem, us: readonly ArrayLike<number>[]): Float64Array[] {
  const { dynamics, controlBounds: b } = problem;
  const xs = [problem.x0.slice()];
  const u = new Float64Array(dynamics.nu);
  for (let t = 0; t < problem.horizon; t++) {
    u.set(us[t]!);
    if (b) for (let i = 0; i < u.length; i++) u[i] = Math.min(Math.max(u[i]!, b.lower[i]!), b.upper[i]!);
    const next = new Float64Array(dynamics.nx);
    dynamics.step(xs[t]!, u, next);
    xs.push(next);
  }
  return xs;
}

/** The interpolation guess: states from x0 to `target`, zero (or `controls`) controls. */
export function interpolationGuess(problem: OcpProblem, target: ArrayLike<number>, controls?: ArrayLike<number>): InitialGuess {
  const { dynamics, horizon } = problem;
  return {
    xs: interpolateStates(dynamics.manifold, problem.x0, target, horizon),
    us: controls ? constantControls(horizon, controls) : zeroControls(horizon, dynamics.nu),
  };
}

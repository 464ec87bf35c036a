/**
 * The simulator as the consensus experiments count it (the x-axis of the paper's Fig. 3-5):
 * every call of the dynamics' step f(x, u) and of its Jacobians (f_x, f_u) during training,
 * by the solver (rollouts, line searches, derivatives) and by the policy's warm-start
 * rollouts. Test rollouts run on the task's own dynamics and are not counted.
 */
import { NonFiniteResultError } from '../../dynamics/index.js';
import type { DiscreteDynamics } from '../../dynamics/index.js';
import { type OcpProblem, type PolicyFunction, defineProblem, trajectoryCost } from '../../ocp/index.js';

/** Counts of simulator calls. */
export interface SimulatorCalls {
  steps: number;
  jacobians: number;
}

/** The task's dynamics with a counter on `step` and `jacobians` (the differentiable `stepTensor` is not a simulator call). */
export class CountingDynamics implements DiscreteDynamics {
  readonly name: string;
  readonly manifold;
  readonly nx: number;
  readonly ndx: number;
  readonly nu: number;
  readonly dt: number;
  readonly controlBounds;
  readonly calls: SimulatorCalls = { steps: 0, jacobians: 0 };

  constructor(private readonly inner: DiscreteDynamics) {
    this.name = inner.name;
    this.manifold = inner.manifold;
    this.nx = inner.nx;
    this.ndx = inner.ndx;
    this.nu = inner.nu;
    this.dt = inner.dt;
    this.controlBounds = inner.controlBounds;
  }

  get total(): number {
    return this.calls.steps + this.calls.jacobians;
  }

  /** Count calls made on other copies of these dynamics (an OC solve on a worker). */
  add(calls: SimulatorCalls): void {
    this.calls.steps += calls.steps;
    this.calls.jacobians += calls.jacobians;
  }

  stepTensor(x: Parameters<DiscreteDynamics['stepTensor']>[0], u: Parameters<DiscreteDynamics['stepTensor']>[1]) {
    return this.inner.stepTensor(x, u);
  }

  step(x: ArrayLike<number>, u: ArrayLike<number>, out: Float64Array): void {
    this.calls.steps++;
    this.inner.step(x, u, out);
  }

  jacobians(x: ArrayLike<number>, u: ArrayLike<number>, fx: Float64Array, fu: Float64Array): void {
    this.calls.jacobians++;
    this.inner.jacobians(x, u, fx, fu);
  }
}

/** The same problem on other dynamics (the counting ones) and, optionally, without the box on u (the -C ablation). */
export function onDynamics(problem: OcpProblem, dynamics: DiscreteDynamics, bounds: 'keep' | 'lift'): OcpProblem {
  return defineProblem({ ...problem, dynamics, controlBounds: bounds === 'lift' ? null : problem.controlBounds });
}

export interface PolicyRolloutResult {
  xs: Float64Array[];
  us: Float64Array[];
  /** J(beta; pi) of eq. (3); infinite when the rollout diverged. */
  cost: number;
  diverged: boolean;
}

/** u_t = pi(x_t) in closed loop from the problem's x0 for its horizon, and the policy cost J (eq. 3). */
export function rolloutPolicy(problem: OcpProblem, policy: PolicyFunction, dynamics: DiscreteDynamics = problem.dynamics): PolicyRolloutResult {
  const T = problem.horizon;
  const xs = [Float64Array.from(problem.x0)];
  const us: Float64Array[] = [];
  for (let t = 0; t < T; t++) {
    const u = new Float64Array(dynamics.nu);
    policy.evaluate(xs[t]!, u, null);
    us.push(u);
    const next = new Float64Array(dynamics.nx);
    try {
      dynamics.step(xs[t]!, u, next);
    } catch (error) {
      if (!(error instanceof NonFiniteResultError)) throw error;
      return { xs, us, cost: Infinity, diverged: true };
    }
    xs.push(next);
  }
  const cost = trajectoryCost(problem, xs, us);
  return { xs, us, cost: Number.isFinite(cost) ? cost : Infinity, diverged: !Number.isFinite(cost) };
}

/**
 * A count of simulator calls, the x-axis of the consensus paper's sample-efficiency plots
 * (Fig. 3-5: "simulator calls"), shared by every method so that model-free and model-based
 * learners are put on one axis. One call is one evaluation of the discrete dynamics
 * x_{t+1} = f(x_t, u_t), and one evaluation of its Jacobians is counted apart (a solver pays
 * for both; a model-free learner only for steps).
 *
 *   const counter = new SimulatorCounter();
 *   const dynamics = countingDynamics(task.dynamics, counter);   // count what goes through it
 *   ... counter.steps, counter.jacobians, counter.total
 *
 * The RL environment (rl/env.ts) steps through `countingDynamics`; evaluation rollouts on
 * held-out tasks do not (they are not training samples).
 */
import type { DiscreteDynamics } from '../dynamics/index.js';

export class SimulatorCounter {
  /** Evaluations of f(x, u). */
  steps = 0;
  /** Evaluations of (f_x, f_u). */
  jacobians = 0;

  /** Every call, steps and Jacobians alike. */
  get total(): number {
    return this.steps + this.jacobians;
  }
}

/** The same dynamics, with every `step` and `jacobians` call counted in `counter`. */
export function countingDynamics(dynamics: DiscreteDynamics, counter: SimulatorCounter): DiscreteDynamics {
  return {
    name: dynamics.name,
    manifold: dynamics.manifold,
    nx: dynamics.nx,
    ndx: dynamics.ndx,
    nu: dynamics.nu,
    dt: dynamics.dt,
    controlBounds: dynamics.controlBounds,
    stepTensor: (x, u) => dynamics.stepTensor(x, u),
    step(x, u, out) {
      counter.steps++;
      dynamics.step(x, u, out);
    },
    jacobians(x, u, fx, fu) {
      counter.jacobians++;
      dynamics.jacobians(x, u, fx, fu);
    },
  };
}

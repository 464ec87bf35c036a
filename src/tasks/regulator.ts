/**
 * Regulation to the origin with a quadratic cost, the form of all three tasks of the
 * value-learning paper (sec. IV-A: eq. 13 for the unicycle, eq. 14 for the cartpole, "identical"
 * for the pendulum):
 *
 *   l(x, u) = c (w_x ||x||^2 + w_u ||u||^2),   l_T(x) = c w_x ||x||^2,
 *
 * with c = dt where the cost is a time integral (pendulum, cartpole: ours, so that a value does
 * not depend on the step) and c = 1 where the source counts per step (Crocoddyl's unicycle).
 * The terminal cost is the stage's state term (ours); DVP replaces it with a learned value.
 *
 * Instances: x0 uniform in the task's `stateRegion`, one draw per coordinate in order: the
 * region DVP learns the value over. "TO alone" (and every DVP solve) is DDP from zero controls
 * rolled out (the pendulum: its cost's gradient never vanishes there, and it converges in a
 * fraction of FDDP's time from the interpolation), or FDDP from the linear interpolation of
 * the states to the origin with zero controls (the others): from zero controls rolled out
 * (single shooting), the cartpole's pole falls and the solver settles with it hanging (values
 * of 50 where balancing costs 1 to 5), and a unicycle beside the origin, facing along x, is at
 * a stationary point (no forward speed moves it towards the goal, no turn changes the cost).
 */
import { add, mul, square, sum } from '../autodiff/index.js';
import type { DiscreteDynamics } from '../dynamics/index.js';
import { defineProblem, interpolationGuess, rolloutStates, stageCost, terminalCost, withTask, zeroControls } from '../ocp/index.js';
import type { PlotChannels, StateRegion, Task } from './task.js';

export interface RegulatorSpec {
  name: string;
  title: string;
  dynamics: DiscreteDynamics;
  horizon: number;
  stateWeight: number;
  controlWeight: number;
  /** Multiply the cost by dt (a time integral) or not (a per-step sum). */
  timeWeighted: boolean;
  region: StateRegion;
  /** The cold guess: zero controls rolled out (DDP), or the interpolation of the states to the origin (FDDP). */
  guess: 'rollout' | 'interpolation';
  plot: PlotChannels;
}

export function regulatorTask(spec: RegulatorSpec): Task {
  const { dynamics, horizon, stateWeight, controlWeight, region } = spec;
  const m = dynamics.manifold;
  if (m.nx !== m.ndx) throw new RangeError(`regulatorTask ${spec.name}: the cost ||x||^2 needs a vector-space state (nx ${m.nx}, ndx ${m.ndx})`);
  if (region.lower.length !== m.nx || region.upper.length !== m.nx) throw new RangeError(`regulatorTask ${spec.name}: the region needs ${m.nx} bounds per side`);
  const origin = new Array<number>(m.nx).fill(0);
  const c = spec.timeWeighted ? dynamics.dt : 1;
  const base = defineProblem({
    dynamics,
    horizon,
    x0: origin,
    stageCost: stageCost(m, dynamics.nu, 1, (x, u) => mul(add(mul(sum(square(x)), stateWeight), mul(sum(square(u)), controlWeight)), c)),
    terminalCost: terminalCost(m, 1, (x) => mul(sum(square(x)), stateWeight * c)),
  });
  return {
    name: spec.name,
    title: spec.title,
    dynamics,
    horizon,
    solver: spec.guess === 'rollout' ? 'ddp' : 'fddp',
    solverOptions: {},
    problem: (instance) => withTask(base, { x0: instance.x0 }),
    coldGuess(problem) {
      if (spec.guess === 'interpolation') return interpolationGuess(problem, origin);
      const us = zeroControls(problem.horizon, dynamics.nu);
      return { xs: rolloutStates(problem, us), us };
    },
    sampleInstance: (rng) => ({ x0: region.lower.map((lo, i) => lo + (region.upper[i]! - lo) * rng.nextFloat()) }),
    action: { kind: 'torque' },
    plot: spec.plot,
    stateRegion: { ...region, goal: origin },
  };
}

/**
 * The pendulum of the value-learning paper (sec. IV-A c): swing-up and balance at the upright
 * equilibrium, with the cartpole's cost form (regulator.ts), on the catalogue's pendulum
 * (point mass 1 kg at 1 m, q = 0 upright, |u| <= 25 N m, dt = 0.01, semi-implicit Euler):
 *
 *   l = dt (||x||^2 + 0.01 u^2),  x = (q, v) with the angle unwrapped   (weights ours)
 *   region q in [-pi, pi], v in [-2, 2]                                  (ours)
 *
 * The angle is not wrapped, so the cost, and the value, are smooth in q; from q = +-pi the
 * solution swings back towards q = 0. T = 150 (the paper's "typical duration of an episode").
 */
import { createModel } from '../dynamics/index.js';
import { regulatorTask } from './regulator.js';
import type { Task } from './task.js';

export const PENDULUM_DVP_TASK = {
  horizon: 150,
  stateWeight: 1,
  controlWeight: 0.01,
  region: { lower: [-Math.PI, -2], upper: [Math.PI, 2] },
} as const;

export function createPendulumDvpTask(): Task {
  const { horizon, stateWeight, controlWeight, region } = PENDULUM_DVP_TASK;
  return regulatorTask({
    name: 'pendulum-dvp', title: 'Pendulum (value learning)', dynamics: createModel('pendulum'), horizon, stateWeight, controlWeight,
    timeWeighted: true, guess: 'rollout', region: { lower: [...region.lower], upper: [...region.upper] },
    plot: { state: { index: 0, label: 'q (rad)' }, control: { index: 0, label: 'u (N m)' } },
  });
}

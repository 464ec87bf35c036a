/**
 * The unicycle of the value-learning paper (sec. IV-A a, eq. 10-13): Crocoddyl's kinematic
 * unicycle (x, y, theta), u = (v, omega) unbounded, dt = 0.1, driven to the origin with
 * Crocoddyl's cost (DESIGN section 5: weights 10 on the state, 1 on the control)
 *
 *   l = 1/2 ||(10 x, 1 u)||^2 = 50 ||x||^2 + 0.5 ||u||^2   per step, terminal 50 ||x||^2
 *   region x, y, theta in [-1, 1]   (ours; Crocoddyl's notebook starts at (-1, -1, 1))
 *
 * T = 150 (15 s; the paper's "typical duration of an episode"). Non-holonomy gives local
 * minima (the paper, sec. IV-B): a sideways start must turn, drive and turn back.
 */
import { createModel } from '../dynamics/index.js';
import { regulatorTask } from './regulator.js';
import type { Task } from './task.js';

export const UNICYCLE_TASK = {
  horizon: 150,
  stateWeight: 50,
  controlWeight: 0.5,
  region: { lower: [-1, -1, -1], upper: [1, 1, 1] },
} as const;

export function createUnicycleTask(): Task {
  const { horizon, stateWeight, controlWeight, region } = UNICYCLE_TASK;
  return regulatorTask({
    name: 'unicycle', title: 'Unicycle', dynamics: createModel('unicycle'), horizon, stateWeight, controlWeight,
    timeWeighted: false, guess: 'interpolation', region: { lower: [...region.lower], upper: [...region.upper] },
    plot: { state: { index: 0, label: 'x (m)' }, control: { index: 0, label: 'v (m/s)' } },
  });
}

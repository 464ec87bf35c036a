/**
 * The cartpole of the value-learning paper (sec. IV-A b, after Florian's equations [40] as in
 * gym: the catalogue's cart 1.0 kg, pole 0.1 kg, half-length 0.5, force |F| <= 10 N,
 * dt = 0.02): balance the pole around the upright from a perturbed state, with eq. (14)
 *
 *   l = dt (||x||^2 + 0.01 F^2),  x = (cart position, pole angle, their velocities)   (weights ours)
 *   region position in [-1, 1] m, angle in [-0.2, 0.2] rad, velocities in [-0.5, 0.5]  (ours)
 *
 * T = 150 (3 s; the paper's "typical duration of an episode"). A wider region (angle 0.3 rad,
 * velocities 1) put corners out of the 10 N force's reach: the solver let the pole fall there.
 */
import { createModel } from '../dynamics/index.js';
import { regulatorTask } from './regulator.js';
import type { Task } from './task.js';

export const CARTPOLE_TASK = {
  horizon: 150,
  stateWeight: 1,
  controlWeight: 0.01,
  region: { lower: [-1, -0.2, -0.5, -0.5], upper: [1, 0.2, 0.5, 0.5] },
} as const;

export function createCartpoleTask(): Task {
  const { horizon, stateWeight, controlWeight, region } = CARTPOLE_TASK;
  return regulatorTask({
    name: 'cartpole', title: 'Cartpole', dynamics: createModel('cartpole'), horizon, stateWeight, controlWeight,
    timeWeighted: true, guess: 'interpolation', region: { lower: [...region.lower], upper: [...region.upper] },
    plot: { state: { index: 1, label: 'pole angle (rad)' }, control: { index: 0, label: 'F (N)' } },
  });
}

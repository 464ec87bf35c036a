/**
 * The inverted double pendulum of the main paper (section 4.4, Fig. 2), a swing-up task
 * (swing-up.ts) of the catalogue's double pendulum:
 *
 *   model   example-robot-data `double_pendulum_simple` (MODELS.md): links of 0.2 and 0.3 kg,
 *           both joints actuated, |u| <= 25 N m, q = 0 upright, dt = 0.01, semi-implicit
 *           Euler, T = 200 (the paper's Table 2c rollouts fit about 200 steps; ours)
 *   cost    the pendulum's: sum_t dt (10 |tip - goal|^2 + 0.1 |u_t|^2) + 10 |tip_T - goal|^2,
 *           goal the tip upright, (0.0375, 0, 0.3)
 *   tasks   at rest, q1 ~ U(pi - 0.5, pi + 0.5), q2 ~ U(-0.5, 0.5): hanging down with the
 *           links roughly in line (the paper: "a randomly sampled downward position"; the
 *           ranges are ours, the same as the pendulum's)
 *   guess   the interpolation to the nearest upright configuration, zero controls
 *   actions torques, a_t = u_t; the policy observes the state, o_t = x_t
 */
import { createModel } from '../dynamics/index.js';
import { PENDULUM_TASK } from './pendulum.js';
import { swingUpTask } from './swing-up.js';
import type { Task } from './task.js';

export function createDoublePendulumTask(): Task {
  return swingUpTask({ name: 'double-pendulum', title: 'Double pendulum', dynamics: createModel('doublePendulum'), ...PENDULUM_TASK });
}

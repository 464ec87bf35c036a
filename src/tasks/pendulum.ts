/**
 * The inverted-pendulum swing-up of the main paper (section 4.4, Fig. 1; DESIGN section 5),
 * a swing-up task (swing-up.ts) of the catalogue's pendulum:
 *
 *   model   point mass 1 kg at 1 m (sphere of radius 0.1), q = 0 upright, g = 9.81,
 *           torque control |u| <= 25 N m, dt = 0.01, semi-implicit Euler, T = 200
 *   cost    sum_t dt (10 |tip - goal|^2 + 0.1 u_t^2) + 10 |tip_T - goal|^2, goal = (0, 0, 1)
 *   tasks   x0 = (q0, 0) with q0 ~ U(pi - 0.5, pi + 0.5): hanging down, at rest, near the
 *           bottom (DESIGN: "start q0 near pi sampled at random"; the range is our choice)
 *   guess   the interpolation to the nearer upright state (q = 0 or 2 pi), zero controls
 *   actions torques, a_t = u_t; the policy observes the state, o_t = x_t
 */
import { MultibodyDynamics, PENDULUM, createModel, pendulumModel } from '../dynamics/index.js';
import { swingUpTask } from './swing-up.js';
import type { Task } from './task.js';

export const PENDULUM_TASK = {
  horizon: 200,
  stageTipWeight: 10,
  stageControlWeight: 0.1,
  terminalTipWeight: 10,
  startSpread: 0.5,
} as const;

export function createPendulumTask(): Task {
  return swingUpTask({ name: 'pendulum', title: 'Pendulum', dynamics: createModel('pendulum'), ...PENDULUM_TASK });
}

/**
 * The swing-up from anywhere in the lower half-plane, moving: q0 ~ U(pi/2, 3 pi/2),
 * v0 ~ U(-2, 2) rad/s (ours). The paper samples "a randomly sampled downward position"; this
 * wider reading is the alternative to the default's 0.5 rad at rest (issue 13 compares them).
 */
export function createPendulumWideTask(): Task {
  return swingUpTask({
    name: 'pendulum-wide', title: 'Pendulum, wide starts', dynamics: createModel('pendulum'), ...PENDULUM_TASK,
    startSpread: Math.PI / 2, startVelocitySpread: 2,
  });
}

/**
 * The same swing-up with state actions (a_t = (cos q, sin q, v) of the next state, decoded by
 * inverse dynamics: state-actions.ts): the ablation of the paper's remark that "the chaotic
 * properties of this task impose torque control" (sec. 4.2).
 */
export function createPendulumStateTask(): Task {
  return swingUpTask({ name: 'pendulum-state', title: 'Pendulum, state actions', dynamics: createModel('pendulum'), ...PENDULUM_TASK, actions: 'state' });
}

/**
 * The consensus paper's constraint ablations (PDDP against PODS, PLAL+S against PLAL+S-C, its
 * Fig. 4) need a box that binds. At 25 N m (more than twice m g l = 9.81 N m) no control of
 * the swing-up touches it (measured: 0 clamped controls in 5 solves); at 8 N m (ours) the
 * solver's swing-up pumps, and about two thirds of its controls sit on the bounds (132 of
 * 200 on average over 5 solves, cost 48.9 against 30.4).
 */
export const PENDULUM_LIMITED_TORQUE = 8;

export function createPendulumLimitedTask(): Task {
  const u = PENDULUM_LIMITED_TORQUE;
  const dynamics = new MultibodyDynamics({
    model: pendulumModel(), actuation: [1], nu: 1, controlBounds: { lower: Float64Array.of(-u), upper: Float64Array.of(u) },
    endEffector: 'tip', dt: PENDULUM.dt, integrator: 'semiImplicitEuler',
  });
  return swingUpTask({ name: 'pendulum-limited', title: `Pendulum, |u| <= ${u} N m`, dynamics, ...PENDULUM_TASK });
}

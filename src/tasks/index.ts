/**
 * The task registry: a task by its name, built once per thread (building one compiles its
 * costs). Worker threads call `taskByName` with the name a job carries. To add a task, write
 * its module beside this one (see pendulum.ts) and add one line to `FACTORIES`.
 */
import { createCartpoleTask } from './cartpole.js';
import { createDoublePendulumTask } from './double-pendulum.js';
import { createPendulumDvpTask } from './pendulum-dvp.js';
import { createPendulumLimitedTask, createPendulumStateTask, createPendulumTask, createPendulumWideTask } from './pendulum.js';
import { createQuadrotorTask } from './quadrotor.js';
import type { Task } from './task.js';
import { createLqrTask } from './lqr.js';
import { createUnicycleTask } from './unicycle.js';
import { createUr5Task } from './ur5.js';

export type { ActionRepresentation, PlotChannels, StateActions, StateRegion, Task, TaskInstance, TorqueActions } from './task.js';
export { PENDULUM_TASK } from './pendulum.js';
export { LQR_TASK, createLqrTask, discreteRiccati, lqrMatrices } from './lqr.js';
export { COLUMN_COUNTS, type ColumnCount, QUADROTOR_COLUMNS, QUADROTOR_TASK, quadrotorTaskName } from './quadrotor.js';
export { UR5_REACH, type Ur5Variant, ur5TaskName } from './ur5.js';

const FACTORIES: Record<string, () => Task> = {
  pendulum: createPendulumTask,
  'pendulum-state': createPendulumStateTask,
  'pendulum-wide': createPendulumWideTask,
  'pendulum-limited': createPendulumLimitedTask,
  'double-pendulum': createDoublePendulumTask,
  // UR5(r_init, r_tgt) of the main paper, sec. 4.3 (ur5.ts; ur5TaskName maps a variant to its name).
  ur5: () => createUr5Task('ur5'),
  'ur5-random-init': () => createUr5Task('ur5-random-init'),
  'ur5-random-target': () => createUr5Task('ur5-random-target'),
  'ur5-random': () => createUr5Task('ur5-random'),
  // The consensus paper's constrained LQR (lqr.ts).
  lqr: () => createLqrTask(),
  // The value-learning paper's tasks (DVP): regulator.ts's quadratic cost over a state region.
  'pendulum-dvp': createPendulumDvpTask,
  cartpole: createCartpoleTask,
  unicycle: createUnicycleTask,
  // The quadrotor among 0, 1, 3 or 9 columns of the main paper, sec. 4.5 (quadrotor.ts).
  quadrotor: () => createQuadrotorTask(0),
  'quadrotor-1-column': () => createQuadrotorTask(1),
  'quadrotor-3-columns': () => createQuadrotorTask(3),
  'quadrotor-9-columns': () => createQuadrotorTask(9),
};

export const TASK_NAMES = Object.keys(FACTORIES);

const built = new Map<string, Task>();

export function taskByName(name: string): Task {
  let task = built.get(name);
  if (task === undefined) {
    const factory = FACTORIES[name];
    if (factory === undefined) throw new RangeError(`unknown task "${name}" (known: ${TASK_NAMES.join(', ')})`);
    task = factory();
    built.set(name, task);
  }
  return task;
}

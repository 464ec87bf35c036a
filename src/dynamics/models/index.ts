/**
 * The model catalogue: each model with its published parameters (MODELS.md, DESIGN section 5)
 * as `DiscreteDynamics`, by name through `createModel` or through the named factories.
 */
import { ModelError } from '../errors.js';
import type { MultibodyOptions, MultibodyDynamics } from '../multibody.js';
import { type AcrobotOptions, createAcrobot, createDoublePendulum } from './double-pendulum.js';
import { createCartpole } from './cartpole.js';
import { createPendulum } from './pendulum.js';
import { createQuadrotor } from './quadrotor.js';
import { createUR5 } from './ur5.js';
import { type UnicycleDynamics, type UnicycleOptions, createUnicycle } from './unicycle.js';

export * from './pendulum.js';
export * from './double-pendulum.js';
export * from './cartpole.js';
export * from './ur5.js';
export * from './quadrotor.js';
export * from './unicycle.js';

export const MODEL_NAMES = ['pendulum', 'doublePendulum', 'acrobot', 'cartpole', 'ur5', 'quadrotor', 'unicycle'] as const;
export type ModelName = (typeof MODEL_NAMES)[number];

interface ModelTable {
  pendulum: [MultibodyOptions, MultibodyDynamics];
  doublePendulum: [MultibodyOptions, MultibodyDynamics];
  acrobot: [AcrobotOptions, MultibodyDynamics];
  cartpole: [MultibodyOptions, MultibodyDynamics];
  ur5: [MultibodyOptions, MultibodyDynamics];
  quadrotor: [MultibodyOptions, MultibodyDynamics];
  unicycle: [UnicycleOptions, UnicycleDynamics];
}

const FACTORIES: { [K in ModelName]: (options?: ModelTable[K][0]) => ModelTable[K][1] } = {
  pendulum: createPendulum,
  doublePendulum: createDoublePendulum,
  acrobot: createAcrobot,
  cartpole: createCartpole,
  ur5: createUR5,
  quadrotor: createQuadrotor,
  unicycle: createUnicycle,
};

/** A catalogue model by name, e.g. createModel('ur5', { integrator: 'rk4' }). */
export function createModel<K extends ModelName>(name: K, options?: ModelTable[K][0]): ModelTable[K][1] {
  const factory = FACTORIES[name] as ((options?: ModelTable[K][0]) => ModelTable[K][1]) | undefined;
  if (factory === undefined) throw new ModelError(`createModel: unknown model ${String(name)} (known: ${MODEL_NAMES.join(', ')})`);
  return factory(options);
}

/**
 * The cart-pole of gym's `classic_control/cartpole.py` (MODELS.md): cart 1.0 kg on a
 * prismatic joint along x, pole 0.1 kg of half-length 0.5 on a revolute joint about y, with
 * theta = 0 upright and the pole's tip at (x + 2 l sin theta, 0, 2 l cos theta).
 * Deviations from gym, stated: g = 9.81 (gym uses 9.8) to agree with the other models;
 * semi-implicit Euler (gym's default is explicit Euler; its option "semi-implicit euler"
 * is this one); gym's tau = 0.02 s and force limit 10 N are kept.
 *
 * gym's equations are exact rigid-body dynamics for a uniform rod, whose inertia about its
 * centre is m (2 l)^2 / 12 = m l^2 / 3 (the 4/3 in gym's denominator is the rod's inertia
 * about its end, m l^2 + m l^2 / 3, over m l^2). The tree gives the same equations; a test
 * checks them against gym's closed form.
 */
import { prismatic, revolute } from '../joints.js';
import { ModelBuilder, type Model } from '../model.js';
import { type MultibodyOptions, MultibodyDynamics } from '../multibody.js';
import { inertiaConstant } from '../spatial.js';

export const CARTPOLE = {
  cartMass: 1.0,
  poleMass: 0.1,
  halfLength: 0.5,
  gravity: 9.81,
  forceLimit: 10,
  dt: 0.02,
} as const;

export function cartpoleModel(): Model {
  const { cartMass, poleMass, halfLength: l, gravity } = CARTPOLE;
  const I = (poleMass * l * l) / 3;
  return new ModelBuilder('cartpole', [0, 0, -gravity])
    .addBody({ name: 'cart', parent: null, joint: prismatic([1, 0, 0]), inertia: inertiaConstant(cartMass, [0, 0, 0], [0, 0, 0, 0, 0, 0, 0, 0, 0]) })
    .addBody({ name: 'pole', parent: 'cart', joint: revolute([0, 1, 0]), inertia: inertiaConstant(poleMass, [0, 0, l], [I, 0, 0, 0, I, 0, 0, 0, 0]) })
    .addFrame('tip', 'pole', [0, 0, 2 * l])
    .build({ effort: [CARTPOLE.forceLimit, 0] });
}

export function createCartpole(options: MultibodyOptions = {}): MultibodyDynamics {
  const f = CARTPOLE.forceLimit;
  return new MultibodyDynamics({
    model: cartpoleModel(),
    actuation: [1, 0],
    nu: 1,
    controlBounds: { lower: Float64Array.of(-f), upper: Float64Array.of(f) },
    endEffector: 'tip',
    dt: options.dt ?? CARTPOLE.dt,
    integrator: options.integrator ?? 'semiImplicitEuler',
  });
}

/**
 * The UR5 reaching tasks of the main paper (sections 4.3-4.4, Fig. 1's UR5 panel and Fig. 3):
 * bring the tool0 frame of the example-robot-data UR5 to a target point, with state actions
 * (a_t = x_t, the controls from inverse dynamics).
 *
 *   model   `createModel('ur5')` (MODELS.md): six revolute joints, tool0 frame, torque limits
 *           150/150/150/28/28/28 N m as the only constraints (control bounds), dt = 0.01,
 *           semi-implicit Euler, T = 100 (ALIGATOR's `ur5_reach.py`)
 *   cost    l_t = dt (w_ee |p(q_t) - p*|^2 + w_u |u_t|^2 + w_v |v_t|^2)
 *           l_T = W_ee |p(q_T) - p*|^2 + W_v |v_T|^2
 *           with p the tool0 position and p* the target (the instance's xi). The weights are
 *           ours (UR5_REACH below; why in its comment); ALIGATOR's example uses a terminal frame
 *           weight of 100 and small state and control regularizations, which we follow in spirit.
 *   tasks   four variants (r_init, r_tgt), as the paper names them UR5(r_init, r_tgt):
 *             r_init 0  q0 within +-0.2 rad of a reasonable posture Q_HOME (ours), at rest
 *             r_init 1  q0 uniform in [-pi, pi]^6 (ours: the elbow's own limit is +-pi, the
 *                       others' +-2 pi; one turn covers every posture), at rest
 *             r_tgt 0   the fixed target (0.15, 0.65, 0.5) of ALIGATOR's reach example
 *             r_tgt 1   the tool0 position of a random posture q ~ U[-pi, pi]^6 (reachable by
 *                       construction), redrawn while it is below z = 0.1 (ours: the robot
 *                       stands on the floor)
 *           The target is always the instance's xi, and it is the policy's conditioning
 *           (`condition`) when it varies (r_tgt 1); with a fixed target there is nothing to
 *           condition on.
 *   guess   "TO alone": hold the start posture, x_t = x0, with the gravity-compensation torque
 *           RNEA(q0, 0, 0) (ours; a zero-torque guess would drop the arm).
 *   actions state actions (state-actions.ts): a = (cos q, sin q, v), decoded by RNEA.
 *
 * One registered task per variant (`ur5`, `ur5-random-init`, `ur5-random-target`,
 * `ur5-random`): a worker rebuilds a task from its name alone, and a name per variant keeps
 * that contract without adding parameters to the registry; the four share this factory.
 */
import { type Tensor, add, jit, mul, reshape, slice, square, sub, sum, tensor } from '../autodiff/index.js';
import { type MultibodyDynamics, UR5, createModel, forwardKinematics, rnea } from '../dynamics/index.js';
import { constantControls, defineProblem, stageCost, terminalCost, withTask } from '../ocp/index.js';
import { revoluteStateActions } from './state-actions.js';
import type { Task, TaskInstance } from './task.js';

/** The variant: r_init and r_tgt of the paper's UR5(r_init, r_tgt), each 0 or 1. */
export interface Ur5Variant {
  randomInit: boolean;
  randomTarget: boolean;
}

/**
 * The OCP's weights and the instance ranges (ours). The weights make the solver's reach a
 * motion a policy that does not know the time can imitate: go to the target, then hold it.
 * A stage tip weight of 300 (times dt) brings tool0 to within about 2 cm in 0.45-0.8 s on
 * most instances and keeps it there; the velocity penalty (0.3 per unit time, 1 at the end)
 * damps the approach so that the arm settles instead of swinging through; the terminal tip weight 100 then
 * closes the last few millimetres (0.2-0.7 cm at T from the cold guess); the control weight
 * 1e-3 keeps the torques smooth without holding the arm back. With a stage tip weight of 1
 * (our first choice) the terminal term alone drove the reach: the optimal arm arrived exactly
 * at T at up to 3 rad/s and braked in the last four steps, which a policy conditioned on the
 * state alone cannot time, and the diffusion policies ended 2-16 cm short, still moving
 * (README, UR5). Settling times measured on 8 instances per variant (FDDP, cold guess).
 */
export const UR5_REACH = {
  horizon: 100,
  stageTipWeight: 300,
  stageControlWeight: 1e-3,
  stageVelocityWeight: 0.3,
  terminalTipWeight: 100,
  terminalVelocityWeight: 1,
  /** A reasonable posture: shoulder lifted, elbow bent, wrist down (ours). */
  home: [0, -Math.PI / 2, Math.PI / 2, -Math.PI / 2, -Math.PI / 2, 0],
  /** Half-width of the r_init = 0 region around `home` (rad). */
  homeSpread: 0.2,
  /** r_init = 1 and the random targets' postures: every joint in [-range, range] (rad). */
  jointRange: Math.PI,
  /** A random target is redrawn while its height is below this (m). */
  minTargetHeight: 0.1,
} as const;

const NAMES: Record<string, Ur5Variant> = {
  ur5: { randomInit: false, randomTarget: false },
  'ur5-random-init': { randomInit: true, randomTarget: false },
  'ur5-random-target': { randomInit: false, randomTarget: true },
  'ur5-random': { randomInit: true, randomTarget: true },
};

/** The registry name of a variant: UR5(r_init, r_tgt). */
export function ur5TaskName(rInit: 0 | 1, rTgt: 0 | 1): string {
  const entry = Object.entries(NAMES).find(([, v]) => v.randomInit === (rInit === 1) && v.randomTarget === (rTgt === 1));
  return entry![0];
}

export function createUr5Task(name: string): Task {
  const variant = NAMES[name];
  if (variant === undefined) throw new RangeError(`createUr5Task: unknown variant "${name}" (known: ${Object.keys(NAMES).join(', ')})`);
  const dynamics = createModel('ur5') as MultibodyDynamics;
  const { model } = dynamics;
  const { nq, nv } = model;
  const w = UR5_REACH;
  const m = dynamics.manifold;
  const tip = (x: Tensor) => reshape(dynamics.frameTranslation(dynamics.configuration(x)), [-1]);
  const tipError = (x: Tensor, target: Tensor) => sum(square(sub(tip(x), target)));
  const speed = (x: Tensor) => sum(square(slice(x, [{ start: nq, stop: nq + nv }])));
  const fixedTarget = [...UR5.reachTarget];
  // Compiled once: each instance only changes x0 and xi (the target).
  const base = defineProblem({
    dynamics,
    horizon: w.horizon,
    x0: [...w.home, ...new Array(nv).fill(0)],
    xi: fixedTarget,
    stageCost: stageCost(m, dynamics.nu, 3, (x, u, xi) =>
      mul(add(add(mul(tipError(x, xi), w.stageTipWeight), mul(sum(square(u)), w.stageControlWeight)), mul(speed(x), w.stageVelocityWeight)), dynamics.dt)),
    terminalCost: terminalCost(m, 3, (x, xi) => add(mul(tipError(x, xi), w.terminalTipWeight), mul(speed(x), w.terminalVelocityWeight))),
  });
  const gravity = jit((q) => rnea(model, q, tensor(new Array(nv).fill(0)), tensor(new Array(nv).fill(0))), [[nq]]);
  const tool0 = jit((q) => reshape(dynamics.frameTranslation(q), [-1]), [[nq]]);
  const uniform = (rng: { nextFloat(): number }, c: number, half: number) => c + half * (2 * rng.nextFloat() - 1);
  const title = `UR5(${variant.randomInit ? 1 : 0}, ${variant.randomTarget ? 1 : 0})`;
  return {
    name,
    title,
    dynamics,
    horizon: w.horizon,
    solver: 'fddp',
    solverOptions: {},
    problem: (instance) => withTask(base, { x0: instance.x0, xi: instance.xi ?? fixedTarget }),
    coldGuess(problem) {
      const [tau] = gravity.run([problem.x0.subarray(0, nq)]);
      const bounds = dynamics.controlBounds!;
      const u = Array.from(tau, (t, j) => Math.min(Math.max(t, bounds.lower[j]), bounds.upper[j]));
      return { xs: Array.from({ length: w.horizon + 1 }, () => Float64Array.from(problem.x0)), us: constantControls(w.horizon, u) };
    },
    // Draw order: the start posture (joint order), then the target posture (joint order, redrawn while too low).
    sampleInstance(rng): TaskInstance {
      const q0 = variant.randomInit
        ? Array.from({ length: nq }, () => uniform(rng, 0, w.jointRange))
        : w.home.map((h) => uniform(rng, h, w.homeSpread));
      const x0 = [...q0, ...new Array(nv).fill(0)];
      if (!variant.randomTarget) return { x0, xi: [...fixedTarget] };
      for (;;) {
        const q = Array.from({ length: nq }, () => uniform(rng, 0, w.jointRange));
        const [p] = tool0.run([Float64Array.from(q)]);
        if (p[2] >= w.minTargetHeight) return { x0, xi: Array.from(p) };
      }
    },
    ...(variant.randomTarget ? { condition: (instance: TaskInstance) => instance.xi ?? fixedTarget } : {}),
    action: revoluteStateActions(dynamics),
    plot: {
      state: { index: 1, label: 'q2, shoulder lift (rad)' },
      control: { index: 1, label: 'u2, shoulder lift (N m)' },
    },
    endEffector: {
      position(x) {
        const [p] = tool0.run([Float64Array.from(x.slice(0, nq))]);
        return [p[0]!, p[1]!, p[2]!];
      },
      target(instance) {
        const [px, py, pz] = instance.xi ?? fixedTarget;
        return [px!, py!, pz!];
      },
    },
    // Seen from the side: the figure's plane is (x, z).
    skeleton(x) {
      const q = tensor(x.slice(0, nq));
      const points = [...forwardKinematics(model, q).oMi.map((placement) => placement.p), dynamics.frameTranslation(q)];
      return points.map((p) => {
        const [px, , pz] = p.toArray();
        return [px, pz];
      });
    },
  };
}

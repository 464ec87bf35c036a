/**
 * The quadrotor among columns, the main paper's constrained task (sec. 4.2 and 4.5, Fig. 4):
 * the hector quadrotor flies from a random start to a random goal at the same height,
 * between a floor and a ceiling, with thrust limits, around 0, 1, 3 or 9 fixed columns.
 *
 *   model        `createQuadrotor` (MODELS.md): a free flyer on SE(3) x R^6 (nx 13, ndx 12),
 *                four thrusts in [0, 5] N (box constraints of the solver's QP), semi-implicit
 *                Euler with the manifold's integrate; dt = 0.02 and T = 100, 2 s of flight (ours:
 *                ALIGATOR's obstacle example uses 0.01 and 180 steps; twice the step halves
 *                the knots, and the attitude dynamics stay well resolved at 50 Hz)
 *   constraints  floor z >= 0 and ceiling z <= 2, and one row per column,
 *                -(|p_xy - c|^2 - (r + margin)^2) <= 0 (DESIGN section 5), at every knot
 *                (stage constraint for t < T, terminal constraint at T); margin 0.2 m (ours:
 *                the rotor axes at 0.1525 m plus about 5 cm of rotor)
 *   columns      fixed layouts (ours; QUADROTOR_COLUMNS below), between the start and the goal
 *                regions so that the straight flight meets them
 *   cost         l_t = dt (w_p |p - g|^2 + w_v |v|^2 + w_u |u - u_hover|^2),
 *                l_T = W_p |p_T - g|^2 + W_v |v_T|^2 + W_R |log R_T|^2 (weights ours, below)
 *   instances    z ~ U(0.5, 1.5) shared by start and goal ("at the same height"); the start in
 *                x ~ U(-1, 1), y ~ U(-1.6, -1.3), the goal in x ~ U(-1, 1), y ~ U(1.3, 1.6);
 *                level and at rest (ours). xi = (goal, columns as (cx, cy, r) triples).
 *   TO alone     the interpolation from the start to the goal placement at rest, with the
 *                hover thrusts (the paper's interpolation-based guess; it crosses the columns)
 *   solver       the augmented-Lagrangian solver (ocp/constrained.ts), FDDP inside
 *   actions      a_t = (q_t (-) q_ref, v_t) with q_ref the identity placement, decoded by
 *                inverse dynamics and a least-squares thrust allocation (free-flyer-actions.ts);
 *                the policy observes the same encoding of the state and is conditioned on the goal
 *
 * One registered task per layout (`quadrotor`, `quadrotor-1-column`, `quadrotor-3-columns`,
 * `quadrotor-9-columns`): a worker rebuilds a task from its name alone.
 */
import { type Tensor, add, mul, reshape, slice, square, sub, sum, tensor } from '../autodiff/index.js';
import { QUADROTOR, createQuadrotor } from '../dynamics/index.js';
import {
  constantControls, cylinderRows, defineProblem, floorCeilingRows, interpolateStates, stackRows, stageConstraint,
  stageCost, terminalConstraint, terminalCost, withTask,
} from '../ocp/index.js';
import { freeFlyerEncoding, freeFlyerStateActions } from './free-flyer-actions.js';
import type { Task, TaskInstance } from './task.js';

/** The fixed column layouts, (cx, cy, r) per column (ours). */
export const QUADROTOR_COLUMNS: Record<0 | 1 | 3 | 9, readonly (readonly [number, number, number])[]> = {
  0: [],
  1: [[0, 0, 0.2]],
  3: [[0, 0.5, 0.2], [-0.7, -0.4, 0.2], [0.7, -0.4, 0.2]],
  // A 3 x 3 grid with 0.8 m pitch: 0.2 m of free passage for the centre between inflated columns.
  9: [-0.8, 0, 0.8].flatMap((y) => [-0.8, 0, 0.8].map((x) => [x, y, 0.1] as const)),
};

export type ColumnCount = keyof typeof QUADROTOR_COLUMNS;
export const COLUMN_COUNTS: readonly ColumnCount[] = [0, 1, 3, 9];

/** The task's numbers (ours where the paper is silent; see the file comment). */
export const QUADROTOR_TASK = {
  dt: 0.02,
  horizon: 100,
  floor: 0,
  ceiling: 2,
  margin: 0.2,
  height: [0.5, 1.5],
  startX: [-1, 1],
  startY: [-1.6, -1.3],
  goalX: [-1, 1],
  goalY: [1.3, 1.6],
  stagePositionWeight: 1,
  stageVelocityWeight: 0.1,
  stageThrustWeight: 0.01,
  terminalPositionWeight: 100,
  terminalVelocityWeight: 10,
  terminalAttitudeWeight: 1,
  /** The AL solver's stop on the constraint violation (m for the floor and ceiling, m^2 for columns); ALIGATOR's example uses 1e-4. */
  constraintTolerance: 1e-4,
} as const;

export function quadrotorTaskName(columns: ColumnCount): string {
  return columns === 0 ? 'quadrotor' : columns === 1 ? 'quadrotor-1-column' : `quadrotor-${columns}-columns`;
}

/** The identity placement q_ref of the action encoding. */
const Q_REF = [0, 0, 0, 0, 0, 0, 1];

export function createQuadrotorTask(columns: ColumnCount): Task {
  const layout = QUADROTOR_COLUMNS[columns];
  if (layout === undefined) throw new RangeError(`createQuadrotorTask: no layout with ${columns} columns (known: ${COLUMN_COUNTS.join(', ')})`);
  const w = QUADROTOR_TASK;
  const dynamics = createQuadrotor({ dt: w.dt });
  const { nq, nv } = dynamics.model;
  const m = dynamics.manifold;
  const nu = dynamics.nu;
  const hover = (QUADROTOR.mass * QUADROTOR.gravity) / nu;
  const columnXi = layout.flatMap((c) => [...c]);
  const nxi = 3 + columnXi.length;
  const position = (x: Tensor) => slice(x, [{ start: 0, stop: 3 }]);
  const velocity = (x: Tensor) => slice(x, [{ start: nq, stop: nq + nv }]);
  const goal = (xi: Tensor) => slice(xi, [{ start: 0, stop: 3 }]);
  const toGoal = (x: Tensor, xi: Tensor) => sum(square(sub(position(x), goal(xi))));
  const speed = (x: Tensor) => sum(square(velocity(x)));
  const attitude = (x: Tensor) => {
    const dq = m.differenceConfiguration(tensor(Q_REF), slice(x, [{ start: 0, stop: nq }]));
    return sum(square(slice(dq, [{ start: 3, stop: 6 }])));
  };
  const uHover = tensor(new Array(nu).fill(hover));
  const rows = (count: number) => stackRows([
    floorCeilingRows(2, w.floor, w.ceiling),
    ...(count > 0 ? [cylinderRows((x) => slice(x, [{ start: 0, stop: 2 }]), count, 3, w.margin)] : []),
  ]);
  const ni = 2 + layout.length;
  const constraint = rows(layout.length);
  const fixedGoal = [0, 1.45, 1];
  // Compiled once: each instance only changes x0 and xi.
  const base = defineProblem({
    dynamics,
    horizon: w.horizon,
    x0: [0, -1.45, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0],
    xi: [...fixedGoal, ...columnXi],
    stageCost: stageCost(m, nu, nxi, (x, u, xi) => mul(add(add(
      mul(toGoal(x, xi), w.stagePositionWeight),
      mul(speed(x), w.stageVelocityWeight)),
      mul(sum(square(sub(u, uHover))), w.stageThrustWeight)), w.dt)),
    terminalCost: terminalCost(m, nxi, (x, xi) => add(add(
      mul(toGoal(x, xi), w.terminalPositionWeight),
      mul(speed(x), w.terminalVelocityWeight)),
      mul(attitude(x), w.terminalAttitudeWeight))),
    stageConstraint: stageConstraint(m, nu, nxi, { ne: 0, ni }, constraint),
    terminalConstraint: terminalConstraint(m, nxi, { ne: 0, ni }, (x, xi) => constraint(x, tensor(new Array(nu).fill(0)), xi)),
  });
  const uniform = (rng: { nextFloat(): number }, [lo, hi]: readonly number[]) => lo! + (hi! - lo!) * rng.nextFloat();
  const action = freeFlyerStateActions(dynamics, Q_REF);
  const encode = freeFlyerEncoding(dynamics, Q_REF);
  return {
    name: quadrotorTaskName(columns),
    title: columns === 0 ? 'quadrotor' : `quadrotor, ${columns} column${columns > 1 ? 's' : ''}`,
    dynamics,
    horizon: w.horizon,
    solver: 'constrained',
    solverOptions: { constraintTolerance: w.constraintTolerance },
    problem: (instance) => withTask(base, { x0: instance.x0, xi: instance.xi ?? base.xi }),
    coldGuess(problem) {
      const target = [...Array.from(problem.xi.subarray(0, 3)), ...Q_REF.slice(3), ...new Array(nv).fill(0)];
      return { xs: interpolateStates(m, problem.x0, target, w.horizon), us: constantControls(w.horizon, new Array(nu).fill(hover)) };
    },
    // Draw order: the height, the start (x, y), the goal (x, y).
    sampleInstance(rng): TaskInstance {
      const z = uniform(rng, w.height);
      const start = [uniform(rng, w.startX), uniform(rng, w.startY), z];
      const g = [uniform(rng, w.goalX), uniform(rng, w.goalY), z];
      return { x0: [...start, ...Q_REF.slice(3), ...new Array(nv).fill(0)], xi: [...g, ...columnXi] };
    },
    condition: (instance) => (instance.xi ?? base.xi).slice(0, 3) as number[],
    goalDistance(instance, x) {
      const g = instance.xi ?? base.xi;
      return Math.hypot(x[0]! - g[0]!, x[1]! - g[1]!, x[2]! - g[2]!);
    },
    action,
    observe: (xHist: Tensor) => {
      const [B, To, nx] = xHist.shape;
      return reshape(encode(reshape(xHist, [B * To, nx])), [B, To, 2 * nv]);
    },
    plot: {
      state: { index: 1, label: 'y (m)' },
      control: { index: 0, label: 'u1, front rotor thrust (N)' },
    },
    // Seen from above: the figure's plane is (x, y).
    skeleton: (x) => [[x[0]!, x[1]!]],
  };
}

/**
 * The quadrotor among columns (tasks/quadrotor.ts): every layout's instances start and end
 * clear of the inflated columns, between floor and ceiling, at one height; the
 * augmented-Lagrangian solver solves the 9-column layout from the interpolation guess (which
 * crosses the columns) to within the task's constraint tolerance, its reported cost is the
 * problem's J and its reported violation the one `constraintViolation` measures; and
 * `growingTrajectories` is the paper's 30-to-100 schedule.
 */
import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/autodiff/index.js';
import { growingTrajectories } from '../../src/learning/interplay.js';
import { constraintViolation, solveOcp, trajectoryCost } from '../../src/ocp/index.js';
import { COLUMN_COUNTS, QUADROTOR_COLUMNS, QUADROTOR_TASK, quadrotorTaskName, taskByName } from '../../src/tasks/index.js';

const SEED = 1_618_033;

describe.each(COLUMN_COUNTS)(`quadrotor layout with %i columns (seed ${SEED})`, (columns) => {
  const task = taskByName(quadrotorTaskName(columns));
  const w = QUADROTOR_TASK;

  it('draws starts and goals at one height, clear of the inflated columns and inside floor and ceiling', () => {
    const rng = new Rng(SEED);
    for (let k = 0; k < 200; k++) {
      const { x0, xi } = task.sampleInstance(rng);
      expect(xi!.slice(3)).toEqual(QUADROTOR_COLUMNS[columns].flat());
      expect(xi![2]).toBe(x0[2]);
      expect(x0[2]!).toBeGreaterThan(w.floor);
      expect(x0[2]!).toBeLessThan(w.ceiling);
      for (const [cx, cy, r] of QUADROTOR_COLUMNS[columns]) {
        for (const [px, py] of [[x0[0]!, x0[1]!], [xi![0]!, xi![1]!]]) expect(Math.hypot(px! - cx, py! - cy)).toBeGreaterThan(r + w.margin + 0.05);
      }
      // At the start the constraints hold (the solver's problem is feasible at t = 0).
      expect(constraintViolation(task.problem({ x0, xi }), [x0], [])).toBe(0);
    }
  });
});

describe('the constrained solver on the quadrotor', () => {
  it('solves a 9-column instance from the interpolation guess that crosses the columns', () => {
    const task = taskByName('quadrotor-9-columns');
    // A start and goal straight across the middle column.
    const instance = { x0: [0, -1.45, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0], xi: [0, 1.45, 1, ...QUADROTOR_COLUMNS[9].flat()] };
    const problem = task.problem(instance);
    const guess = task.coldGuess(problem);
    expect(constraintViolation(problem, guess.xs!, guess.us!)).toBeGreaterThan(0.05);
    const s = solveOcp(problem, task.solver, guess, { ...task.solverOptions, history: false });
    expect(s.converged, s.reason).toBe(true);
    const violation = constraintViolation(problem, s.xs, s.us);
    expect(violation).toBeLessThanOrEqual(QUADROTOR_TASK.constraintTolerance);
    expect(violation).toBeCloseTo(s.constraintViolation!, 12);
    expect(trajectoryCost(problem, s.xs, s.us)).toBeCloseTo(s.cost, 9);
    expect(task.goalDistance!(instance, Array.from(s.xs.at(-1)!))).toBeLessThan(0.01);
    // It went around: the middle column's centre is at least r + margin away all along (to the tolerance, in m^2).
    for (const x of s.xs) expect(Math.hypot(x[0]!, x[1]!) ** 2).toBeGreaterThan((0.1 + QUADROTOR_TASK.margin) ** 2 - 2 * QUADROTOR_TASK.constraintTolerance);
  });
});

describe('n_traj growing across Alg. 1 iterations', () => {
  it('goes from 30 to 100 over five iterations as the paper does, and rejects bad input', () => {
    const n = growingTrajectories(30, 100, 5);
    expect([0, 1, 2, 3, 4].map(n)).toEqual([30, 48, 65, 83, 100]);
    expect(growingTrajectories(50, 10, 1)(0)).toBe(50);
    expect(() => n(5)).toThrow(RangeError);
    expect(() => growingTrajectories(0, 10, 3)).toThrow(RangeError);
    expect(() => growingTrajectories(10, 20, 0)).toThrow(RangeError);
  });
});

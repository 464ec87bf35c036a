/**
 * The task layer: every registered task builds, its instances are plain numbers that fix the
 * problem (a worker rebuilds the same problem from them), a seed fixes the instances, its cold
 * guess has the problem's shape, and the solver converges from it on a sampled instance.
 */
import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/autodiff/index.js';
import { solveOcp, trajectoryCost } from '../../src/ocp/index.js';
import { TASK_NAMES, UR5_REACH, taskByName, ur5TaskName } from '../../src/tasks/index.js';

describe.each(TASK_NAMES)('task %s', (name) => {
  const task = taskByName(name);

  it('is built once per thread and named as registered', () => {
    expect(taskByName(name)).toBe(task);
    expect(task.name).toBe(name);
  });

  it('draws the same instances from the same seed, as plain structured-cloneable numbers', () => {
    const draw = (seed: number) => Array.from({ length: 5 }, ((rng) => () => task.sampleInstance(rng))(new Rng(seed)));
    const a = draw(4);
    expect(draw(4)).toEqual(a);
    expect(draw(5)).not.toEqual(a);
    expect(structuredClone(a)).toEqual(a);
    for (const instance of a) expect(instance.x0.length).toBe(task.dynamics.nx);
  });

  it('the problem of an instance starts at its x0, and the cold guess fits the horizon', () => {
    const instance = task.sampleInstance(new Rng(1));
    const problem = task.problem(instance);
    expect(Array.from(problem.x0)).toEqual(instance.x0);
    expect(problem.horizon).toBe(task.horizon);
    const guess = task.coldGuess(problem);
    expect(guess.xs?.length).toBe(task.horizon + 1);
    expect(guess.us?.length).toBe(task.horizon);
  });

  it('the solver converges from the cold guess, and trajectoryCost agrees with its cost', () => {
    const problem = task.problem(task.sampleInstance(new Rng(2)));
    const s = solveOcp(problem, task.solver, task.coldGuess(problem), { ...task.solverOptions, history: false });
    expect(s.converged, s.reason).toBe(true);
    expect(trajectoryCost(problem, s.xs, s.us)).toBeCloseTo(s.cost, 9);
  });
});

describe.each(TASK_NAMES.filter((name) => taskByName(name).condition !== undefined))('the policy condition of task %s', (name) => {
  it('is a fixed-length list of finite numbers that varies across instances', () => {
    const task = taskByName(name);
    const rng = new Rng(3);
    const rows = Array.from({ length: 5 }, () => task.condition!(task.sampleInstance(rng)));
    expect(rows[0].length).toBeGreaterThan(0);
    for (const row of rows) {
      expect(row.length).toBe(rows[0].length);
      expect(row.every(Number.isFinite)).toBe(true);
    }
    expect(rows[1]).not.toEqual(rows[0]);
  });
});

describe('UR5 reach variants (main paper, sec. 4.3)', () => {
  it('maps UR5(r_init, r_tgt) to the registered tasks, conditioned on the target only when it is random', () => {
    expect([ur5TaskName(0, 0), ur5TaskName(1, 0), ur5TaskName(0, 1), ur5TaskName(1, 1)]).toEqual(['ur5', 'ur5-random-init', 'ur5-random-target', 'ur5-random']);
    expect(taskByName('ur5').condition).toBeUndefined();
    expect(taskByName('ur5-random-init').condition).toBeUndefined();
    const random = taskByName('ur5-random');
    const instance = random.sampleInstance(new Rng(7));
    expect(random.condition!(instance)).toEqual(instance.xi);
  });

  it('draws starts at rest in the stated ranges, and targets fixed or above the floor within reach', () => {
    const rng = new Rng(11);
    for (const name of ['ur5', 'ur5-random']) {
      const task = taskByName(name);
      for (let i = 0; i < 20; i++) {
        const { x0, xi } = task.sampleInstance(rng);
        const q = x0.slice(0, 6);
        expect(x0.slice(6)).toEqual([0, 0, 0, 0, 0, 0]);
        if (name === 'ur5') {
          q.forEach((v, j) => expect(Math.abs(v - UR5_REACH.home[j])).toBeLessThanOrEqual(UR5_REACH.homeSpread));
          expect(xi).toEqual([0.15, 0.65, 0.5]);
        } else {
          q.forEach((v) => expect(Math.abs(v)).toBeLessThanOrEqual(UR5_REACH.jointRange));
          expect(xi![2]).toBeGreaterThanOrEqual(UR5_REACH.minTargetHeight);
          // The arm's reach from the shoulder (0, 0, 0.089): the links' lengths add to about 1 m.
          expect(Math.hypot(xi![0], xi![1], xi![2] - 0.089159)).toBeLessThan(1.05);
        }
      }
    }
  });
});

describe('task registry', () => {
  it('names the known tasks when asked for an unknown one', () => {
    expect(() => taskByName('nope')).toThrow(/unknown task "nope" \(known: pendulum/);
  });
});

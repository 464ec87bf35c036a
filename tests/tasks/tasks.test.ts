/**
 * The task layer: every registered task builds, its instances are plain numbers that fix the
 * problem (a worker rebuilds the same problem from them), a seed fixes the instances, its cold
 * guess has the problem's shape, and the solver converges from it on a sampled instance.
 */
import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/autodiff/index.js';
import { solveOcp, trajectoryCost } from '../../src/ocp/index.js';
import { TASK_NAMES, taskByName } from '../../src/tasks/index.js';

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

describe('task registry', () => {
  it('names the known tasks when asked for an unknown one', () => {
    expect(() => taskByName('nope')).toThrow(/unknown task "nope" \(known: pendulum/);
  });
});

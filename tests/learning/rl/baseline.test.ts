/**
 * The baselines' project defaults (learning/rl/baseline.ts), which experiments/rl.ts and the
 * consensus comparison share: they are the settings rl.ts built by hand before they moved
 * (budgets per task, widths, the 0.05 s decision period, the action box of an unbounded task),
 * and `trainBaseline` runs bit for bit what the same options given to trainPpo / trainSac run.
 */
import { describe, expect, it } from 'vitest';
import { heldOutInstances } from '../../../src/learning/evaluate.js';
import { baselineProtocol, trainBaseline } from '../../../src/learning/rl/baseline.js';
import { trainPpo } from '../../../src/learning/rl/ppo.js';
import { trainSac } from '../../../src/learning/rl/sac.js';
import { RL_STUDY } from '../../../src/experiments/rl.js';
import { taskByName } from '../../../src/tasks/index.js';

const SEED = 4051;

describe(`the baselines' defaults (seed ${SEED})`, () => {
  it('are the settings rl.ts used: budgets, widths, decision period, action box, SB3 learning rate and n_steps', () => {
    // What experiments/rl.ts wrote down before the move (README, "Model-free baselines").
    const expected = {
      ppo: { steps: 100_000, hidden: [64, 64] },
      sac: { steps: 6000, hidden: [64, 64] },
    };
    const repeat: Record<string, number> = { lqr: 1, pendulum: 5, unicycle: 1 };
    for (const algo of ['ppo', 'sac'] as const) {
      for (const name of ['lqr', 'pendulum', 'unicycle']) {
        const task = taskByName(name);
        const p = baselineProtocol(algo, task);
        expect(p).toEqual({
          algo, steps: expected[algo].steps, evalEvery: expected[algo].steps / 20, actionRepeat: repeat[name], hidden: expected[algo].hidden,
          learningRate: 3e-4, nSteps: 2048, numEnvs: 1, discount: 1, actionBound: name === 'unicycle' ? 10 : null,
        });
        // The rl.ts flags' defaults (0 and empty lists: the task's defaults) resolve to the same.
        const d = RL_STUDY.defaults;
        expect(baselineProtocol(algo, task, {
          steps: d.steps, hidden: d.hidden, actionRepeat: d.actionRepeat, evalEvery: d.evalEvery, learningRate: d.learningRate,
          nSteps: d.nSteps, numEnvs: d.numEnvs, discount: d.discount, actionBound: d.actionBound,
        })).toEqual(p);
      }
    }
    expect(() => baselineProtocol('ddpg', taskByName('lqr'))).toThrow(RangeError);
    expect(() => baselineProtocol('sac', taskByName('double-pendulum'))).toThrow(/no default budget/);
    expect(baselineProtocol('sac', taskByName('double-pendulum'), { steps: 500 }).steps).toBe(500);
  });

  it.each(['ppo', 'sac'] as const)('%s: trainBaseline runs what the explicit options run, its curve on the held-out tasks', (algo) => {
    const task = taskByName('lqr');
    const heldOut = heldOutInstances(task, SEED, 3);
    const small = { steps: 200, evalEvery: 100, hidden: [8, 8], nSteps: 100 };
    const run = trainBaseline(algo, task, { seed: SEED, heldOut, ...small });
    // The options rl.ts built before the move.
    const options = {
      seed: SEED, totalSteps: 200, numEnvs: 1, discount: 1, actionBound: null, actionRepeat: 1, evalEvery: 100,
      evalInstances: 3, evalTasks: heldOut, hidden: [8, 8], learningRate: 3e-4, nSteps: 100,
    };
    const direct = algo === 'ppo' ? trainPpo(task, options) : trainSac(task, options);
    expect(run.curve.map((c) => c.steps)).toEqual([0, 100, 200]);
    expect(run.curve.map((c) => c.evalCost)).toEqual(direct.curve.map((c) => c.evalCost));
    expect(run.updates).toBe(direct.updates);
    expect(() => trainBaseline(algo, task, { seed: SEED, heldOut: [], ...small })).toThrow(RangeError);
  });
});

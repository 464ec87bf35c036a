/**
 * The consensus algorithms on a tiny LQR whose optimal policy is known in closed form: the
 * one-dimensional double integrator (nx = 2, nu = 1) with the DARE solution as terminal cost
 * (tasks/lqr.ts), so the optimal policy is the stationary u = -K x at every knot, and bounds
 * (|u| <= 10) that never bind on these starts (|K x0| < 4).
 *
 * The policy is the consensus network with no hidden layer, u = 10 tanh(W (x - c)/s + b): it
 * can only bend the linear law by tanh's curvature. On these starts |z| <= 0.4, where the best
 * fit's slope differs from K by a few per cent; we accept a gain error (max over entries and
 * test states of |d pi/dx + K|) of 5 % of max |K| = 0.14. Measured: PDDP 0.025, PLAL 0.025,
 * PLAL+M 0.035, PODS 0.025. An algorithm that stalls (PLAL at mu = 10 can reach a consensus on
 * the random initial policy: error 2.7 in one such run) or whose dual update is wrong fails by far.
 */
import { describe, expect, it } from 'vitest';
import { Rng } from '../../../src/autodiff/index.js';
import {
  type ConsensusSettings, DEFAULT_CONSENSUS_SETTINGS, initConsensusPolicy, parseAlgorithm, policyFunction, trainConsensus,
} from '../../../src/learning/consensus/index.js';
import { LQR_TASK, createLqrTask, discreteRiccati, lqrMatrices } from '../../../src/tasks/index.js';

const SEED = 31;
const OPTIONS = { dims: 1, bound: 10, horizon: 30, positionSpread: 1, velocitySpread: 0.5, name: 'lqr-tiny' };
const task = createLqrTask(OPTIONS);
const K = Array.from(discreteRiccati(lqrMatrices({ ...LQR_TASK, ...OPTIONS })).K.data);
const GAIN_TOLERANCE = 0.05 * Math.max(...K.map(Math.abs));
const rng = new Rng(SEED);
const instances = Array.from({ length: 6 }, () => task.sampleInstance(rng));
const testInstances = Array.from({ length: 3 }, () => task.sampleInstance(rng));

async function run(name: string, settings: Partial<ConsensusSettings>) {
  const policy = initConsensusPolicy(new Rng(SEED + 1), task, instances, []);
  const result = await trainConsensus({
    task, algorithm: parseAlgorithm(name), instances, testInstances, policy,
    settings: { ...DEFAULT_CONSENSUS_SETTINGS, batchSize: 1000, lr: 1e-2, epochs: 100, seed: SEED, ...settings },
  });
  const pi = policyFunction(result.policy);
  const J = new Float64Array(2);
  let gainError = 0;
  for (const x of [[0.3, -0.2], [-0.5, 0.1], [0.05, 0.3], [0, 0]]) {
    pi.evaluate(Float64Array.from(x), new Float64Array(1), J);
    gainError = Math.max(gainError, Math.abs(J[0]! + K[0]!), Math.abs(J[1]! + K[1]!));
  }
  return { ...result, gainError, last: result.history[result.history.length - 1]! };
}

describe(`consensus algorithms on a tiny LQR (seed ${SEED})`, () => {
  it('PDDP converges to the Riccati policy', async () => {
    const r = await run('PDDP', { iterations: 6 });
    expect(r.gainError).toBeLessThan(GAIN_TOLERANCE);
    expect(r.history).toHaveLength(7);
    // The simulator calls grow with every iteration.
    for (let k = 1; k < r.history.length; k++) expect(r.history[k]!.simulatorCalls).toBeGreaterThan(r.history[k - 1]!.simulatorCalls);
  });

  // 300 epochs: the learning phase must be close to its argmin, or the consensus residual stalls at
  // its precision (measured: about 3e-3 with 100 epochs, 5e-6 with 300).
  const plal = () => (plalRun ??= run('PLAL', { iterations: 25, mu: 0.1, epochs: 300 }));
  let plalRun: ReturnType<typeof run> | undefined;

  it('PLAL converges to the Riccati policy and its dual update drives the consensus residual to zero', async () => {
    const r = await plal();
    expect(r.gainError).toBeLessThan(GAIN_TOLERANCE);
    expect(r.last.consensusResidual).toBeLessThan(1e-4);
    expect(r.history[3]!.consensusResidual).toBeGreaterThan(100 * r.last.consensusResidual);
    expect(r.history.every((h) => h.iteration === 0 || h.dualUpdated)).toBe(true);
  });

  it('PLAL+M: the multiple-shooting consensus drives both residuals (u = pi(2x), 1x = 2x) to zero at the Riccati policy', async () => {
    const r = await run('PLAL+M', { iterations: 80, mu: 1 });
    expect(r.gainError).toBeLessThan(GAIN_TOLERANCE);
    expect(r.last.consensusResidual).toBeLessThan(1e-3);
    expect(r.last.stateResidual).toBeLessThan(1e-3);
    expect(r.history[5]!.stateResidual).toBeGreaterThan(10 * r.last.stateResidual);
  });

  it('PODS (one Newton step of the rollout, projected) converges on the LQR, where that step is exact', async () => {
    expect((await run('PODS', { iterations: 6 })).gainError).toBeLessThan(GAIN_TOLERANCE);
  });

  it('DPL (a penalty without multipliers) keeps a consensus gap that PLAL closes', async () => {
    const dpl = await run('DPL', { iterations: 25, mu: 0.1, epochs: 300 });
    expect(dpl.last.consensusResidual).toBeGreaterThan(100 * (await plal()).last.consensusResidual);
  });

  it('BCL schedule: mu grows while the residual is above the tolerance, and the multipliers wait', async () => {
    const r = await run('PLAL', { iterations: 3, mu: 0.01, muSchedule: 'bcl', bclTolerance: 1e-12, muFactor: 10 });
    expect(r.history.slice(1).map((h) => h.mu)).toEqual([0.1, 1, 10].map((v) => expect.closeTo(v, 12)));
    expect(r.history.slice(1).every((h) => !h.dualUpdated)).toBe(true);
  });

  it('parses the algorithm names of the figures and rejects others with a clear error', async () => {
    expect(parseAlgorithm('PLAL+M+S')).toMatchObject({ consensus: 'augmentedLagrangian', multipleShooting: true, sobolev: true, constrained: true });
    expect(parseAlgorithm('PLAL+S-C')).toMatchObject({ sobolev: true, constrained: false, multipleShooting: false });
    expect(parseAlgorithm('PODS')).toMatchObject({ consensus: 'projection', constrained: false, ocIterations: 1 });
    expect(parseAlgorithm('DPL')).toMatchObject({ consensus: 'penalty', constrained: false, sobolev: true });
    expect(() => parseAlgorithm('PDDP+M')).toThrow(/\+M needs/);
    expect(() => parseAlgorithm('PPO')).toThrow(/unknown consensus algorithm/);
    expect(() => parseAlgorithm('PLAL+S+S')).toThrow(/twice/);
    await expect(run('PLAL', { iterations: 0 })).rejects.toThrow(/iterations/);
    await expect(run('PLAL', { muSchedule: 'cubic' as never })).rejects.toThrow(/muSchedule/);
  });
});

/**
 * The consensus OC phase on the worker pool (oc-solve.ts, workers/jobs.ts kind
 * `consensus-solve`): a short run of PDDP, PLAL+S (single shooting: the policy's parameters
 * travel in the job) and PLAL+M+S (multiple shooting: the targets travel) on the registered
 * constrained LQR (a worker finds the task by name) gives, on a pool of two workers, the same
 * run to the bit as on this thread: every iteration record but the times, and the final
 * network. A consensus job survives the queue's wire format and solves to the same solution.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { Rng } from '../../../src/autodiff/index.js';
import {
  type ConsensusResult, type ConsensusSolveBackend, type ConsensusSolveJob, type IterationRecord,
  DEFAULT_CONSENSUS_SETTINGS, initConsensusPolicy, parseAlgorithm, policyData, solveConsensusOcp, trainConsensus,
} from '../../../src/learning/consensus/index.js';
import { JobPool, runJob } from '../../../src/learning/workers/jobs.js';
import { decodeWire, encodeWire } from '../../../src/learning/workers/wire.js';
import { taskByName } from '../../../src/tasks/index.js';

const SEED = 5;
const task = taskByName('lqr');
const rng = new Rng(SEED);
const instances = Array.from({ length: 3 }, () => task.sampleInstance(rng));
const testInstances = Array.from({ length: 2 }, () => task.sampleInstance(rng));
const policy = initConsensusPolicy(new Rng(SEED + 1), task, instances, [16]);
const settings = { ...DEFAULT_CONSENSUS_SETTINGS, iterations: 2, epochs: 3, mu: 0.1, seed: SEED };

const train = (name: string, backend?: ConsensusSolveBackend) =>
  trainConsensus({ task, algorithm: parseAlgorithm(name), instances, testInstances, policy, settings, backend });

/** A record without its timings (wall clocks differ between runs). */
const untimed = ({ ocSeconds: _a, ocSolveSeconds: _b, learnSeconds: _c, ...rest }: IterationRecord) => rest;

const weights = (r: ConsensusResult) => policyData(r.policy).layers.flatMap((l) => [...l.weight, ...l.bias]);

describe(`the consensus OC phase on the worker pool (seed ${SEED})`, () => {
  const pool = new JobPool(2);
  afterAll(() => pool.close());

  for (const name of ['PDDP', 'PLAL+S', 'PLAL+M+S']) {
    it(`${name}: the pool and this thread give the same run`, async () => {
      let jobs = 0;
      const counted: ConsensusSolveBackend = { solveConsensus: (job) => { jobs++; return pool.solveConsensus(job); } };
      const onPool = await train(name, counted);
      const here = await train(name);
      // Every OC solve went to the pool: one per instance and iteration.
      expect(jobs).toBe(instances.length * settings.iterations);
      expect(onPool.history.map(untimed)).toEqual(here.history.map(untimed));
      expect(weights(onPool)).toEqual(weights(here));
      // The runs did something: the solves converged and the policy moved.
      expect(onPool.history[1]!.ocConverged).toBe(instances.length);
      expect(weights(onPool)).not.toEqual(policyData(policy).layers.flatMap((l) => [...l.weight, ...l.bias]));
      for (const h of onPool.history.slice(1)) expect(h.ocSolveSeconds).toBeGreaterThan(0);
    }, 60_000);
  }

  it('a consensus job survives the wire format and solves to the same solution, here and through runJob', () => {
    const problem = task.problem(instances[0]!);
    const guess = task.coldGuess(problem);
    const T = task.horizon;
    const job: ConsensusSolveJob = {
      task: 'lqr', instance: instances[0]!, constrained: true, guess, options: { history: false, maxIterations: 50 },
      terms: {
        mu: new Float64Array(T).fill(0.1),
        lambda: Array.from({ length: T }, (_, t) => Float64Array.from({ length: task.dynamics.nu }, (_, i) => 0.01 * (t - i))),
        policy: policyData(policy),
      },
    };
    const back = decodeWire(JSON.parse(JSON.stringify(encodeWire(job)))) as ConsensusSolveJob;
    expect(back).toEqual(job);
    const direct = solveConsensusOcp(task, job);
    const viaWire = runJob({ ...back, kind: 'consensus-solve' }) as ReturnType<typeof solveConsensusOcp>;
    expect(viaWire.solution.xs).toEqual(direct.solution.xs);
    expect(viaWire.solution.us).toEqual(direct.solution.us);
    expect(viaWire.calls).toEqual(direct.calls);
    expect(direct.calls.steps).toBeGreaterThan(0);
    expect(direct.solution.converged).toBe(true);
  });

  it('rejects a job for another task', () => {
    const problem = task.problem(instances[0]!);
    const job: ConsensusSolveJob = { task: 'pendulum', instance: instances[0]!, constrained: true, guess: task.coldGuess(problem), options: {} };
    expect(() => solveConsensusOcp(task, job)).toThrow(/names task "pendulum"/);
  });
});

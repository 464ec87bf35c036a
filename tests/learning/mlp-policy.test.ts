/**
 * MLP policies (PDDP / PDDP+S): the Sobolev term's gradient is the true gradient, its
 * projection is exact for one control, and on data from a linear feedback law the
 * Sobolev-trained policy recovers the gains that plain regression cannot see.
 */
import { describe, expect, it } from 'vitest';
import { ConcreteTensor, Rng, type Tensor, cast, flatten, jacfwd, reshape, tensor } from '../../src/autodiff/index.js';
import { mlpFromArtifact } from '../../src/learning/methods.js';
import { type PairDataset, initMlpPolicy, mlpAction, mlpLoss, mlpTrainStep, trainMlpPolicy } from '../../src/learning/mlp-policy.js';
import { adam, initTrainState } from '../../src/nn/optim/index.js';
import { checkGradAgainstFiniteDifferences } from '../autodiff/check.js';

const SEED = 4242;

/** Pairs from u = clip(-G x) around a few trajectories: states along lines, gains constant. */
function linearFeedbackData(rng: Rng, count: number): PairDataset {
  const nx = 2;
  const gains = [-1.5, -0.7];
  const x = new Float64Array(count * nx);
  const u = new Float64Array(count);
  const K = new Float64Array(count * nx);
  // Few distinct directions: values alone underdetermine the gains off these lines.
  for (let i = 0; i < count; i++) {
    const s = rng.uniform([1], -1, 1).data[0];
    const line = i % 3;
    x[i * nx] = s;
    x[i * nx + 1] = 0.3 * line * s;
    u[i] = gains[0] * x[i * nx] + gains[1] * x[i * nx + 1];
    K.set(gains, i * nx);
  }
  return { count, stateDim: nx, controlDim: 1, x, u, K };
}

describe(`MLP policies (seed ${SEED})`, () => {
  const config = { stateDim: 2, controlDim: 1, hidden: [8, 8], lower: [-5], upper: [5] };

  it('the gradient of the Sobolev loss matches central differences', () => {
    const rng = new Rng(SEED);
    const data = linearFeedbackData(rng, 6);
    const policy = initMlpPolicy(rng, config, data);
    const x = new ConcreteTensor(data.x, [6, 2]);
    const u = new ConcreteTensor(data.u, [6, 1]);
    const K = new ConcreteTensor(data.K, [6, 1, 2]);
    const w = tensor([[1], [-1], [1], [1], [-1], [1]]);
    checkGradAgainstFiniteDifferences((p: typeof policy.params) => mlpLoss(policy, p, x, u, K, w, 0.7), policy.params, 'Sobolev MLP loss');
  });

  it('conditioned on task parameters: the loss gradient matches central differences, and the Sobolev term differentiates the state only', () => {
    const rng = new Rng(SEED + 2);
    const data = linearFeedbackData(rng, 4);
    const c = Float64Array.from({ length: 4 * 3 }, () => rng.uniform([1], -1, 1).data[0]);
    const conditioned = { ...data, c, conditionDim: 3 };
    const policy = initMlpPolicy(rng, { ...config, conditionDim: 3 }, conditioned);
    expect(policy.center.length).toBe(5);
    const x = new ConcreteTensor(data.x, [4, 2]);
    const ct = new ConcreteTensor(c, [4, 3]);
    const K = new ConcreteTensor(data.K, [4, 1, 2]);
    const w = tensor([[1], [-1], [-1], [1]]);
    checkGradAgainstFiniteDifferences((p: typeof policy.params) => mlpLoss(policy, p, x, new ConcreteTensor(data.u, [4, 1]), K, w, 0.7, ct), policy.params, 'conditioned Sobolev MLP loss');
    // With the value term zero, the projected term is the mismatch of d pi / dx (2 columns, not 5).
    const u = mlpAction(policy, policy.params, x, ct);
    const sobolev = mlpLoss(policy, policy.params, x, u, K, w, 1, ct).item();
    let direct = 0;
    for (let b = 0; b < 4; b++) {
      const cb = new ConcreteTensor(c.slice(3 * b, 3 * b + 3), [1, 3]);
      const [j0, j1] = jacfwd((z: Tensor) => reshape(mlpAction(policy, policy.params, reshape(z, [1, 2]), cb), [1]))(tensor([data.x[2 * b], data.x[2 * b + 1]])).toArray();
      direct += (j0 - data.K[2 * b]) ** 2 + (j1 - data.K[2 * b + 1]) ** 2;
    }
    expect(Math.abs(sobolev - direct / 4)).toBeLessThan(1e-12 * (1 + Math.abs(sobolev)));
    expect(() => mlpAction(policy, policy.params, x)).toThrow(/task parameters/);
  });

  it('with one control the projected term equals the full Jacobian mismatch', () => {
    const rng = new Rng(SEED + 1);
    const data = linearFeedbackData(rng, 4);
    const policy = initMlpPolicy(rng, config, data);
    const x = new ConcreteTensor(data.x, [4, 2]);
    const u = mlpAction(policy, policy.params, x); // value term zero
    const K = new ConcreteTensor(data.K, [4, 1, 2]);
    const sobolev = mlpLoss(policy, policy.params, x, u, K, tensor([[1], [-1], [-1], [1]]), 1).item();
    let direct = 0;
    for (let b = 0; b < 4; b++) {
      const xb = tensor([data.x[2 * b], data.x[2 * b + 1]]);
      const [j0, j1] = jacfwd((z: Tensor) => reshape(mlpAction(policy, policy.params, reshape(z, [1, 2])), [1]))(xb).toArray();
      direct += (j0 - data.K[2 * b]) ** 2 + (j1 - data.K[2 * b + 1]) ** 2;
    }
    expect(Math.abs(sobolev - direct / 4)).toBeLessThan(1e-12 * (1 + Math.abs(sobolev)));
  });

  it('a training step is a pure function of (state, batch) that lowers the loss on its batch', () => {
    const rng = new Rng(SEED + 4);
    const data = linearFeedbackData(rng, 8);
    const policy = initMlpPolicy(rng, config, data);
    const batch = {
      x: new ConcreteTensor(data.x, [8, 2]), u: new ConcreteTensor(data.u, [8, 1]), K: new ConcreteTensor(data.K, [8, 1, 2]),
      w: tensor([[1], [-1], [1], [1], [-1], [1], [-1], [-1]]),
    };
    const setup = { policy, alphaSob: 0.5, update: { optimizer: adam({ lr: 1e-2 }) } };
    const start = initTrainState(setup.update, policy.params);
    const a = mlpTrainStep(setup, start, batch);
    const b = mlpTrainStep(setup, start, batch);
    expect(a.state.step).toBe(1);
    expect(b.state.params.map((l) => l.weight.toArray())).toEqual(a.state.params.map((l) => l.weight.toArray()));
    expect(a.metrics.loss).toBe(mlpLoss(policy, policy.params, batch.x, batch.u, batch.K, batch.w, 0.5).item());
    let state = a.state;
    for (let i = 0; i < 20; i++) state = mlpTrainStep(setup, state, batch).state;
    expect(mlpTrainStep(setup, state, batch).metrics.loss).toBeLessThan(a.metrics.loss);
  });

  it('Sobolev training recovers the gains far better than plain regression', () => {
    const data = linearFeedbackData(new Rng(SEED + 2), 60);
    const errors = [0, 1].map((alpha) => {
      const rng = new Rng(SEED + 3);
      const policy = trainMlpPolicy(initMlpPolicy(rng, config, data), data, { epochs: 300, batchSize: 20, lr: 1e-2, alphaSob: alpha, rng });
      // Gain error at states between the training lines (inside their span, off the lines).
      let err = 0;
      for (const [a, b] of [[0.5, 0.05], [-0.6, -0.1], [0.8, 0.35]]) {
        const jac = jacfwd((z: Tensor) => reshape(mlpAction(policy, policy.params, reshape(z, [1, 2])), [1]))(tensor([a, b])).toArray();
        err += (jac[0] + 1.5) ** 2 + (jac[1] + 0.7) ** 2;
      }
      return err / 3;
    });
    console.log(`gain error: plain ${errors[0].toExponential(2)}, Sobolev ${errors[1].toExponential(2)}`);
    expect(errors[1]).toBeLessThan(0.05);
    expect(errors[1]).toBeLessThan(errors[0] / 5);
  });

  it('in float32 (the dtype the runner trains in) the step stays in float32, agrees with float64 to float32 precision, and its artifact keeps the dtype', () => {
    const data = linearFeedbackData(new Rng(SEED + 4), 40);
    const policy64 = initMlpPolicy(new Rng(SEED + 5), config, data);
    // The same weights in float32: the float32 policy is the float64 one rounded.
    const policy32 = { ...policy64, config: { ...config, dtype: 'float32' as const }, params: policy64.params.map((l) => ({ weight: cast(l.weight, 'float32'), bias: cast(l.bias, 'float32') })) };
    const x = new ConcreteTensor(data.x.slice(0, 20), [10, 2]);
    const u64 = mlpAction(policy64, policy32.params.map((l) => ({ weight: cast(l.weight, 'float64'), bias: cast(l.bias, 'float64') })), x);
    const u32 = mlpAction(policy32, policy32.params, x);
    expect(u32.dtype).toBe('float32');
    const [a, b] = [Array.from(u64.concrete().data), Array.from(u32.concrete().data)];
    expect(b.length).toBe(10);
    for (let i = 0; i < a.length; i++) expect(Math.abs(a[i] - b[i])).toBeLessThan(1e-5 * (1 + Math.abs(a[i])));
    // Training keeps every leaf in float32 (the batches are cast once, never promoted).
    const trained = trainMlpPolicy(policy32, data, { epochs: 3, batchSize: 20, lr: 1e-2, alphaSob: 1, rng: new Rng(SEED + 6) });
    const [leaves] = flatten(trained.params);
    expect(leaves.every((l) => l.dtype === 'float32')).toBe(true);
    // The worker's artifact carries the weights as float64 arrays; rebuilt, the policy is float32 again, bit for bit.
    const { params, ...rest } = trained;
    const rebuilt = mlpFromArtifact({ kind: 'mlp', policy: rest, leaves: leaves.map((l) => ({ data: Float64Array.from(l.concrete().data), shape: [...l.shape] })), finalLoss: 0 });
    expect(mlpAction(rebuilt, rebuilt.params, x).toArray()).toEqual(mlpAction(trained, params, x).toArray());
    expect(flatten(rebuilt.params)[0].every((l) => l.dtype === 'float32')).toBe(true);
  });
});

/**
 * The pieces of the model-free baselines against hand computations: GAE on a small rollout,
 * the squashed Gaussian's density against central differences of its CDF, the Gaussian's
 * log-prob and entropy, PPO's clipped objective and SAC's critic target on tiny batches,
 * VecNormalize's running statistics, and the gradients of the losses against finite differences.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConcreteTensor, Rng, tensor } from '../../../src/autodiff/index.js';
import { Linear, MLP } from '../../../src/nn/index.js';
import { gaussianEntropy, gaussianLogProb, logTanhJacobian, squashedGaussianSample } from '../../../src/learning/rl/distributions.js';
import { computeGae } from '../../../src/learning/rl/gae.js';
import { orthogonalLinear } from '../../../src/learning/rl/networks.js';
import { RunningMeanStd, VecNormalize } from '../../../src/learning/rl/normalize.js';
import { type PpoBatch, type PpoParams, normalizeAdvantages, ppoLoss } from '../../../src/learning/rl/ppo.js';
import { type SacActor, type SacBatch, type SacCritics, polyakUpdate, sacActorLoss, sacCriticLoss, sacQ, sacTarget } from '../../../src/learning/rl/sac.js';
import { checkGradAgainstFiniteDifferences } from '../../autodiff/check.js';

const SEED = 1919;

/** Phi(z), the standard normal CDF, by composite Simpson integration of the density from 0 (error far below the checks' tolerance). */
function normalCdf(z: number): number {
  const n = 2000;
  const h = z / n;
  let s = 0;
  for (let i = 0; i <= n; i++) {
    const w = i === 0 || i === n ? 1 : i % 2 === 1 ? 4 : 2;
    s += w * Math.exp(-0.5 * (i * h) ** 2);
  }
  return 0.5 + (s * h) / 3 / Math.sqrt(2 * Math.PI);
}

describe(`RL components (seed ${SEED})`, () => {
  it('GAE matches a hand computation across an episode boundary', () => {
    // One copy, three steps; the observation of step 2 starts a new episode.
    const gamma = 0.9;
    const lambda = 0.8;
    const r = [1, 2, 3];
    const v = [0.5, 1, 1.5];
    const last = 2;
    const { advantages, returns } = computeGae({
      steps: 3, numEnvs: 1, rewards: Float64Array.from(r), values: Float64Array.from(v), episodeStarts: Float64Array.from([1, 0, 1]),
      lastValues: Float64Array.from([last]), lastEpisodeStarts: Float64Array.from([0]), gamma, lambda,
    });
    const d2 = r[2] + gamma * last - v[2];
    const a2 = d2;
    const d1 = r[1] + 0 - v[1]; // s_2 starts a new episode: no bootstrap from V(s_2)
    const a1 = d1;
    const d0 = r[0] + gamma * v[1] - v[0];
    const a0 = d0 + gamma * lambda * a1;
    expect(Array.from(advantages)).toEqual([a0, a1, a2].map((x) => expect.closeTo(x, 14)));
    expect(Array.from(returns)).toEqual([a0 + v[0], a1 + v[1], a2 + v[2]].map((x) => expect.closeTo(x, 14)));
  });

  it('GAE keeps copies apart (row-major [t * N + e]) and with lambda = 1, gamma = 1 gives Monte Carlo returns', () => {
    const { returns } = computeGae({
      steps: 2, numEnvs: 2, rewards: Float64Array.from([1, 10, 2, 20]), values: Float64Array.from([0.3, 0.7, 0.1, 0.9]),
      episodeStarts: Float64Array.from([1, 1, 0, 0]), lastValues: Float64Array.from([5, 50]), lastEpisodeStarts: Float64Array.from([0, 1]), gamma: 1, lambda: 1,
    });
    expect(Array.from(returns)).toEqual([1 + 2 + 5, 10 + 20, 2 + 5, 20].map((x) => expect.closeTo(x, 12)));
    expect(() => computeGae({ steps: 2, numEnvs: 2, rewards: new Float64Array(3), values: new Float64Array(4), episodeStarts: new Float64Array(4), lastValues: new Float64Array(2), lastEpisodeStarts: new Float64Array(2), gamma: 1, lambda: 1 })).toThrow(RangeError);
  });

  it('the squashed Gaussian log-density equals central differences of its CDF', () => {
    fc.assert(fc.property(fc.double({ min: -1.5, max: 1.5, noNaN: true }), fc.double({ min: -1.5, max: 0.5, noNaN: true }), fc.double({ min: -0.95, max: 0.95, noNaN: true }), (mu, logStd, y) => {
      // P(tanh(x) <= y) = Phi((atanh(y) - mu) / std)
      const std = Math.exp(logStd);
      const cdf = (v: number) => normalCdf((Math.atanh(v) - mu) / std);
      const h = 1e-5;
      const density = (cdf(y + h) - cdf(y - h)) / (2 * h);
      const x = tensor([Math.atanh(y)], [1, 1]);
      const logProb = gaussianLogProb(x, tensor([mu], [1, 1]), tensor([logStd], [1])).item() - logTanhJacobian(x).item();
      expect(Math.abs(Math.exp(logProb) - density)).toBeLessThan(1e-6 * Math.max(1, density));
    }), { seed: SEED, numRuns: 40 });
  });

  it('log(1 - tanh^2) in the overflow-free form equals the direct one and stays finite far out', () => {
    for (const x of [-3, -0.5, 0, 0.2, 4]) expect(logTanhJacobian(tensor([x])).item()).toBeCloseTo(Math.log(1 - Math.tanh(x) ** 2), 10);
    expect(logTanhJacobian(tensor([40])).item()).toBeCloseTo(2 * (Math.LN2 - 40), 8);
  });

  it('a reparameterized squashed draw lies in (-1, 1) with the change-of-variables log-prob', () => {
    const rng = new Rng(SEED);
    const mu = rng.normal([4, 2]);
    const logStd = rng.uniform([4, 2], -1, 0.5);
    const eps = rng.normal([4, 2]);
    const { action, logProb } = squashedGaussianSample(mu, logStd, eps);
    const m = mu.toArray(), s = logStd.toArray(), e = eps.toArray(), a = action.toArray(), lp = logProb.toArray();
    for (let b = 0; b < 4; b++) {
      let expected = 0;
      for (let j = 0; j < 2; j++) {
        const i = b * 2 + j;
        const x = m[i] + Math.exp(s[i]) * e[i];
        expect(a[i]).toBeCloseTo(Math.tanh(x), 14);
        expected += -0.5 * e[i] ** 2 - s[i] - 0.5 * Math.log(2 * Math.PI) - Math.log(1 - Math.tanh(x) ** 2);
      }
      expect(lp[b]).toBeCloseTo(expected, 9);
    }
  });

  it('the Gaussian entropy is sum(log std) + n (1 + log 2 pi) / 2', () => {
    expect(gaussianEntropy(tensor([0.3, -1])).item()).toBeCloseTo(-0.7 + (1 + Math.log(2 * Math.PI)), 14);
  });

  it("PPO's clipped objective on a two-sample batch equals the hand computation", () => {
    // A policy whose mean is a constant (zero weights, bias b): log pi(a) is known in closed form.
    const bias = 0.2;
    const params: PpoParams = {
      pi: [{ weight: tensor([[0]]), bias: tensor([bias]) }],
      vf: [{ weight: tensor([[0]]), bias: tensor([1]) }],
      logStd: tensor([0]),
    };
    const actions = [0.5, -0.1];
    const logp = actions.map((a) => -0.5 * (a - bias) ** 2 - 0.5 * Math.log(2 * Math.PI));
    // Old log-probs that put one ratio above 1 + eps and one below 1 - eps.
    const ratios = [1.5, 0.6];
    const oldLogProb = logp.map((l, i) => l - Math.log(ratios[i]));
    const adv = [2, 1];
    const returns = [3, -1];
    const batch: PpoBatch = {
      obs: tensor([[0], [0]]), actions: tensor(actions, [2, 1]), oldLogProb: tensor(oldLogProb), advantages: tensor(adv), returns: tensor(returns),
    };
    const settings = { clipRange: 0.2, entCoef: 0.01, vfCoef: 0.5 };
    const out = ppoLoss(params, batch, settings);
    // min(A r, A clip(r)): sample 0 (A > 0, r = 1.5) takes 1.2 A; sample 1 (A > 0, r = 0.6) takes 0.6 A.
    const policyLoss = -(Math.min(2 * 1.5, 2 * 1.2) + Math.min(1 * 0.6, 1 * 0.8)) / 2;
    const valueLoss = ((3 - 1) ** 2 + (-1 - 1) ** 2) / 2;
    const entropy = 0.5 * (1 + Math.log(2 * Math.PI));
    expect(out.policyLoss.item()).toBeCloseTo(policyLoss, 12);
    expect(out.valueLoss.item()).toBeCloseTo(valueLoss, 12);
    expect(out.entropy.item()).toBeCloseTo(entropy, 12);
    expect(out.loss.item()).toBeCloseTo(policyLoss - 0.01 * entropy + 0.5 * valueLoss, 12);
    // Negative advantages: the pessimistic bound takes the unclipped ratio above 1 + eps.
    const negative = ppoLoss(params, { ...batch, advantages: tensor([-2, -1]) }, settings);
    expect(negative.policyLoss.item()).toBeCloseTo(-(Math.min(-2 * 1.5, -2 * 1.2) + Math.min(-0.6, -0.8)) / 2, 12);
  });

  it('advantage normalization uses the sample standard deviation', () => {
    const z = normalizeAdvantages(Float64Array.from([1, 2, 3]));
    expect(Array.from(z)).toEqual([-1, 0, 1].map((x) => expect.closeTo(x, 7)));
  });

  it("SAC's critic target on a tiny batch equals r + gamma (1 - d) (min Q' - alpha log pi)", () => {
    // Critics of a single Linear layer each: Q(s, a) = w . (s, a) + b.
    const targets: SacCritics = {
      q1: [{ weight: tensor([[1, 2]]), bias: tensor([0.5]) }],
      q2: [{ weight: tensor([[-1, 1]]), bias: tensor([0]) }],
    };
    // An actor with a constant mean and log std (zero weights on a one-unit trunk).
    const actor: SacActor = {
      latent: [{ weight: tensor([[0]]), bias: tensor([1]) }],
      mu: { weight: tensor([[0.3]]), bias: tensor([0]) },
      logStd: { weight: tensor([[0]]), bias: tensor([-0.5]) },
    };
    const batch: SacBatch = {
      obs: tensor([[0], [0]]), actions: tensor([[0], [0]]), rewards: tensor([1, -2]), nextObs: tensor([[0.4], [-1]]), dones: tensor([0, 1]),
    };
    const eps = tensor([[0.7], [-0.2]]);
    const [alpha, gamma] = [0.3, 0.9];
    const y = sacTarget(actor, targets, batch, eps, alpha, gamma).toArray();
    const std = Math.exp(-0.5);
    const expected = [0, 1].map((b) => {
      const x = 0.3 + std * eps.toArray()[b];
      const a = Math.tanh(x);
      const logp = -0.5 * eps.toArray()[b] ** 2 - Math.log(std) - 0.5 * Math.log(2 * Math.PI) - Math.log(1 - a * a);
      const s = batch.nextObs.toArray()[b];
      const q = Math.min(s + 2 * a + 0.5, -s + a);
      return batch.rewards.toArray()[b] + gamma * (1 - batch.dones.toArray()[b]) * (q - alpha * logp);
    });
    expect(y[0]).toBeCloseTo(expected[0], 12);
    expect(y[1]).toBe(-2); // terminal: the reward alone
    // The critic loss against that target: 1/2 (mse_1 + mse_2) at the batch's (s, a).
    const q1 = sacQ(targets.q1, batch.obs, batch.actions).toArray();
    const q2 = sacQ(targets.q2, batch.obs, batch.actions).toArray();
    const mse = (q: number[]) => ((q[0] - y[0]) ** 2 + (q[1] - y[1]) ** 2) / 2;
    expect(sacCriticLoss(targets, batch, tensor(y)).item()).toBeCloseTo(0.5 * (mse(q1) + mse(q2)), 12);
  });

  it('Polyak averaging moves the targets by tau towards the online weights', () => {
    const t: SacCritics = { q1: [{ weight: tensor([[1, 1]]), bias: tensor([0]) }], q2: [{ weight: tensor([[0, 0]]), bias: tensor([2]) }] };
    const q: SacCritics = { q1: [{ weight: tensor([[3, -1]]), bias: tensor([1]) }], q2: [{ weight: tensor([[1, 1]]), bias: tensor([0]) }] };
    const u = polyakUpdate(t, q, 0.25);
    expect(u.q1[0].weight.toArray()).toEqual([1.5, 0.5]);
    expect(u.q2[0].bias.toArray()).toEqual([1.5]);
  });

  it('the PPO loss and the SAC actor and critic losses have the gradients of central differences', () => {
    const rng = new Rng(SEED + 1);
    const B = 5;
    const ppo: PpoParams = { pi: MLP.init(rng, [3, 4, 2]), vf: MLP.init(rng, [3, 4, 1]), logStd: rng.uniform([2], -0.5, 0.5) };
    const batch: PpoBatch = {
      obs: rng.normal([B, 3]), actions: rng.normal([B, 2]), oldLogProb: rng.uniform([B], -3, -1), advantages: rng.normal([B]), returns: rng.normal([B]),
    };
    // A wide clip range keeps every ratio inside it, so the objective is smooth where it is checked.
    checkGradAgainstFiniteDifferences((p: PpoParams) => ppoLoss(p, batch, { clipRange: 100, entCoef: 0.1, vfCoef: 0.5 }).loss, ppo, 'PPO loss');
    const actor: SacActor = { latent: MLP.init(rng, [3, 4]), mu: Linear.init(rng, 4, 2), logStd: Linear.init(rng, 4, 2) };
    const critics: SacCritics = { q1: MLP.init(rng, [5, 4, 1]), q2: MLP.init(rng, [5, 4, 1]) };
    const obs = rng.normal([B, 3]);
    const eps = rng.normal([B, 2]);
    checkGradAgainstFiniteDifferences((a: SacActor) => sacActorLoss(a, critics, obs, eps, 0.2), actor, 'SAC actor loss');
    const sacBatch: SacBatch = { obs, actions: rng.uniform([B, 2], -1, 1), rewards: rng.normal([B]), nextObs: rng.normal([B, 3]), dones: tensor(new Array(B).fill(0)) };
    const y = rng.normal([B]);
    checkGradAgainstFiniteDifferences((c: SacCritics) => sacCriticLoss(c, sacBatch, y), critics, 'SAC critic loss');
  });

  it('running statistics equal the batch mean and variance (from the initial count of 1e-4 on)', () => {
    const rms = new RunningMeanStd(2);
    const data = [1, 10, 3, 14, 5, 12, -1, 8];
    rms.update(data.slice(0, 4), 2);
    rms.update(data.slice(4), 2);
    const col = (j: number) => data.filter((_, i) => i % 2 === j);
    for (const j of [0, 1]) {
      // The four values merged at once into the prior (count c = 1e-4, mean 0, variance 1).
      const x = col(j);
      const c = 1e-4;
      const m = x.reduce((a, b) => a + b) / 4;
      const m2 = c * 1 + x.reduce((a, b) => a + (b - m) ** 2, 0) + m * m * c * 4 / (c + 4);
      expect(rms.mean[j]).toBeCloseTo(m * 4 / (c + 4), 10);
      expect(rms.var[j]).toBeCloseTo(m2 / (c + 4), 10);
    }
    expect(rms.count).toBeCloseTo(4 + 1e-4, 12);
  });

  it('VecNormalize scales rewards by the running std of the discounted return and freezes when not training', () => {
    const norm = new VecNormalize(1, 1, { normObs: true, normReward: true, clipObs: 10, clipReward: 10, gamma: 0.5, epsilon: 1e-8 });
    // R = 2 after one step, R = 0.5 * 2 + 3 = 4 after two: rewards divided by the root of the running variance of R.
    norm.reward(Float64Array.from([2]), [false]);
    const r2 = norm.reward(Float64Array.from([3]), [false]);
    // Merging single values into the prior (count 1e-4, mean 0, variance 1), by hand.
    let [count, mean, variance] = [1e-4, 0, 1];
    for (const R of [2, 4]) {
      const total = count + 1;
      const delta = R - mean;
      variance = (variance * count + delta * delta * count / total) / total;
      mean += delta / total;
      count = total;
    }
    expect(norm.retRms.mean[0]).toBeCloseTo(mean, 12);
    expect(norm.retRms.var[0]).toBeCloseTo(variance, 12);
    expect(r2[0]).toBeCloseTo(Math.min(3 / Math.sqrt(variance + 1e-8), 10), 10);
    const before = norm.retRms.count;
    norm.training = false;
    norm.reward(Float64Array.from([1]), [true]);
    norm.obs(Float64Array.from([3]));
    expect(norm.retRms.count).toBe(before);
    expect(norm.obsRms.count).toBeCloseTo(1e-4, 12);
    const clipped = new VecNormalize(1, 1, { normObs: true, normReward: false, clipObs: 0.5, clipReward: 10, gamma: 0.99, epsilon: 1e-8 });
    clipped.training = false; // mean 0, variance 1: 100 normalizes to 100, clipped to 0.5
    expect(clipped.obs(Float64Array.from([100]))[0]).toBe(0.5);
  });

  it('orthogonal initialization gives orthonormal rows or columns times the gain', () => {
    const rng = new Rng(SEED + 2);
    for (const [nIn, nOut] of [[3, 5], [6, 2]] as const) {
      const { weight, bias } = orthogonalLinear(rng, nIn, nOut, 2);
      const w = (weight as ConcreteTensor).data;
      const tall = nOut >= nIn;
      const k = tall ? nIn : nOut;
      for (let a = 0; a < k; a++) {
        for (let b = 0; b < k; b++) {
          let s = 0;
          for (let i = 0; i < (tall ? nOut : nIn); i++) s += tall ? w[i * nIn + a] * w[i * nIn + b] : w[a * nIn + i] * w[b * nIn + i];
          expect(s).toBeCloseTo(a === b ? 4 : 0, 10);
        }
      }
      expect(bias.toArray().every((v) => v === 0)).toBe(true);
    }
  });
});

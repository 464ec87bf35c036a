/**
 * Proximal policy optimization, the clipped version (Schulman et al., "Proximal policy
 * optimization algorithms", arXiv:1707.06347, 2017, eq. 7 and 9), as stable-baselines3 runs it:
 *
 *   collect   n_steps per copy with the Gaussian policy a ~ N(mu(s), diag(exp(2 log_std)))
 *             (log std a free parameter, not a function of s); the environment receives a
 *             clipped to [-1, 1] (then scaled onto the control box; SB3 clips to the action
 *             space: no clipping where the controls are unbounded), the buffer keeps the
 *             unclipped a and its log-probability. A time-limit truncation adds
 *             gamma V(s_T) to the last reward (SB3's bootstrap)
 *   estimate  GAE(lambda) advantages and value targets (gae.ts)
 *   update    n_epochs passes over shuffled minibatches of the rollout, each one Adam step on
 *             L = -mean min(r A, clip(r, 1 - eps, 1 + eps) A) + c_v mean (V(s) - R)^2 - c_e H,
 *             r = exp(log pi(a|s) - log pi_old(a|s)), A normalized per minibatch, the
 *             gradient clipped to norm max_grad_norm
 *
 * Observations and rewards go through VecNormalize (normalize.ts), which SB3 users wrap
 * around continuous-control environments (the issue asks for it; SB3's PPO itself does not).
 * Networks: separate policy and value MLPs, tanh activations, orthogonal initialization
 * (networks.ts), float64 (at these widths float64 steps are faster than float32 here).
 *
 * Defaults (PPO_DEFAULTS) are SB3's documented ones (stable-baselines3 docs, "PPO",
 * parameters: learning_rate 3e-4, n_steps 2048, batch_size 64, n_epochs 10, gamma 0.99,
 * gae_lambda 0.95, clip_range 0.2, normalize_advantage True, ent_coef 0.0, vf_coef 0.5,
 * max_grad_norm 0.5; MlpPolicy: net_arch 64-64 for pi and vf, Tanh, ortho_init True,
 * log_std_init 0.0, Adam with eps 1e-5).
 */
import {
  ConcreteTensor, type Tensor, exp, mean, minimum, maximum, mul, neg, reshape, square, sub, tanh, tensor, valueAndGrad, withStepArena, add,
} from '../../autodiff/index.js';
import { MLP, type MLPParams, gatherRows } from '../../nn/index.js';
import { adam, applyGradients, initTrainState, type UpdateRule } from '../../nn/optim/index.js';
import type { Task } from '../../tasks/index.js';
import { gaussianEntropy, gaussianLogProb } from './distributions.js';
import { TaskEnv } from './env.js';
import { computeGae } from './gae.js';
import { orthogonalMlp } from './networks.js';
import { VEC_NORMALIZE_DEFAULTS, VecNormalize } from './normalize.js';
import type { RlPolicy } from './policy.js';
import { type RlRun, type RunOptions, LearningCurve, RUN_DEFAULTS, checkRunOptions, seedStreams } from './training.js';

export interface PpoOptions extends RunOptions {
  learningRate: number;
  nSteps: number;
  batchSize: number;
  nEpochs: number;
  gamma: number;
  gaeLambda: number;
  clipRange: number;
  normalizeAdvantage: boolean;
  entCoef: number;
  vfCoef: number;
  maxGradNorm: number;
  hidden: number[];
  logStdInit: number;
  adamEps: number;
  normalizeObs: boolean;
  normalizeReward: boolean;
}

/** stable-baselines3's documented PPO defaults (see the header), VecNormalize on. */
export const PPO_DEFAULTS: Omit<PpoOptions, 'seed' | 'totalSteps'> = {
  ...RUN_DEFAULTS,
  learningRate: 3e-4,
  nSteps: 2048,
  batchSize: 64,
  nEpochs: 10,
  gamma: 0.99,
  gaeLambda: 0.95,
  clipRange: 0.2,
  normalizeAdvantage: true,
  entCoef: 0,
  vfCoef: 0.5,
  maxGradNorm: 0.5,
  hidden: [64, 64],
  logStdInit: 0,
  adamEps: 1e-5,
  normalizeObs: true,
  normalizeReward: true,
};

export type PpoParams = {
  /** The mean mu(s) of the action distribution. */
  readonly pi: MLPParams;
  /** The value V(s). */
  readonly vf: MLPParams;
  /** log std, one per action. */
  readonly logStd: Tensor;
};

/** One minibatch of the rollout buffer: normalized observations [B, od], actions [B, nu], and per sample old log pi, advantage, value target. */
export interface PpoBatch {
  obs: Tensor;
  actions: Tensor;
  oldLogProb: Tensor;
  advantages: Tensor;
  returns: Tensor;
}

export function ppoMean(params: PpoParams, obs: Tensor): Tensor {
  return MLP.apply(params.pi, obs, { activation: tanh });
}

export function ppoValue(params: PpoParams, obs: Tensor): Tensor {
  const v = MLP.apply(params.vf, obs, { activation: tanh });
  return reshape(v, [v.shape[0]]);
}

/**
 * The clipped surrogate loss with value and entropy terms on one minibatch (advantages as
 * given: normalize them first where the settings say so). Returns the total and its parts.
 */
export function ppoLoss(params: PpoParams, batch: PpoBatch, settings: { clipRange: number; entCoef: number; vfCoef: number }): { loss: Tensor; policyLoss: Tensor; valueLoss: Tensor; entropy: Tensor } {
  const { clipRange, entCoef, vfCoef } = settings;
  const logProb = gaussianLogProb(batch.actions, ppoMean(params, batch.obs), params.logStd);
  const ratio = exp(sub(logProb, batch.oldLogProb));
  const clipped = minimum(maximum(ratio, 1 - clipRange), 1 + clipRange);
  const policyLoss = neg(mean(minimum(mul(batch.advantages, ratio), mul(batch.advantages, clipped))));
  const valueLoss = mean(square(sub(batch.returns, ppoValue(params, batch.obs))));
  const entropy = gaussianEntropy(params.logStd);
  const loss = add(add(policyLoss, mul(entropy, -entCoef)), mul(valueLoss, vfCoef));
  return { loss, policyLoss, valueLoss, entropy };
}

/** (x - mean) / (std + 1e-8) with the sample std (SB3 normalizes advantages so, torch's unbiased std). */
export function normalizeAdvantages(a: Float64Array): Float64Array {
  const n = a.length;
  const m = a.reduce((s, v) => s + v, 0) / n;
  const std = n > 1 ? Math.sqrt(a.reduce((s, v) => s + (v - m) ** 2, 0) / (n - 1)) : 0;
  return Float64Array.from(a, (v) => (v - m) / (std + 1e-8));
}

function checkPpoOptions(o: PpoOptions): void {
  checkRunOptions('trainPpo', o);
  for (const key of ['nSteps', 'batchSize', 'nEpochs'] as const) {
    if (!Number.isInteger(o[key]) || o[key] < 1) throw new RangeError(`trainPpo: ${key} must be a positive integer, got ${o[key]}`);
  }
  if (!(o.gamma > 0 && o.gamma <= 1) || !(o.gaeLambda >= 0 && o.gaeLambda <= 1)) throw new RangeError(`trainPpo: gamma must lie in (0, 1] and gaeLambda in [0, 1], got ${o.gamma} and ${o.gaeLambda}`);
  if (!(o.clipRange > 0) || !(o.learningRate > 0) || !(o.maxGradNorm > 0)) throw new RangeError('trainPpo: clipRange, learningRate and maxGradNorm must be positive');
  if (o.hidden.length === 0 || o.hidden.some((h) => !Number.isInteger(h) || h < 1)) throw new RangeError(`trainPpo: hidden must list positive layer widths, got [${o.hidden}]`);
}

/** Train PPO on `task` for `options.totalSteps` environment steps. */
export function trainPpo(task: Task, options: Partial<PpoOptions> & { seed: number; totalSteps: number }): RlRun {
  const o: PpoOptions = { ...PPO_DEFAULTS, ...options };
  checkPpoOptions(o);
  const t0 = performance.now();
  const rng = seedStreams(o.seed);
  const env = new TaskEnv(task, { numEnvs: o.numEnvs, discount: o.discount, rng: rng.env, actionBound: o.actionBound, actionRepeat: o.actionRepeat });
  const { obsDim: od, actDim: nu, numEnvs: N } = env;
  let params: PpoParams = {
    pi: orthogonalMlp(rng.init, [od, ...o.hidden, nu], Math.SQRT2, 0.01),
    vf: orthogonalMlp(rng.init, [od, ...o.hidden, 1], Math.SQRT2, 1),
    logStd: tensor(new Array(nu).fill(o.logStdInit), [nu]),
  };
  const normalizer = new VecNormalize(od, N, { ...VEC_NORMALIZE_DEFAULTS, normObs: o.normalizeObs, normReward: o.normalizeReward, gamma: o.gamma });
  const rule: UpdateRule = { optimizer: adam({ lr: o.learningRate, eps: o.adamEps }), clipNorm: o.maxGradNorm };
  let state = initTrainState(rule, params);
  const policy = ppoPolicy(() => params, normalizer, od, nu, o.actionBound, o.actionRepeat, env.bounded);
  const curve = new LearningCurve(task, o, rng.evaluation);

  const T = o.nSteps;
  const size = T * N;
  const buf = {
    obs: new Float64Array(size * od), actions: new Float64Array(size * nu), rewards: new Float64Array(size),
    starts: new Float64Array(size), values: new Float64Array(size), logProbs: new Float64Array(size),
  };
  let obs = normalizer.obs(env.reset());
  let starts = new Float64Array(N).fill(1);
  let steps = 0;
  let updates = 0;
  curve.maybeRecord(0, env.simulatorCalls, policy);
  while (steps < o.totalSteps) {
    // Collect n_steps per copy with the current policy.
    const std = params.logStd.toArray().map(Math.exp);
    for (let t = 0; t < T; t++) {
      const obsT = new ConcreteTensor(obs, [N, od]);
      const mu = ppoMean(params, obsT).toArray();
      const values = ppoValue(params, obsT).toArray();
      const actions = new Float64Array(N * nu);
      const logProbs = new Float64Array(N);
      for (let i = 0; i < N * nu; i++) {
        const z = rng.noise.nextNormal();
        const j = i % nu;
        actions[i] = mu[i] + std[j] * z;
        logProbs[Math.floor(i / nu)] += -0.5 * z * z - Math.log(std[j]) - 0.5 * Math.log(2 * Math.PI);
      }
      const result = env.step(env.bounded ? actions.map((a) => Math.min(Math.max(a, -1), 1)) : actions);
      const next = normalizer.obs(result.obs);
      const rewards = normalizer.reward(result.rewards, result.truncated);
      result.finalObs.forEach((final, e) => {
        if (final === null) return;
        const v = ppoValue(params, new ConcreteTensor(normalizer.obs(final, false), [1, od])).item();
        rewards[e] += o.gamma * v;
      });
      const k = t * N;
      buf.obs.set(obs, k * od);
      buf.actions.set(actions, k * nu);
      buf.rewards.set(rewards, k);
      buf.starts.set(starts, k);
      buf.values.set(values, k);
      buf.logProbs.set(logProbs, k);
      obs = next;
      starts = Float64Array.from(result.truncated, (d) => (d ? 1 : 0));
      steps += N;
      curve.episodes(result.finishedCosts);
      curve.maybeRecord(steps, env.simulatorCalls, policy);
    }
    const lastValues = Float64Array.from(ppoValue(params, new ConcreteTensor(obs, [N, od])).toArray());
    const { advantages, returns } = computeGae({
      steps: T, numEnvs: N, rewards: buf.rewards, values: buf.values, episodeStarts: buf.starts,
      lastValues, lastEpisodeStarts: starts, gamma: o.gamma, lambda: o.gaeLambda,
    });
    // n_epochs passes of minibatch updates over the rollout.
    const all = {
      obs: new ConcreteTensor(buf.obs, [size, od]), actions: new ConcreteTensor(buf.actions, [size, nu]),
      logProbs: new ConcreteTensor(buf.logProbs, [size, 1]), advantages: new ConcreteTensor(advantages, [size, 1]), returns: new ConcreteTensor(returns, [size, 1]),
    };
    for (let epoch = 0; epoch < o.nEpochs; epoch++) {
      const order = rng.batches.permutation(size);
      for (let start = 0; start < size; start += o.batchSize) {
        const index = order.slice(start, start + o.batchSize);
        const B = index.length;
        const adv = gatherRows(all.advantages, index).data as Float64Array;
        const batch: PpoBatch = {
          obs: gatherRows(all.obs, index),
          actions: gatherRows(all.actions, index),
          oldLogProb: new ConcreteTensor(gatherRows(all.logProbs, index).data, [B]),
          advantages: new ConcreteTensor(o.normalizeAdvantage && B > 1 ? normalizeAdvantages(adv) : adv, [B]),
          returns: new ConcreteTensor(gatherRows(all.returns, index).data, [B]),
        };
        const [, grads] = withStepArena(() => valueAndGrad((p: PpoParams) => ppoLoss(p, batch, o).loss)(state.params));
        state = applyGradients(rule, state, grads).state;
        params = state.params;
        updates++;
      }
    }
  }
  return { algo: 'ppo', policy, curve: curve.points, steps, simulatorCalls: env.simulatorCalls, updates, seconds: (performance.now() - t0) / 1000 };
}

/** The deterministic PPO controller: the Gaussian's mean on normalized observations, clipped to [-1, 1] where the actions are boxed. */
function ppoPolicy(current: () => PpoParams, normalizer: VecNormalize, obsDim: number, actDim: number, actionBound: number | null, actionRepeat: number, clip: boolean): RlPolicy {
  return {
    algo: 'ppo',
    obsDim,
    actDim,
    actionBound,
    actionRepeat,
    act(obs, rows) {
      const z = normalizer.obs(obs, false);
      const mu = ppoMean(current(), new ConcreteTensor(z, [rows, obsDim])).toArray();
      return clip ? Float64Array.from(mu, (a) => Math.min(Math.max(a, -1), 1)) : Float64Array.from(mu);
    },
    costToGo(obs, rows) {
      const z = normalizer.obs(obs, false);
      const v = ppoValue(current(), new ConcreteTensor(z, [rows, obsDim])).toArray();
      const { normReward, epsilon } = normalizer.options;
      const scale = normReward ? Math.sqrt(normalizer.retRms.var[0] + epsilon) : 1;
      return Float64Array.from(v, (value) => -value * scale);
    },
  };
}

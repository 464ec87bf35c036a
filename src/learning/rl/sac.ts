/**
 * Soft actor-critic (Haarnoja et al., "Soft actor-critic: off-policy maximum entropy deep
 * reinforcement learning with a stochastic actor", ICML 2018, and "Soft actor-critic algorithms
 * and applications", arXiv:1812.05905, 2018, sec. 5 for the automatic temperature), as
 * stable-baselines3 runs it. Per environment step (after `learningStarts` steps of uniform
 * random actions), one gradient step on a minibatch (s, a, r, s', d) of the replay buffer:
 *
 *   temperature  J(alpha) = -mean log alpha (log pi(a~|s) + H_target), a~ ~ pi(.|s), H_target = -nu
 *   critics      y = r + gamma (1 - d) [min_i Q'_i(s', a') - alpha log pi(a'|s')], a' ~ pi(.|s')
 *                J(Q) = 1/2 sum_i mean (Q_i(s, a) - y)^2            (twin critics, target nets Q'_i)
 *   actor        J(pi) = mean [alpha log pi(a~|s) - min_i Q_i(s, a~)], a~ reparameterized
 *   targets      Q'_i <- (1 - tau) Q'_i + tau Q_i                   (Polyak averaging)
 *
 * in that order. The actor is a tanh-squashed Gaussian, log std a function of s clamped to
 * [-20, 2] (distributions.ts gives the log-prob with the tanh correction); its actions in
 * [-1, 1] are scaled onto the control box, so SAC needs bounded controls. d is 1 only at a
 * terminal state; a time-limit truncation stores d = 0 and the true s' = x_T (SB3's
 * handle_timeout_termination). Networks in float64.
 *
 * Defaults (SAC_DEFAULTS) are SB3's documented ones (stable-baselines3 docs, "SAC",
 * parameters: learning_rate 3e-4, buffer_size 1e6, learning_starts 100, batch_size 256,
 * tau 0.005, gamma 0.99, train_freq 1, gradient_steps 1, ent_coef "auto" (initial value 1),
 * target_update_interval 1, target_entropy "auto" = -dim(A); MlpPolicy net_arch 256-256 ReLU
 * for the actor and both critics; no observation or reward normalization).
 */
import {
  ConcreteTensor, type Tensor, add, concat, maximum, mean, minimum, mul, reshape, square, sub, tensor, treeMap, valueAndGrad, withStepArena,
} from '../../autodiff/index.js';
import { Linear, type LinearParams, MLP, type MLPParams, gatherRows, relu } from '../../nn/index.js';
import { adam, applyGradients, initTrainState, type UpdateRule } from '../../nn/optim/index.js';
import type { Task } from '../../tasks/index.js';
import { squashedGaussianSample } from './distributions.js';
import { TaskEnv } from './env.js';
import type { RlPolicy } from './policy.js';
import { type RlRun, type RunOptions, LearningCurve, RUN_DEFAULTS, checkRunOptions, seedStreams } from './training.js';

export interface SacOptions extends RunOptions {
  learningRate: number;
  bufferSize: number;
  learningStarts: number;
  batchSize: number;
  tau: number;
  gamma: number;
  /** Environment steps between updates, and the gradient steps each time. */
  trainFreq: number;
  gradientSteps: number;
  /** Initial temperature alpha (learned, SB3's ent_coef "auto_1.0"). */
  initialEntCoef: number;
  /** The entropy target; null for SB3's "auto", -dim(A). */
  targetEntropy: number | null;
  hidden: number[];
}

/** stable-baselines3's documented SAC defaults (see the header). */
export const SAC_DEFAULTS: Omit<SacOptions, 'seed' | 'totalSteps'> = {
  ...RUN_DEFAULTS,
  learningRate: 3e-4,
  bufferSize: 1_000_000,
  learningStarts: 100,
  batchSize: 256,
  tau: 0.005,
  gamma: 0.99,
  trainFreq: 1,
  gradientSteps: 1,
  initialEntCoef: 1,
  targetEntropy: null,
  hidden: [256, 256],
};

/** SB3's clamp of the actor's log std. */
const LOG_STD_MIN = -20;
const LOG_STD_MAX = 2;

export type SacActor = {
  /** The shared trunk (ReLU after every layer). */
  readonly latent: MLPParams;
  readonly mu: LinearParams;
  readonly logStd: LinearParams;
};

export type SacCritics = { readonly q1: MLPParams; readonly q2: MLPParams };

/** mu(s) and the clamped log std(s), each [B, nu]. */
export function sacActorHeads(actor: SacActor, obs: Tensor): { mu: Tensor; logStd: Tensor } {
  const h = MLP.apply(actor.latent, obs, { activation: relu, outputActivation: relu });
  const logStd = minimum(maximum(Linear.apply(actor.logStd, h), LOG_STD_MIN), LOG_STD_MAX);
  return { mu: Linear.apply(actor.mu, h), logStd };
}

/** Q(s, a) [B] of one critic. */
export function sacQ(q: MLPParams, obs: Tensor, action: Tensor): Tensor {
  const out = MLP.apply(q, concat([obs, action], 1), { activation: relu });
  return reshape(out, [out.shape[0]]);
}

/** A replay minibatch: s [B, od], a [B, nu], r [B], s' [B, od], d [B] (1 at terminal states). */
export interface SacBatch {
  obs: Tensor;
  actions: Tensor;
  rewards: Tensor;
  nextObs: Tensor;
  dones: Tensor;
}

/**
 * The critics' regression target y = r + gamma (1 - d) [min_i Q'_i(s', a') - alpha log pi(a'|s')]
 * with a' = tanh(mu + std eps) drawn with the given noise eps [B, nu]. A constant for the critics' loss.
 */
export function sacTarget(actor: SacActor, targets: SacCritics, batch: SacBatch, eps: Tensor, alpha: number, gamma: number): Tensor {
  const { mu, logStd } = sacActorHeads(actor, batch.nextObs);
  const { action, logProb } = squashedGaussianSample(mu, logStd, eps);
  const q = minimum(sacQ(targets.q1, batch.nextObs, action), sacQ(targets.q2, batch.nextObs, action));
  const soft = sub(q, mul(logProb, alpha)).toArray();
  const r = batch.rewards.toArray();
  const d = batch.dones.toArray();
  return tensor(r.map((ri, i) => ri + gamma * (1 - d[i]) * soft[i]), [r.length]);
}

/** J(Q) = 1/2 sum_i mean (Q_i(s, a) - y)^2. */
export function sacCriticLoss(critics: SacCritics, batch: SacBatch, y: Tensor): Tensor {
  const l1 = mean(square(sub(sacQ(critics.q1, batch.obs, batch.actions), y)));
  const l2 = mean(square(sub(sacQ(critics.q2, batch.obs, batch.actions), y)));
  return mul(add(l1, l2), 0.5);
}

/** J(pi) = mean [alpha log pi(a~|s) - min_i Q_i(s, a~)], a~ = tanh(mu + std eps). */
export function sacActorLoss(actor: SacActor, critics: SacCritics, obs: Tensor, eps: Tensor, alpha: number): Tensor {
  const { mu, logStd } = sacActorHeads(actor, obs);
  const { action, logProb } = squashedGaussianSample(mu, logStd, eps);
  const q = minimum(sacQ(critics.q1, obs, action), sacQ(critics.q2, obs, action));
  return mean(sub(mul(logProb, alpha), q));
}

/** Q' <- (1 - tau) Q' + tau Q, leaf by leaf. */
export function polyakUpdate<T extends SacCritics>(target: T, online: T, tau: number): T {
  return treeMap((t: Tensor, q: Tensor) => {
    const td = t.concrete().data;
    const qd = q.concrete().data;
    const out = new Float64Array(td.length);
    for (let i = 0; i < out.length; i++) out[i] = (1 - tau) * td[i] + tau * qd[i];
    return new ConcreteTensor(out, [...t.shape]);
  }, target, online);
}

function checkSacOptions(o: SacOptions, task: Task): void {
  checkRunOptions('trainSac', o);
  for (const key of ['bufferSize', 'batchSize', 'trainFreq', 'gradientSteps'] as const) {
    if (!Number.isInteger(o[key]) || o[key] < 1) throw new RangeError(`trainSac: ${key} must be a positive integer, got ${o[key]}`);
  }
  if (!Number.isInteger(o.learningStarts) || o.learningStarts < 0) throw new RangeError(`trainSac: learningStarts must be a non-negative integer, got ${o.learningStarts}`);
  if (!(o.tau > 0 && o.tau <= 1) || !(o.gamma > 0 && o.gamma <= 1)) throw new RangeError(`trainSac: tau and gamma must lie in (0, 1], got ${o.tau} and ${o.gamma}`);
  if (!(o.learningRate > 0) || !(o.initialEntCoef > 0)) throw new RangeError('trainSac: learningRate and initialEntCoef must be positive');
  if (o.hidden.length === 0 || o.hidden.some((h) => !Number.isInteger(h) || h < 1)) throw new RangeError(`trainSac: hidden must list positive layer widths, got [${o.hidden}]`);
  if (task.dynamics.controlBounds === null && o.actionBound === null) throw new RangeError(`trainSac: ${task.name} has unbounded controls; the tanh-squashed actor needs a box (give actionBound)`);
}

/** Train SAC on `task` for `options.totalSteps` environment steps. */
export function trainSac(task: Task, options: Partial<SacOptions> & { seed: number; totalSteps: number }): RlRun {
  const o: SacOptions = { ...SAC_DEFAULTS, ...options };
  checkSacOptions(o, task);
  const t0 = performance.now();
  const rng = seedStreams(o.seed);
  const env = new TaskEnv(task, { numEnvs: o.numEnvs, discount: o.discount, rng: rng.env, actionBound: o.actionBound, actionRepeat: o.actionRepeat });
  const { obsDim: od, actDim: nu, numEnvs: N } = env;
  const hidden = o.hidden;
  let actor: SacActor = {
    latent: MLP.init(rng.init, [od, ...hidden]),
    mu: Linear.init(rng.init, hidden[hidden.length - 1], nu),
    logStd: Linear.init(rng.init, hidden[hidden.length - 1], nu),
  };
  let critics: SacCritics = { q1: MLP.init(rng.init, [od + nu, ...hidden, 1]), q2: MLP.init(rng.init, [od + nu, ...hidden, 1]) };
  let targets = critics;
  let logAlpha = tensor([Math.log(o.initialEntCoef)], [1]);
  const targetEntropy = o.targetEntropy ?? -nu;
  const rule = (): UpdateRule => ({ optimizer: adam({ lr: o.learningRate }) });
  const [actorRule, criticRule, alphaRule] = [rule(), rule(), rule()];
  let actorState = initTrainState(actorRule, actor);
  let criticState = initTrainState(criticRule, critics);
  let alphaState = initTrainState(alphaRule, logAlpha);
  const policy = sacPolicy(() => actor, od, nu, o.actionBound, o.actionRepeat);
  const curve = new LearningCurve(task, o, rng.evaluation);

  // The replay buffer, as large as the run needs up to buffer_size; oldest overwritten first.
  const capacity = Math.min(o.bufferSize, o.totalSteps + N);
  const buf = { obs: new Float64Array(capacity * od), actions: new Float64Array(capacity * nu), rewards: new Float64Array(capacity), next: new Float64Array(capacity * od), dones: new Float64Array(capacity) };
  const all = { obs: new ConcreteTensor(buf.obs, [capacity, od]), actions: new ConcreteTensor(buf.actions, [capacity, nu]), next: new ConcreteTensor(buf.next, [capacity, od]) };
  let filled = 0;
  let cursor = 0;

  let obs = env.reset();
  let steps = 0;
  let updates = 0;
  curve.maybeRecord(0, env.simulatorCalls, policy);
  while (steps < o.totalSteps) {
    let actions: Float64Array;
    if (steps < o.learningStarts) {
      actions = Float64Array.from({ length: N * nu }, () => 2 * rng.noise.nextFloat() - 1);
    } else {
      const { mu, logStd } = sacActorHeads(actor, new ConcreteTensor(obs, [N, od]));
      const eps = rng.noise.normal([N, nu]);
      actions = Float64Array.from(squashedGaussianSample(mu, logStd, eps).action.toArray());
    }
    const result = env.step(actions);
    for (let e = 0; e < N; e++) {
      buf.obs.set(obs.subarray(e * od, (e + 1) * od), cursor * od);
      buf.actions.set(actions.subarray(e * nu, (e + 1) * nu), cursor * nu);
      buf.rewards[cursor] = result.rewards[e];
      buf.next.set(result.finalObs[e] ?? result.obs.subarray(e * od, (e + 1) * od), cursor * od);
      buf.dones[cursor] = 0; // the horizon is a truncation, never a terminal state
      cursor = (cursor + 1) % capacity;
      filled = Math.min(filled + 1, capacity);
    }
    obs = result.obs;
    steps += N;
    curve.episodes(result.finishedCosts);

    if (steps > o.learningStarts && (steps / N) % o.trainFreq === 0) {
      for (let g = 0; g < o.gradientSteps; g++) {
        const index = Array.from({ length: o.batchSize }, () => rng.batches.int(filled));
        const B = index.length;
        const batch: SacBatch = {
          obs: gatherRows(all.obs, index),
          actions: gatherRows(all.actions, index),
          rewards: tensor(index.map((i) => buf.rewards[i]), [B]),
          nextObs: gatherRows(all.next, index),
          dones: tensor(index.map((i) => buf.dones[i]), [B]),
        };
        const epsNow = rng.noise.normal([B, nu]);
        const epsNext = rng.noise.normal([B, nu]);
        // Temperature: d J(alpha) / d log alpha = -mean(log pi(a~|s) + H_target).
        const { mu, logStd } = sacActorHeads(actor, batch.obs);
        const logProb = squashedGaussianSample(mu, logStd, epsNow).logProb.toArray();
        const alphaGrad = -logProb.reduce((s, v) => s + v + targetEntropy, 0) / B;
        alphaState = applyGradients(alphaRule, alphaState, tensor([alphaGrad], [1])).state;
        logAlpha = alphaState.params;
        const alpha = Math.exp(logAlpha.item());
        // Critics, then the actor against the updated critics, then the targets.
        const y = sacTarget(actor, targets, batch, epsNext, alpha, o.gamma);
        const [, criticGrads] = withStepArena(() => valueAndGrad((c: SacCritics) => sacCriticLoss(c, batch, y))(criticState.params));
        criticState = applyGradients(criticRule, criticState, criticGrads).state;
        critics = criticState.params;
        const [, actorGrads] = withStepArena(() => valueAndGrad((a: SacActor) => sacActorLoss(a, critics, batch.obs, epsNow, alpha))(actorState.params));
        actorState = applyGradients(actorRule, actorState, actorGrads).state;
        actor = actorState.params;
        targets = polyakUpdate(targets, critics, o.tau);
        updates++;
      }
    }
    curve.maybeRecord(steps, env.simulatorCalls, policy);
  }
  return { algo: 'sac', policy, curve: curve.points, steps, simulatorCalls: env.simulatorCalls, updates, seconds: (performance.now() - t0) / 1000 };
}

/** The deterministic SAC controller: tanh(mu(s)). */
function sacPolicy(current: () => SacActor, obsDim: number, actDim: number, actionBound: number | null, actionRepeat: number): RlPolicy {
  return {
    algo: 'sac',
    obsDim,
    actDim,
    actionBound,
    actionRepeat,
    act(obs, rows) {
      const { mu } = sacActorHeads(current(), new ConcreteTensor(obs, [rows, obsDim]));
      return Float64Array.from(mu.toArray(), Math.tanh);
    },
  };
}

/**
 * Policy rollout, Alg. 2 of the main paper (Chi et al.'s receding-horizon execution): for a
 * batch of tasks at once, repeat until T controls have been applied:
 *
 *   1. condition on the task and the last T_o states (the start state repeated at t = 0, as
 *      Chi et al. pad the observation history);
 *   2. denoise a chunk of T_h entries with K_rollout DDPM steps (sampler.ts), inpainting the
 *      entries that are known;
 *   3. apply its next T_a actions to the system, then replan.
 *
 * Chunk alignment (the training data must follow it): the chunk planned at time t holds the
 * actions of times t - T_o + 1 .. t - T_o + T_h, i.e. its first T_o entries belong to the
 * observed history window (Chi et al.'s convention: the first action to execute is entry
 * T_o - 1).
 *
 *   torque actions (a = u): entries T_o - 1 .. T_o + T_a - 2 are u_t .. u_{t + T_a - 1} and are
 *     applied directly. Nothing from the history is inpainted (past controls are not inputs).
 *   state actions (a = enc(x), enc the identity by default): entries 0 .. T_o - 1 are
 *     enc(x_hist) and are inpainted (train with knownPrefix = T_o); entries T_o .. T_o + T_a - 1
 *     are the desired next states, turned into controls by the caller's inverse step
 *     u = inverse(x_t, a_{t+1}) (RNEA of a finite-difference acceleration, a PD law...), then
 *     applied with the true dynamics.
 *
 * A target (a goal state at a given time, say) is inpainted in every chunk whose window
 * contains that time: "inpainting of a target where a task gives one".
 */
import { type Rng, type Tensor, reshape, slice, stack, tensor, withStepArena } from '../autodiff/index.js';
import { type Observe, denormalize, normalize, rawCondition } from './normalize.js';
import { type DiffusionPolicy } from './policy.js';
import { sampleDdpm } from './sampler.js';
import { applyUNet } from './unet.js';

export interface RolloutSystem {
  /** x_{t+1} = f(x_t, u_t), batched: x [B, nx], u [B, nu] -> [B, nx]. */
  step(x: Tensor, u: Tensor): Tensor;
  /** For state actions: the control taking x towards the planned action next, [B, nx] x [B, a] -> [B, nu]. */
  inverse?(x: Tensor, next: Tensor): Tensor;
  /** For state actions: the action of a state, a = enc(x), [B, nx] -> [B, a] (to inpaint the history). Default: a = x. */
  encode?(x: Tensor): Tensor;
  /** Observations of a state history [B, T_o, nx] -> [B, T_o, no]. Default: o = x. */
  observe?: Observe;
}

export interface RolloutOptions {
  /** Controls to apply in total (the horizon T of the task). */
  T: number;
  /** T_a, actions executed per plan. */
  actionsPerPlan: number;
  actionKind: 'torque' | 'state';
  /** Denoising steps per plan (<= K). Default K. */
  kRollout?: number;
  /** Clip tau_0 predictions to [-1, 1]. Default true. */
  clipSample?: boolean;
  /** A known chunk entry: the action (state, for state actions) at absolute time `time`, [B, a]. */
  target?: { time: number; values: Tensor };
}

export interface RolloutResult {
  /** [B, T + 1, nx] */
  xs: Tensor;
  /** [B, T, nu] */
  us: Tensor;
  /** The plans, denormalized, each [B, T_h, a]. */
  plans: Tensor[];
  /** Network evaluations (plans times denoising steps). */
  denoiserCalls: number;
}

/** Run Alg. 2 from x0 [B, nx] with task parameters task [B, nTask] (omit when the policy has none). */
export function rollout(
  policy: DiffusionPolicy,
  system: RolloutSystem,
  x0: Tensor,
  task: Tensor | undefined,
  rng: Rng,
  options: RolloutOptions,
): RolloutResult {
  const { horizon: Th, historyLength: To, taskDim } = policy.geometry;
  const { T, actionsPerPlan: Ta, actionKind } = options;
  const a = policy.unet.actionDim;
  const B = x0.shape[0];
  const first = actionKind === 'state' ? To : To - 1;
  if (!Number.isInteger(Ta) || Ta < 1 || first + Ta > Th) {
    throw new RangeError(`rollout: T_a = ${Ta} does not fit a chunk of T_h = ${Th} after ${first} history entries`);
  }
  const encode = system.encode ?? ((x: Tensor) => x);
  if (actionKind === 'state' && (system.inverse === undefined || encode(x0).shape[1] !== a)) {
    throw new RangeError(`rollout: state actions need system.inverse and enc(x) of the action's size (${a} vs ${encode(x0).shape[1]})`);
  }
  if (options.target !== undefined && (options.target.values.shape[0] !== B || options.target.values.shape[1] !== a)) {
    throw new RangeError(`rollout: the target must be [${B}, ${a}]`);
  }
  if (taskDim > 0 && (task === undefined || task.shape[0] !== B || task.shape[1] !== taskDim)) {
    throw new RangeError(`rollout: the policy needs task parameters [${B}, ${taskDim}]`);
  }
  const dtype = policy.params.final.conv.weight.dtype;
  const denoiseWith = (cond: Tensor) => (tauK: Tensor, k: number) => applyUNet(policy.params, policy.unet, tauK, k, cond);

  const xs: Tensor[] = [x0];
  const us: Tensor[] = [];
  const plans: Tensor[] = [];
  let calls = 0;
  while (us.length < T) {
    const t = us.length;
    // The last T_o states, the first one repeated before the start.
    const window = Array.from({ length: To }, (_, i) => xs[Math.max(0, t - To + 1 + i)]);
    const xHist = stack(window, 1); // [B, T_o, nx]
    const oHist = system.observe === undefined ? xHist : system.observe(xHist);
    const cond = normalize(policy.normalizer.cond, rawCondition(taskDim > 0 ? task : undefined, oHist));

    // Known entries, in raw units: the history (state actions) and the target.
    const mask = new Float64Array(B * Th * a);
    const known = new Float64Array(B * Th * a);
    const put = (b: number, entry: number, row: ArrayLike<number>, offset: number) => {
      mask.fill(1, (b * Th + entry) * a, (b * Th + entry + 1) * a);
      for (let c = 0; c < a; c++) known[(b * Th + entry) * a + c] = row[offset + c];
    };
    if (actionKind === 'state') {
      const h = stack(window.map(encode), 1).concrete().data; // [B, T_o, a]
      for (let b = 0; b < B; b++) for (let i = 0; i < To; i++) put(b, i, h, (b * To + i) * a);
    }
    const j = options.target === undefined ? -1 : options.target.time - (t - To + 1);
    if (options.target !== undefined && j >= 0 && j < Th) {
      const g = options.target.values.concrete().data;
      for (let b = 0; b < B; b++) put(b, j, g, b * a);
    }
    const inpaint = mask.some((v) => v !== 0)
      ? { mask: tensor(mask, [B, Th, a], dtype), values: normalize(policy.normalizer.action, tensor(known, [B, Th, a], dtype)) }
      : undefined;
    // The K_rollout denoising passes' intermediates in the step arena (autodiff/arena.ts); the plan is copied out.
    const chunkN = withStepArena(() => sampleDdpm(policy.schedule, denoiseWith(cond), [B, Th, a], rng, {
      kRollout: options.kRollout, clipSample: options.clipSample, inpaint, dtype,
    }));
    calls += options.kRollout ?? policy.schedule.K;
    const chunk = denormalize(policy.normalizer.action, chunkN).concrete();
    plans.push(chunk);

    const n = Math.min(Ta, T - t);
    for (let i = 0; i < n; i++) {
      const entry = reshape(slice(chunk, [{}, { start: first + i, stop: first + i + 1 }]), [B, a]);
      const x = xs[xs.length - 1];
      const u = actionKind === 'torque' ? entry : (system.inverse as NonNullable<RolloutSystem['inverse']>)(x, entry);
      us.push(u);
      xs.push(system.step(x, u));
    }
  }
  return { xs: stack(xs, 1), us: stack(us, 1), plans, denoiserCalls: calls };
}

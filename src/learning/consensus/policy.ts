/**
 * The consensus paper's policy (sec. II): pi_theta(x), an MLP with ReLU hidden layers and a
 * tanh output scaled to the control bounds, the same network as the main paper's MLP baseline
 * (mlp-policy.ts, whose training step and Sobolev loss eq. (8) the consensus algorithms reuse).
 *
 * The OC phase of PLAL (eq. 13) evaluates pi and its Jacobian d pi/dx at every knot of every
 * solver iteration, and the rollouts evaluate pi at every step. Both go through
 * `policyFunction`: the network read once into flat Float64Arrays and evaluated with plain
 * loops (tests pin it to the engine's `mlpAction` and its `jacfwd`). The Jacobian is
 * accumulated in reverse, one row per control (nu passes of cost ~ width^2, nu being small).
 */
import type { Rng } from '../../autodiff/index.js';
import type { PolicyFunction } from '../../ocp/index.js';
import type { Task, TaskInstance } from '../../tasks/index.js';
import { type MlpPolicy, type PairDataset, initMlpPolicy } from '../mlp-policy.js';

/** The consensus paper's network: two hidden layers of 256 (sec. II). */
export const CONSENSUS_HIDDEN = [256, 256] as const;

/**
 * A fresh policy for a task. The input standardization is fitted on the states of the
 * training instances' cold guesses (each a line from x0 to the target), so it covers the
 * region the trajectories cross before any has been solved (ours: the paper is silent).
 */
export function initConsensusPolicy(rng: Rng, task: Task, instances: readonly TaskInstance[], hidden: readonly number[] = CONSENSUS_HIDDEN): MlpPolicy {
  const { nx, nu, controlBounds } = task.dynamics;
  if (controlBounds === null) throw new RangeError(`initConsensusPolicy: task ${task.name} has no control bounds for the tanh output`);
  if (task.condition !== undefined) throw new RangeError(`initConsensusPolicy: task ${task.name} is conditioned on task parameters, which the consensus policy does not take`);
  if (instances.length === 0) throw new RangeError('initConsensusPolicy: no instances');
  const states = instances.flatMap((instance) => {
    const problem = task.problem(instance);
    return task.coldGuess(problem).xs ?? [problem.x0];
  });
  const data: PairDataset = {
    count: states.length,
    stateDim: nx,
    controlDim: nu,
    x: Float64Array.from(states.flatMap((x) => Array.from(x))),
    u: new Float64Array(states.length * nu),
    K: new Float64Array(states.length * nu * nx),
  };
  return initMlpPolicy(rng, { stateDim: nx, controlDim: nu, hidden, lower: Array.from(controlBounds.lower), upper: Array.from(controlBounds.upper) }, data);
}

/**
 * The policy as plain data (typed arrays and sizes): what an OC solve job carries to a worker
 * (oc-solve.ts), and what `policyFunction` evaluates, so a worker's pi is this thread's to the bit.
 */
export interface PolicyData {
  nx: number;
  nu: number;
  /** Dense layers, first to last: weight row-major out x in. */
  layers: { weight: Float64Array; bias: Float64Array; out: number; in: number }[];
  /** Input standardization (x - center) / scale. */
  center: Float64Array;
  scale: Float64Array;
  /** The control box the tanh output is scaled to. */
  lower: Float64Array;
  upper: Float64Array;
}

/** The network's parameters read once into flat arrays. */
export function policyData(policy: MlpPolicy): PolicyData {
  if ((policy.config.conditionDim ?? 0) > 0) throw new RangeError('policyData: conditioned policies are not supported');
  return {
    nx: policy.config.stateDim,
    nu: policy.config.controlDim,
    layers: policy.params.map((layer) => ({
      weight: Float64Array.from(layer.weight.toArray()),
      bias: Float64Array.from(layer.bias.toArray()),
      out: layer.weight.shape[0]!,
      in: layer.weight.shape[1]!,
    })),
    center: Float64Array.from(policy.center),
    scale: Float64Array.from(policy.scale),
    lower: Float64Array.from(policy.config.lower),
    upper: Float64Array.from(policy.config.upper),
  };
}

/** pi(x) and d pi/dx with plain loops (see the header), from the network or its data. */
export function policyFunction(policy: MlpPolicy | PolicyData): PolicyFunction {
  const { nx, nu, center, scale, lower, upper, ...data } = 'params' in policy ? policyData(policy) : policy;
  const layers = data.layers.map((l) => ({ W: l.weight, b: l.bias, out: l.out, in: l.in }));
  const invScale = Float64Array.from(scale, (s) => 1 / s);
  const mid = Float64Array.from(lower, (l, i) => (l + upper[i]!) / 2);
  const half = Float64Array.from(lower, (l, i) => (upper[i]! - l) / 2);
  // Activations of each layer (the input first), reused between calls.
  const acts = [new Float64Array(nx), ...layers.map((l) => new Float64Array(l.out))];
  const width = Math.max(nx, ...layers.map((l) => l.out));
  const back = [new Float64Array(width), new Float64Array(width)];
  return {
    nx,
    nu,
    evaluate(x, u, J) {
      const z = acts[0]!;
      for (let j = 0; j < nx; j++) z[j] = (x[j]! - center[j]!) * invScale[j]!;
      layers.forEach((layer, k) => {
        const input = acts[k]!;
        const output = acts[k + 1]!;
        const last = k === layers.length - 1;
        for (let o = 0; o < layer.out; o++) {
          let v = layer.b[o]!;
          const row = o * layer.in;
          for (let i = 0; i < layer.in; i++) v += layer.W[row + i]! * input[i]!;
          output[o] = last ? Math.tanh(v) : v > 0 ? v : 0;
        }
      });
      const th = acts[layers.length]!;
      for (let i = 0; i < nu; i++) u[i] = mid[i]! + half[i]! * th[i]!;
      if (J === null) return;
      // Row i of d pi/dx, backwards: d u_i / d(pre-activation of the output) = half_i (1 - tanh^2).
      for (let i = 0; i < nu; i++) {
        let g = back[0]!;
        g.fill(0, 0, nu);
        g[i] = half[i]! * (1 - th[i]! * th[i]!);
        for (let k = layers.length - 1; k >= 0; k--) {
          const layer = layers[k]!;
          const next = back[(layers.length - k) % 2]!;
          next.fill(0, 0, layer.in);
          for (let o = 0; o < layer.out; o++) {
            const go = g[o]!;
            if (go === 0) continue;
            const row = o * layer.in;
            for (let c = 0; c < layer.in; c++) next[c] += go * layer.W[row + c]!;
          }
          // Through the ReLU of the layer below (its output is this layer's input); none below the first layer.
          if (k > 0) {
            const below = acts[k]!;
            for (let c = 0; c < layer.in; c++) if (below[c]! <= 0) next[c] = 0;
          }
          g = next;
        }
        for (let j = 0; j < nx; j++) J[i * nx + j] = g[j]! * invScale[j]!;
      }
    },
  };
}

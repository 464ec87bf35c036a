/**
 * Exponential moving average of the weights (Polyak averaging; Polyak and Juditsky, 1992):
 * a shadow copy  avg <- decay avg + (1 - decay) params  updated after every optimizer step.
 * Diffusion models are evaluated with the average, which is much smoother than the last
 * iterate (Ho et al., DDPM, 2020; Chi et al., Diffusion Policy, 2023).
 *
 * Optional warm-up, from Chi et al.'s diffusion_policy (`EMAModel.get_decay` in
 * diffusion_policy/model/diffusion/ema_model.py, after K. Crowson's EMA warm-up): with
 * n the number of updates already made and s = max(0, n - updateAfterStep - 1),
 *
 *   decay(n) = 0                                                   if s = 0
 *            = clamp(1 - (1 + s / invGamma)^(-power), minDecay, maxDecay)   otherwise
 *
 * so the first updates simply copy the weights (an average over a few noisy early iterates
 * would be worse than the current one) and the horizon 1 / (1 - decay) grows like s^power.
 * With invGamma = 1, power = 2/3 (the defaults) the decay reaches 0.999 after about 31.6k steps.
 */
import { NonFiniteError } from '../../autodiff/errors.js';
import { type PyTree, unflatten } from '../../autodiff/pytree.js';
import { type ConcreteTensor } from '../../autodiff/tensor.js';
import { concreteLeaves, like, matchingLeaves, wrap } from './tree.js';

export interface EmaWarmup {
  /** Default 1. */
  invGamma?: number;
  /** Default 2/3. */
  power?: number;
  /** Default 0. */
  minDecay?: number;
  /** Updates before the average starts to lag behind the weights. Default 0. */
  updateAfterStep?: number;
}

/** The averaged parameters and the number of updates made. */
export type EmaState<T extends PyTree = PyTree> = {
  readonly params: T;
  readonly count: number;
};

export interface Ema {
  /** The decay the update after `count` previous updates uses. */
  decayAt(count: number): number;
  /** Start the average at the current parameters. */
  init<T extends PyTree>(params: T): EmaState<T>;
  /** Fold the new parameters into the average. */
  update<T extends PyTree>(state: EmaState<T>, params: T): EmaState<T>;
}

/**
 * An EMA with constant `decay`, or, given `warmup` (true for diffusion_policy's defaults),
 * the warm-up schedule above with `decay` as its maximum (diffusion_policy: 0.9999).
 */
export function ema(decay: number, warmup?: EmaWarmup | boolean): Ema {
  if (!(decay >= 0 && decay <= 1)) throw new RangeError(`ema: decay must lie in [0, 1], got ${decay}`);
  const w = warmup === true ? {} : warmup === false ? undefined : warmup;
  const decayAt = (count: number): number => {
    if (w === undefined) return decay;
    const { invGamma = 1, power = 2 / 3, minDecay = 0, updateAfterStep = 0 } = w;
    const s = Math.max(0, count - updateAfterStep - 1);
    if (s <= 0) return 0;
    return Math.max(minDecay, Math.min(1 - (1 + s / invGamma) ** -power, decay));
  };

  return {
    decayAt,
    init<T extends PyTree>(params: T): EmaState<T> {
      const [leaves, def] = concreteLeaves(params);
      const copies = leaves.map((l) => {
        const data = like(l);
        data.set(l.data);
        return wrap(data, l.shape);
      });
      return { params: unflatten<T>(def, copies), count: 0 };
    },
    update<T extends PyTree>(state: EmaState<T>, params: T): EmaState<T> {
      const [avg, def] = concreteLeaves(state.params);
      // Shapes and structure here; finiteness inside the loop below, which reruns the full
      // check (throwing its NonFiniteError naming the leaf) when it meets a NaN or infinity.
      let cur;
      try {
        cur = matchingLeaves('ema', 'params', def, avg, params, false);
      } catch (e) {
        matchingLeaves('ema', 'params', def, avg, params, true); // the reference order of errors
        throw e;
      }
      const d = decayAt(state.count);
      const n = avg.length;
      const out = new Array<ConcreteTensor>(n);
      for (let i = 0; i < n; i++) {
        const a = avg[i];
        const o = like(a);
        const ad = a.data, c = cur[i].data;
        const bad = ad instanceof Float32Array
          ? emaLoop32(ad, c as Float32Array, o as Float32Array, d)
          : emaLoop64(ad, c as Float64Array, o as Float64Array, d);
        if (bad !== 0) {
          matchingLeaves('ema', 'params', def, avg, params, true);
          throw new NonFiniteError('ema: params are not finite'); // unreachable
        }
        out[i] = wrap(o, a.shape);
      }
      return { params: unflatten<T>(def, out), count: state.count + 1 };
    },
  };
}

/** avg <- d avg + (1 - d) params over one float32 leaf; 1 when a param is not finite, else 0. */
function emaLoop32(a: Float32Array, c: Float32Array, o: Float32Array, d: number): number {
  let bad = 0;
  for (let k = 0; k < o.length; k++) {
    const ck = c[k];
    bad += ck * 0;
    o[k] = d * a[k] + (1 - d) * ck;
  }
  return bad === 0 ? 0 : 1;
}

/** The same for float64 leaves (separate, so each loop stays monomorphic). */
function emaLoop64(a: Float64Array, c: Float64Array, o: Float64Array, d: number): number {
  let bad = 0;
  for (let k = 0; k < o.length; k++) {
    const ck = c[k];
    bad += ck * 0;
    o[k] = d * a[k] + (1 - d) * ck;
  }
  return bad === 0 ? 0 : 1;
}

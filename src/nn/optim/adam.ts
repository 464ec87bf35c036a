/**
 * Adam (Kingma and Ba, "Adam: A Method for Stochastic Optimization", ICLR 2015) and AdamW
 * (Loshchilov and Hutter, "Decoupled Weight Decay Regularization", ICLR 2019), functional:
 *
 *   const opt = adamw({ lr: 1e-4, betas: [0.95, 0.999], weightDecay: 1e-6 });
 *   let state = opt.init(params);
 *   [params, state] = opt.step(params, grads, state);
 *
 * The update is PyTorch's, term for term, so a run can be compared with a PyTorch one:
 *
 *   g   <- g + wd p                   (Adam only: weight decay as an L2 term in the gradient)
 *   p   <- p (1 - lr wd)              (AdamW only: decay applied to the weights, "decoupled")
 *   m   <- b1 m + (1 - b1) g          v <- b2 v + (1 - b2) g^2
 *   p   <- p - (lr / (1 - b1^t)) m / (sqrt(v) / sqrt(1 - b2^t) + eps)
 *
 * Why two variants: with Adam, the L2 gradient wd p is divided by sqrt(v) like every other
 * gradient, so parameters with large gradients are barely regularized; AdamW shrinks every
 * weight by the same factor, which is what weight decay means for SGD.
 *
 * The step works on concrete values with typed-array loops (it is not differentiable) and
 * returns new tensors of each parameter's dtype; the moments are kept in that dtype too, as
 * PyTorch does. A NaN or infinite gradient throws a `NonFiniteError` naming its leaf path.
 */
import { TransformError } from '../../autodiff/errors.js';
import { type PyTree, type TreeDef, unflatten } from '../../autodiff/pytree.js';
import { type Tensor } from '../../autodiff/tensor.js';
import { type Schedule } from './schedule.js';
import { type Leaf, concreteLeaves, like, matchingLeaves, wrap } from './tree.js';

export interface AdamOptions {
  /** A rate, or a schedule called with the number of updates already taken. Default 1e-3. */
  lr?: number | Schedule;
  /** Decay rates of the first and second moment estimates. Default [0.9, 0.999]. */
  betas?: readonly [number, number];
  /** Added to the denominator. Default 1e-8. */
  eps?: number;
  /** Default 0 for Adam, 1e-2 for AdamW (PyTorch's defaults). */
  weightDecay?: number;
}

/** The optimizer state: moment trees shaped like the parameters, and the number of updates taken. */
export type AdamState<T extends PyTree = PyTree> = {
  readonly count: number;
  readonly mu: T;
  readonly nu: T;
};

export interface Optimizer {
  init<T extends PyTree>(params: T): AdamState<T>;
  step<T extends PyTree>(params: T, grads: T, state: AdamState<T>): [T, AdamState<T>];
}

/** Adam with PyTorch semantics; `weightDecay` adds wd p to the gradient (L2 regularization). */
export function adam(options: AdamOptions = {}): Optimizer {
  return makeAdam('adam', options, false);
}

/** AdamW: weight decay applied to the weights directly, decoupled from the gradient scaling. */
export function adamw(options: AdamOptions = {}): Optimizer {
  return makeAdam('adamw', { ...options, weightDecay: options.weightDecay ?? 1e-2 }, true);
}

function makeAdam(name: string, options: AdamOptions, decoupled: boolean): Optimizer {
  const { lr = 1e-3, betas = [0.9, 0.999], eps = 1e-8, weightDecay = 0 } = options;
  const [b1, b2] = betas;
  if (!(b1 >= 0 && b1 < 1 && b2 >= 0 && b2 < 1)) throw new RangeError(`${name}: betas must lie in [0, 1), got [${betas}]`);
  if (!(eps >= 0) || !(weightDecay >= 0)) throw new RangeError(`${name}: eps and weightDecay must be non-negative`);
  const rate: Schedule = typeof lr === 'number' ? () => lr : lr;

  return {
    init<T extends PyTree>(params: T): AdamState<T> {
      const [leaves, def] = concreteLeaves(params);
      const zerosTree = () => unflatten<T>(def, leaves.map((l) => wrap(like(l), l.shape)));
      return { count: 0, mu: zerosTree(), nu: zerosTree() };
    },

    step<T extends PyTree>(params: T, grads: T, state: AdamState<T>): [T, AdamState<T>] {
      // The reference order of checks (count, gradients' structure, shape and finiteness leaf
      // by leaf, the moments, the rate). The fast path below skips the finiteness pass and
      // detects a non-finite gradient inside the update loop instead; whenever anything is
      // wrong it reruns this, so the error thrown is exactly the one this order gives.
      const validate = (): void => {
        if (!Number.isInteger(state.count) || state.count < 0) throw new TransformError(`${name}: state.count must be a non-negative integer`);
        const [ps, def] = concreteLeaves(params);
        matchingLeaves(name, 'gradient', def, ps, grads, true);
        matchingLeaves(name, 'state.mu', def, ps, state.mu, false);
        matchingLeaves(name, 'state.nu', def, ps, state.nu, false);
        const alpha = rate(state.count);
        if (!Number.isFinite(alpha)) throw new RangeError(`${name}: learning rate at step ${state.count} is ${alpha}`);
      };
      let ps: Leaf[], def: TreeDef, gs: Leaf[], ms: Leaf[], vs: Leaf[], alpha: number;
      try {
        if (!Number.isInteger(state.count) || state.count < 0) throw new TransformError(`${name}: state.count must be a non-negative integer`);
        [ps, def] = concreteLeaves(params);
        gs = matchingLeaves(name, 'gradient', def, ps, grads, false);
        ms = matchingLeaves(name, 'state.mu', def, ps, state.mu, false);
        vs = matchingLeaves(name, 'state.nu', def, ps, state.nu, false);
        alpha = rate(state.count);
        if (!Number.isFinite(alpha)) throw new RangeError(`${name}: learning rate at step ${state.count} is ${alpha}`);
      } catch (e) {
        validate();
        throw e;
      }
      const t = state.count + 1;
      const stepSize = alpha / (1 - b1 ** t);
      const bc2Sqrt = Math.sqrt(1 - b2 ** t);
      const decay = decoupled ? 1 - alpha * weightDecay : 1;
      const l2 = decoupled ? 0 : weightDecay;

      const n = ps.length;
      const newP: Tensor[] = new Array<Tensor>(n);
      const newM: Tensor[] = new Array<Tensor>(n);
      const newV: Tensor[] = new Array<Tensor>(n);
      for (let i = 0; i < n; i++) {
        const p = ps[i];
        const po = like(p);
        const mo = like(p);
        const vo = like(p);
        const pd = p.data, gd = gs[i].data, md = ms[i].data, vd = vs[i].data;
        // One loop per dtype, so each stays monomorphic when both dtypes run in one process.
        const bad = pd instanceof Float32Array
          ? adamLoop32(pd, gd as Float32Array, md as Float32Array, vd as Float32Array, po as Float32Array, mo as Float32Array, vo as Float32Array, l2, b1, b2, decay, stepSize, bc2Sqrt, eps)
          : adamLoop64(pd, gd as Float64Array, md as Float64Array, vd as Float64Array, po as Float64Array, mo as Float64Array, vo as Float64Array, l2, b1, b2, decay, stepSize, bc2Sqrt, eps);
        if (bad !== 0) {
          validate(); // throws the NonFiniteError naming the first non-finite gradient leaf
          throw new TransformError(`${name}: non-finite gradient`); // unreachable
        }
        newP[i] = wrap(po, p.shape);
        newM[i] = wrap(mo, p.shape);
        newV[i] = wrap(vo, p.shape);
      }
      return [unflatten<T>(def, newP), { count: t, mu: unflatten<T>(def, newM), nu: unflatten<T>(def, newV) }];
    },
  };
}

/** The fused update and finiteness check over one float32 leaf; NaN-free result 0, else 1. */
function adamLoop32(
  pd: Float32Array, gd: Float32Array, md: Float32Array, vd: Float32Array, po: Float32Array, mo: Float32Array, vo: Float32Array,
  l2: number, b1: number, b2: number, decay: number, stepSize: number, bc2Sqrt: number, eps: number,
): number {
  // `bad` stays 0 while every gradient is finite (x * 0 is NaN exactly for NaN and +-Infinity).
  let bad = 0;
  for (let k = 0; k < pd.length; k++) {
    const gk = gd[k];
    bad += gk * 0;
    const pk = pd[k];
    const g = gk + l2 * pk;
    const m = b1 * md[k] + (1 - b1) * g;
    const v = b2 * vd[k] + (1 - b2) * g * g;
    mo[k] = m;
    vo[k] = v;
    po[k] = pk * decay - (stepSize * m) / (Math.sqrt(v) / bc2Sqrt + eps);
  }
  return bad === 0 ? 0 : 1;
}

/** The same loop for float64 leaves (a separate function, so its type feedback stays monomorphic). */
function adamLoop64(
  pd: Float64Array, gd: Float64Array, md: Float64Array, vd: Float64Array, po: Float64Array, mo: Float64Array, vo: Float64Array,
  l2: number, b1: number, b2: number, decay: number, stepSize: number, bc2Sqrt: number, eps: number,
): number {
  // `bad` stays 0 while every gradient is finite (x * 0 is NaN exactly for NaN and +-Infinity).
  let bad = 0;
  for (let k = 0; k < pd.length; k++) {
    const gk = gd[k];
    bad += gk * 0;
    const pk = pd[k];
    const g = gk + l2 * pk;
    const m = b1 * md[k] + (1 - b1) * g;
    const v = b2 * vd[k] + (1 - b2) * g * g;
    mo[k] = m;
    vo[k] = v;
    po[k] = pk * decay - (stepSize * m) / (Math.sqrt(v) / bc2Sqrt + eps);
  }
  return bad === 0 ? 0 : 1;
}

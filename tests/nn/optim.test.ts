/**
 * Tests of the optimizers: Adam and AdamW against the update sequence written out by hand,
 * convergence on least squares, NaN handling, global-norm clipping, the EMA (constant and
 * with diffusion_policy's warm-up) and the cosine schedule.
 */
import { describe, expect, it } from 'vitest';
import {
  NonFiniteError, type PyTree, Rng, ShapeError, type Tensor, TransformError, grad, matmul, mean, square, sub, tensor,
} from '../../src/autodiff/index.js';
import { Linear, castTree } from '../../src/nn/index.js';
import { adam, adamw, clipGradNorm, cosineWithWarmup, ema, globalNorm } from '../../src/nn/optim/index.js';

const data = (t: Tensor) => t.toArray();

function expectClose(actual: readonly number[], expected: readonly number[], tol = 1e-12): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((a, i) => {
    if (Math.abs(a - expected[i]) > tol * (1 + Math.abs(expected[i]))) throw new Error(`element ${i}: ${a} vs ${expected[i]}`);
  });
}

/** f(p) = 1/2 sum a_i p_i^2, gradient a p. */
const A = [0.5, 2, -1];
const quadGrad = (p: Tensor) => tensor(data(p).map((v, i) => A[i] * v));

/** Kingma and Ba's Algorithm 1 on one scalar, with L2 (Adam) or decoupled (AdamW) decay. */
function byHand(p0: number, a: number, steps: number, lr: (t: number) => number, b1: number, b2: number, eps: number, wd: number, decoupled: boolean): number[] {
  let [p, m, v] = [p0, 0, 0];
  const out: number[] = [];
  for (let t = 1; t <= steps; t++) {
    const alpha = lr(t - 1);
    let g = a * p;
    if (decoupled) p *= 1 - alpha * wd;
    else g += wd * p;
    m = b1 * m + (1 - b1) * g;
    v = b2 * v + (1 - b2) * g * g;
    const mHat = m / (1 - b1 ** t);
    const vHat = v / (1 - b2 ** t);
    p -= (alpha * mHat) / (Math.sqrt(vHat) + eps);
    out.push(p);
  }
  return out;
}

function run(opt: ReturnType<typeof adam>, p0: number[], steps: number): number[][] {
  let p: Tensor = tensor(p0);
  let state = opt.init(p);
  const trace: number[][] = [];
  for (let t = 0; t < steps; t++) {
    [p, state] = opt.step(p, quadGrad(p), state);
    trace.push(data(p));
  }
  expect(state.count).toBe(steps);
  return trace;
}

describe('adam and adamw', () => {
  const p0 = [1.5, -0.7, 0.3];
  const steps = 5;
  const columns = (trace: number[][], i: number) => trace.map((row) => row[i]);

  it('Adam follows the closed-form update sequence on a quadratic', () => {
    const trace = run(adam({ lr: 0.1, betas: [0.9, 0.999], eps: 1e-8 }), p0, steps);
    p0.forEach((x, i) => expectClose(columns(trace, i), byHand(x, A[i], steps, () => 0.1, 0.9, 0.999, 1e-8, 0, false)));
    // The first step of Adam moves each coordinate by about lr against the sign of its gradient.
    expectClose(trace[0], p0.map((x, i) => x - 0.1 * Math.sign(A[i] * x)), 1e-6);
  });

  it('Adam with weightDecay adds wd p to the gradient (L2, PyTorch semantics)', () => {
    const trace = run(adam({ lr: 0.05, betas: [0.8, 0.99], eps: 1e-6, weightDecay: 0.3 }), p0, steps);
    p0.forEach((x, i) => expectClose(columns(trace, i), byHand(x, A[i], steps, () => 0.05, 0.8, 0.99, 1e-6, 0.3, false)));
  });

  it('AdamW decays the weights directly (Loshchilov and Hutter), and differs from Adam + L2', () => {
    const opts = { lr: 0.05, betas: [0.8, 0.99] as const, eps: 1e-6, weightDecay: 0.3 };
    const trace = run(adamw(opts), p0, steps);
    p0.forEach((x, i) => expectClose(columns(trace, i), byHand(x, A[i], steps, () => 0.05, 0.8, 0.99, 1e-6, 0.3, true)));
    const l2 = run(adam(opts), p0, steps);
    expect(Math.abs(trace[steps - 1][0] - l2[steps - 1][0])).toBeGreaterThan(1e-4);
  });

  it('AdamW defaults to weightDecay 1e-2, and a zero gradient still shrinks the weights', () => {
    const opt = adamw({ lr: 0.1 });
    const p = tensor([2, -4]);
    const [p1] = opt.step(p, tensor([0, 0]), opt.init(p));
    expectClose(data(p1), [2 * (1 - 0.1 * 0.01), -4 * (1 - 0.1 * 0.01)]);
  });

  it('calls a learning-rate schedule with the number of updates already taken', () => {
    const schedule = (count: number) => 0.1 / (1 + count);
    const trace = run(adam({ lr: schedule }), p0, steps);
    p0.forEach((x, i) => expectClose(columns(trace, i), byHand(x, A[i], steps, schedule, 0.9, 0.999, 1e-8, 0, false)));
  });

  it('keeps the tree structure and each leaf\'s dtype', () => {
    const params = castTree({ layers: [Linear.init(new Rng(1), 2, 3)], scale: tensor([1]) }, 'float32');
    const opt = adamw();
    const state = opt.init(params);
    const grads = castTree({ layers: [Linear.init(new Rng(2), 2, 3)], scale: tensor([0.5]) }, 'float32');
    const [next, s1] = opt.step(params, grads, state);
    expect(next.layers[0].weight.shape).toEqual([3, 2]);
    expect(next.layers[0].weight.dtype).toBe('float32');
    expect(s1.mu.layers[0].bias.dtype).toBe('float32');
    expect(s1.count).toBe(1);
    // The input tree is left untouched.
    expect(data(params.scale)).toEqual([1]);
  });

  it('converges on a small least-squares problem to the normal-equations solution', () => {
    const rng = new Rng(42);
    const X = rng.normal([32, 3]);
    const y = rng.normal([32, 1]);
    // Solve X^T X w = X^T y by Gaussian elimination.
    const x = data(X);
    const yy = data(y);
    const M = [0, 1, 2].map((i) => [0, 1, 2].map((j) => x.filter((_, k) => k % 3 === i).reduce((s, v, r) => s + v * x[r * 3 + j], 0)));
    const r = [0, 1, 2].map((i) => yy.reduce((s, v, k) => s + v * x[k * 3 + i], 0));
    for (let c = 0; c < 3; c++) for (let rr = c + 1; rr < 3; rr++) {
      const f = M[rr][c] / M[c][c];
      for (let k = c; k < 3; k++) M[rr][k] -= f * M[c][k];
      r[rr] -= f * r[c];
    }
    const w = [0, 0, 0];
    for (let c = 2; c >= 0; c--) w[c] = (r[c] - M[c].slice(c + 1).reduce((s, v, k) => s + v * w[c + 1 + k], 0)) / M[c][c];

    const loss = (p: { w: Tensor }) => mean(square(sub(matmul(X, p.w), y)));
    const opt = adam({ lr: cosineWithWarmup({ lr: 0.05, warmupSteps: 20, totalSteps: 1500, minLr: 1e-4 }) });
    let params: { w: Tensor } = { w: tensor([[0], [0], [0]]) };
    let state = opt.init(params);
    for (let t = 0; t < 1500; t++) [params, state] = opt.step(params, grad(loss)(params), state);
    expectClose(data(params.w), w, 1e-5);
  });

  it('throws a NonFiniteError naming the leaf path of a NaN gradient', () => {
    const params = { layers: [Linear.init(new Rng(1), 2, 2), Linear.init(new Rng(2), 2, 2)] };
    const grads = { layers: [Linear.init(new Rng(3), 2, 2), { weight: tensor([[0, 0], [0, 0]]), bias: tensor([0, NaN]) }] };
    const opt = adam();
    expect(() => opt.step(params, grads, opt.init(params))).toThrow(NonFiniteError);
    expect(() => opt.step(params, grads, opt.init(params))).toThrow(/layers\[1\]\.bias.*NaN at element 1/);
  });

  it('finds a non-finite float32 gradient inside the fused update, before a later shape error', () => {
    const params = castTree({ a: tensor([1, 2]), b: tensor([3, 4]), c: tensor([5, 6]) }, 'float32');
    const opt = adamw();
    const state = opt.init(params);
    const inf = castTree({ a: tensor([0, 0]), b: tensor([Infinity, 0]), c: tensor([0, 0]) }, 'float32');
    expect(() => opt.step(params, inf, state)).toThrow(/adamw: gradient at b .*Infinity at element 0/);
    // The reference order: leaf b's NaN is reported before leaf c's wrong shape.
    const both = castTree({ a: tensor([0, 0]), b: tensor([0, NaN]), c: tensor([0, 0, 0]) }, 'float32');
    expect(() => opt.step(params, both, state)).toThrow(NonFiniteError);
    const avg = ema(0.9);
    expect(() => avg.update(avg.init(params), inf)).toThrow(/ema: params at b .*Infinity/);
  });

  it('rejects gradients of another structure or shape', () => {
    const params: PyTree = { w: tensor([1, 2]) };
    const opt = adam();
    expect(() => opt.step(params, { v: tensor([1, 2]) }, opt.init(params))).toThrow(TransformError);
    expect(() => opt.step(params, { w: tensor([1, 2, 3]) }, opt.init(params))).toThrow(ShapeError);
  });
});

describe('clipGradNorm', () => {
  const grads = { a: tensor([3, 0]), b: [tensor([[0, 4]])] };

  it('returns the global norm and leaves small gradients alone', () => {
    expect(globalNorm(grads)).toBe(5);
    const [g, norm] = clipGradNorm(grads, 10);
    expect(norm).toBe(5);
    expect(g).toBe(grads);
  });

  it('scales large gradients to maxNorm, keeping the direction', () => {
    const [g, norm] = clipGradNorm(grads, 1);
    expect(norm).toBe(5);
    const coef = 1 / (5 + 1e-6);
    expectClose(data(g.a), [3 * coef, 0]);
    expectClose(data(g.b[0]), [0, 4 * coef]);
    expect(globalNorm(g)).toBeCloseTo(1, 6);
  });

  it('throws on a non-finite gradient, naming the leaf', () => {
    expect(() => clipGradNorm({ a: tensor([1]), b: tensor([Infinity]) }, 1)).toThrow(/gradient at b/);
  });
});

describe('ema', () => {
  it('with a constant decay: avg <- d avg + (1 - d) params', () => {
    const e = ema(0.9);
    let s = e.init({ w: tensor([1, 2]) });
    s = e.update(s, { w: tensor([3, 0]) });
    expectClose(data(s.params.w), [0.9 + 0.3, 1.8]);
    s = e.update(s, { w: tensor([0, 0]) });
    expectClose(data(s.params.w), [0.9 * 1.2, 0.9 * 1.8]);
    expect(s.count).toBe(2);
  });

  it('with diffusion_policy\'s warm-up: 0 for the first two updates, then 1 - (1 + s)^(-2/3), capped', () => {
    const e = ema(0.9999, true);
    expect(e.decayAt(0)).toBe(0);
    expect(e.decayAt(1)).toBe(0);
    expect(e.decayAt(2)).toBeCloseTo(1 - 2 ** (-2 / 3), 14);
    expect(e.decayAt(11)).toBeCloseTo(1 - 11 ** (-2 / 3), 14);
    expect(e.decayAt(31_623)).toBeCloseTo(0.999, 5);
    expect(e.decayAt(1e9)).toBe(0.9999);
    // s = count - updateAfterStep - 1; decay = clamp(1 - (1 + s / invGamma)^-power, minDecay, max).
    const custom = ema(0.99, { invGamma: 2, power: 1, updateAfterStep: 3, minDecay: 0.5 });
    expect(custom.decayAt(4)).toBe(0);
    expect(custom.decayAt(5)).toBe(0.5); // s = 1: 1 - 1 / 1.5 = 1/3, raised to minDecay
    expect(custom.decayAt(9)).toBeCloseTo(1 - 1 / 3.5, 14); // s = 5
    expect(custom.decayAt(1000)).toBe(0.99);
  });

  it('copies the weights during warm-up, then lags behind them', () => {
    const e = ema(0.9999, true);
    let s = e.init({ w: tensor([0]) });
    s = e.update(s, { w: tensor([1]) });
    s = e.update(s, { w: tensor([2]) });
    expect(data(s.params.w)).toEqual([2]);
    s = e.update(s, { w: tensor([5]) });
    const d = 1 - 2 ** (-2 / 3);
    expectClose(data(s.params.w), [d * 2 + (1 - d) * 5]);
  });
});

describe('cosineWithWarmup', () => {
  it('ramps linearly, then follows a half cosine down to minLr', () => {
    const f = cosineWithWarmup({ lr: 1e-3, warmupSteps: 10, totalSteps: 110, minLr: 1e-5 });
    expect(f(0)).toBe(0);
    expect(f(5)).toBeCloseTo(5e-4, 15);
    expect(f(10)).toBeCloseTo(1e-3, 15);
    expect(f(60)).toBeCloseTo((1e-3 + 1e-5) / 2, 15);
    expect(f(110)).toBeCloseTo(1e-5, 15);
    expect(f(500)).toBeCloseTo(1e-5, 15);
    const values = Array.from({ length: 100 }, (_, i) => f(10 + i));
    expect(values.every((v, i) => i === 0 || v <= values[i - 1])).toBe(true);
  });
});

/**
 * Tests of the functional layers: shapes, agreement with direct loops, PyTorch's init bounds
 * and determinism, typed shape errors, and gradients (parameters and input) against central
 * differences in float64 with seeded fast-check. A failure prints the seed; rerun with it.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ConcreteTensor, type PyTree, Rng, ShapeError, type Tensor, flatten, grad, jvp, mul, square, sum, tensor, unflatten,
} from '../../src/autodiff/index.js';
import {
  Conv1d, ConvTranspose1d, GroupNorm, Linear, MLP, Mish, SinusoidalPosEmb, boundedTanh, castTree, mish,
  namedLeaves, parameterCount, relu, sinusoidalPosEmb, tanh,
} from '../../src/nn/index.js';

const SEED = 61_2024;
const NUM_RUNS = 12;
const params = { seed: SEED, numRuns: NUM_RUNS };

const rand = (rng: Rng, shape: number[]) => rng.uniform(shape, -1, 1);
const data = (t: Tensor) => t.toArray();

function expectClose(actual: readonly number[], expected: readonly number[], tol = 1e-12): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((a, i) => {
    if (Math.abs(a - expected[i]) > tol * (1 + Math.abs(expected[i]))) {
      throw new Error(`element ${i}: ${a} vs ${expected[i]} (tol ${tol})`);
    }
  });
}

/** A copy of `tree` with element k of leaf i moved by delta. */
function perturb<T extends PyTree>(tree: T, i: number, k: number, delta: number): T {
  const [leaves, def] = flatten(tree);
  const copy = leaves.map((l, j) => {
    if (j !== i) return l;
    const d = Float64Array.from(l.concrete().data);
    d[k] += delta;
    return new ConcreteTensor(d, l.shape);
  });
  return unflatten<T>(def, copy);
}

/**
 * Gradient of L(p, x) = sum(f(p, x) * W) with respect to the parameter tree and the input,
 * by the engine's reverse mode, against central differences (h = 1e-6, float64).
 */
function checkGradients<P extends PyTree>(f: (p: P, x: Tensor) => Tensor, p: P, x: Tensor, rng: Rng): void {
  const W = rand(rng, [...f(p, x).shape]);
  const loss = (pp: P, xx: Tensor) => sum(mul(f(pp, xx), W));
  const gp = grad(loss, 0)(p, x);
  const gx = grad(loss, 1)(p, x);
  const h = 1e-6;
  const check = (analytic: number, plus: number, minus: number, where: string) => {
    const numeric = (plus - minus) / (2 * h);
    if (Math.abs(analytic - numeric) > 1e-6 * (1 + Math.abs(numeric))) {
      throw new Error(`${where}: analytic ${analytic}, central difference ${numeric}`);
    }
  };
  const [gLeaves] = flatten(gp);
  const [pLeaves] = flatten(p);
  pLeaves.forEach((leaf, i) => {
    const g = data(gLeaves[i]);
    for (let k = 0; k < leaf.size; k++) {
      check(g[k], loss(perturb(p, i, k, h), x).item(), loss(perturb(p, i, k, -h), x).item(), `param leaf ${i} element ${k}`);
    }
  });
  const g = data(gx);
  for (let k = 0; k < x.size; k++) {
    check(g[k], loss(p, perturb(x, 0, k, h)).item(), loss(p, perturb(x, 0, k, -h)).item(), `input element ${k}`);
  }
}

// ---------------------------------------------------------------------------------------
// Direct computations

function linearDirect(x: number[], W: number[], b: number[], rows: number, inF: number, outF: number): number[] {
  const y: number[] = [];
  for (let r = 0; r < rows; r++) {
    for (let o = 0; o < outF; o++) {
      let s = b[o];
      for (let i = 0; i < inF; i++) s += x[r * inF + i] * W[o * inF + i];
      y.push(s);
    }
  }
  return y;
}

interface Geo { B: number; cin: number; cout: number; L: number; k: number; stride: number; padding: number; dilation: number }

function conv1dDirect(x: number[], w: number[], b: number[], g: Geo): [number[], number] {
  const Lout = Math.floor((g.L + 2 * g.padding - g.dilation * (g.k - 1) - 1) / g.stride) + 1;
  const y = new Array<number>(g.B * g.cout * Lout).fill(0);
  for (let n = 0; n < g.B; n++) for (let o = 0; o < g.cout; o++) for (let t = 0; t < Lout; t++) {
    let s = b[o];
    for (let c = 0; c < g.cin; c++) for (let j = 0; j < g.k; j++) {
      const pos = t * g.stride - g.padding + j * g.dilation;
      if (pos >= 0 && pos < g.L) s += w[(o * g.cin + c) * g.k + j] * x[(n * g.cin + c) * g.L + pos];
    }
    y[(n * g.cout + o) * Lout + t] = s;
  }
  return [y, Lout];
}

/** Scatter form: every input element adds w times itself at t stride - padding + j dilation. */
function convTransposeDirect(x: number[], w: number[], b: number[], g: Geo, outputPadding: number): [number[], number] {
  const Lout = (g.L - 1) * g.stride - 2 * g.padding + g.dilation * (g.k - 1) + outputPadding + 1;
  const y = new Array<number>(g.B * g.cout * Lout).fill(0);
  for (let n = 0; n < g.B; n++) for (let o = 0; o < g.cout; o++) for (let t = 0; t < Lout; t++) y[(n * g.cout + o) * Lout + t] = b[o];
  for (let n = 0; n < g.B; n++) for (let c = 0; c < g.cin; c++) for (let t = 0; t < g.L; t++) for (let o = 0; o < g.cout; o++) {
    for (let j = 0; j < g.k; j++) {
      const pos = t * g.stride - g.padding + j * g.dilation;
      if (pos >= 0 && pos < Lout) y[(n * g.cout + o) * Lout + pos] += x[(n * g.cin + c) * g.L + t] * w[(c * g.cout + o) * g.k + j];
    }
  }
  return [y, Lout];
}

function groupNormDirect(x: number[], B: number, C: number, L: number, G: number, w: number[], b: number[], eps: number): number[] {
  const y = new Array<number>(x.length);
  const per = C / G;
  for (let n = 0; n < B; n++) for (let g = 0; g < G; g++) {
    const idx: number[] = [];
    for (let c = g * per; c < (g + 1) * per; c++) for (let t = 0; t < L; t++) idx.push((n * C + c) * L + t);
    const mean = idx.reduce((s, i) => s + x[i], 0) / idx.length;
    const v = idx.reduce((s, i) => s + (x[i] - mean) ** 2, 0) / idx.length;
    for (const i of idx) {
      const c = Math.floor(i / L) % C;
      y[i] = ((x[i] - mean) / Math.sqrt(v + eps)) * w[c] + b[c];
    }
  }
  return y;
}

const geometry = fc.record({
  B: fc.integer({ min: 1, max: 2 }),
  cin: fc.integer({ min: 1, max: 3 }),
  cout: fc.integer({ min: 1, max: 3 }),
  L: fc.integer({ min: 4, max: 7 }),
  k: fc.integer({ min: 1, max: 3 }),
  stride: fc.integer({ min: 1, max: 2 }),
  padding: fc.integer({ min: 0, max: 2 }),
  dilation: fc.integer({ min: 1, max: 2 }),
});
const rngSeed = fc.integer({ min: 0, max: 2 ** 31 - 1 });

// ---------------------------------------------------------------------------------------

describe('Linear', () => {
  it('matches explicit loops for 1-D, 2-D and 3-D inputs', () => {
    const rng = new Rng(1);
    const p = Linear.init(rng, 4, 3);
    const [W, b] = [data(p.weight), data(p.bias)];
    const x2 = rand(rng, [5, 4]);
    const y2 = Linear.apply(p, x2);
    expect(y2.shape).toEqual([5, 3]);
    expectClose(data(y2), linearDirect(data(x2), W, b, 5, 4, 3));
    const x1 = rand(rng, [4]);
    const y1 = Linear.apply(p, x1);
    expect(y1.shape).toEqual([3]);
    expectClose(data(y1), linearDirect(data(x1), W, b, 1, 4, 3));
    const x3 = rand(rng, [2, 3, 4]);
    const y3 = Linear.apply(p, x3);
    expect(y3.shape).toEqual([2, 3, 3]);
    expectClose(data(y3), linearDirect(data(x3), W, b, 6, 4, 3));
  });

  it('initializes U(-1/sqrt(in), 1/sqrt(in)) deterministically under a seed', () => {
    const a = Linear.init(new Rng(7), 16, 32);
    const b = Linear.init(new Rng(7), 16, 32);
    const c = Linear.init(new Rng(8), 16, 32);
    expect(a.weight.shape).toEqual([32, 16]);
    expect(a.bias.shape).toEqual([32]);
    expect(data(a.weight)).toEqual(data(b.weight));
    expect(data(a.bias)).toEqual(data(b.bias));
    expect(data(a.weight)).not.toEqual(data(c.weight));
    const bound = 1 / 4;
    const w = data(a.weight);
    expect(Math.max(...w.map(Math.abs))).toBeLessThanOrEqual(bound);
    expect(Math.max(...w.map(Math.abs))).toBeGreaterThan(0.95 * bound);
    expect(Math.abs(w.reduce((s, v) => s + v, 0) / w.length)).toBeLessThan(0.05);
    expect(Math.max(...data(a.bias).map(Math.abs))).toBeLessThanOrEqual(bound);
  });

  it('float32 parameters give float32 outputs close to float64', () => {
    const p = Linear.init(new Rng(3), 6, 4);
    const x = rand(new Rng(4), [3, 6]);
    const y64 = Linear.apply(p, x);
    const y32 = Linear.apply(castTree(p, 'float32'), castTree(x, 'float32'));
    expect(y32.dtype).toBe('float32');
    expectClose(data(y32), data(y64), 1e-6);
    const p32 = Linear.init(new Rng(3), 6, 4, 'float32');
    expect(p32.weight.dtype).toBe('float32');
    expectClose(data(p32.weight), data(p.weight), 1e-7);
  });

  it('throws a ShapeError naming the layer on a wrong input', () => {
    const p = Linear.init(new Rng(1), 4, 3);
    expect(() => Linear.apply(p, tensor([[1, 2, 3]]))).toThrow(ShapeError);
    expect(() => Linear.apply(p, tensor([[1, 2, 3]]))).toThrow(/Linear.*\[1, 3\]/);
  });

  it(`gradients match central differences (seed ${SEED})`, () => {
    fc.assert(
      fc.property(rngSeed, fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 3 }), (s, inF, outF, rows) => {
        const rng = new Rng(s);
        checkGradients(Linear.apply, Linear.init(rng, inF, outF), rand(rng, [rows, inF]), rng);
      }),
      params,
    );
  });
});

describe('Conv1d', () => {
  it(`matches direct loops with stride, padding and dilation (seed ${SEED})`, () => {
    fc.assert(
      fc.property(rngSeed, geometry, (s, g) => {
        fc.pre(g.L + 2 * g.padding >= g.dilation * (g.k - 1) + 1);
        const rng = new Rng(s);
        const p = Conv1d.init(rng, g.cin, g.cout, g.k);
        const x = rand(rng, [g.B, g.cin, g.L]);
        const y = Conv1d.apply(p, x, g);
        const [expected, Lout] = conv1dDirect(data(x), data(p.weight), data(p.bias), g);
        expect(y.shape).toEqual([g.B, g.cout, Lout]);
        expectClose(data(y), expected);
      }),
      { seed: SEED, numRuns: 40 },
    );
  });

  it('initializes U(-1/sqrt(in k), 1/sqrt(in k)) with weight [out, in, k]', () => {
    const p = Conv1d.init(new Rng(5), 4, 8, 5);
    expect(p.weight.shape).toEqual([8, 4, 5]);
    expect(p.bias.shape).toEqual([8]);
    const bound = 1 / Math.sqrt(20);
    const w = data(p.weight).map(Math.abs);
    expect(Math.max(...w)).toBeLessThanOrEqual(bound);
    expect(Math.max(...w)).toBeGreaterThan(0.9 * bound);
    expect(Math.max(...data(p.bias).map(Math.abs))).toBeLessThanOrEqual(bound);
    expect(data(Conv1d.init(new Rng(5), 4, 8, 5).weight)).toEqual(data(p.weight));
  });

  it('throws a ShapeError naming the layer on a wrong input', () => {
    const p = Conv1d.init(new Rng(1), 3, 2, 3);
    expect(() => Conv1d.apply(p, rand(new Rng(2), [1, 2, 8]))).toThrow(/Conv1d.*\[1, 2, 8\]/);
    expect(() => Conv1d.apply(p, rand(new Rng(2), [3, 8]))).toThrow(ShapeError);
  });

  it(`gradients match central differences (seed ${SEED})`, () => {
    fc.assert(
      fc.property(rngSeed, geometry, (s, g) => {
        fc.pre(g.L + 2 * g.padding >= g.dilation * (g.k - 1) + 1);
        const rng = new Rng(s);
        const f = (p: ReturnType<typeof Conv1d.init>, x: Tensor) => Conv1d.apply(p, x, g);
        checkGradients(f, Conv1d.init(rng, g.cin, g.cout, g.k), rand(rng, [g.B, g.cin, g.L]), rng);
      }),
      params,
    );
  });
});

describe('ConvTranspose1d', () => {
  it(`matches the scatter definition and PyTorch's output length (seed ${SEED})`, () => {
    fc.assert(
      fc.property(rngSeed, geometry, fc.integer({ min: 0, max: 1 }), (s, g, op) => {
        const outputPadding = op < Math.max(g.stride, g.dilation) ? op : 0;
        fc.pre((g.L - 1) * g.stride - 2 * g.padding + g.dilation * (g.k - 1) + outputPadding + 1 >= 1);
        const rng = new Rng(s);
        const p = ConvTranspose1d.init(rng, g.cin, g.cout, g.k);
        const x = rand(rng, [g.B, g.cin, g.L]);
        const y = ConvTranspose1d.apply(p, x, { ...g, outputPadding });
        const [expected, Lout] = convTransposeDirect(data(x), data(p.weight), data(p.bias), g, outputPadding);
        expect(y.shape).toEqual([g.B, g.cout, Lout]);
        expectClose(data(y), expected);
      }),
      { seed: SEED, numRuns: 40 },
    );
  });

  it('doubles the length with (k, stride, padding) = (4, 2, 1), the U-Net upsampling', () => {
    const p = ConvTranspose1d.init(new Rng(1), 3, 5, 4);
    expect(ConvTranspose1d.apply(p, rand(new Rng(2), [2, 3, 8]), { stride: 2, padding: 1 }).shape).toEqual([2, 5, 16]);
  });

  it('initializes with PyTorch\'s transposed fan-in (out k) and weight [in, out, k]', () => {
    const p = ConvTranspose1d.init(new Rng(9), 8, 2, 3);
    expect(p.weight.shape).toEqual([8, 2, 3]);
    expect(p.bias.shape).toEqual([2]);
    const bound = 1 / Math.sqrt(2 * 3);
    const w = data(p.weight).map(Math.abs);
    expect(Math.max(...w)).toBeLessThanOrEqual(bound);
    // Well above 1/sqrt(in k) = 0.204, the bound a (wrong) in * k fan-in would give.
    expect(Math.max(...w)).toBeGreaterThan(0.9 * bound);
    expect(Math.max(...data(p.bias).map(Math.abs))).toBeLessThanOrEqual(bound);
  });

  it('throws a ShapeError naming the layer on a wrong input', () => {
    const p = ConvTranspose1d.init(new Rng(1), 3, 2, 4);
    expect(() => ConvTranspose1d.apply(p, rand(new Rng(2), [1, 2, 8]))).toThrow(/ConvTranspose1d.*\[1, 2, 8\]/);
  });

  it(`gradients match central differences (seed ${SEED})`, () => {
    fc.assert(
      fc.property(rngSeed, geometry, (s, g) => {
        fc.pre((g.L - 1) * g.stride - 2 * g.padding + g.dilation * (g.k - 1) + 1 >= 1);
        const rng = new Rng(s);
        const f = (p: ReturnType<typeof ConvTranspose1d.init>, x: Tensor) => ConvTranspose1d.apply(p, x, g);
        checkGradients(f, ConvTranspose1d.init(rng, g.cin, g.cout, g.k), rand(rng, [g.B, g.cin, g.L]), rng);
      }),
      params,
    );
  });
});

describe('GroupNorm', () => {
  const shapes = fc.record({
    B: fc.integer({ min: 1, max: 2 }),
    G: fc.integer({ min: 1, max: 3 }),
    per: fc.integer({ min: 1, max: 2 }),
    L: fc.integer({ min: 1, max: 4 }),
  });

  it('initializes weight ones and bias zeros', () => {
    const p = GroupNorm.init(null, 6);
    expect(data(p.weight)).toEqual([1, 1, 1, 1, 1, 1]);
    expect(data(p.bias)).toEqual([0, 0, 0, 0, 0, 0]);
  });

  it(`matches explicit mean and variance loops (seed ${SEED})`, () => {
    fc.assert(
      fc.property(rngSeed, shapes, (s, { B, G, per, L }) => {
        const rng = new Rng(s);
        const C = G * per;
        const p = { weight: rand(rng, [C]), bias: rand(rng, [C]) };
        const x = rng.normal([B, C, L], 0.3, 2);
        const y = GroupNorm.apply(p, x, { groups: G });
        expect(y.shape).toEqual([B, C, L]);
        expectClose(data(y), groupNormDirect(data(x), B, C, L, G, data(p.weight), data(p.bias), 1e-5), 1e-10);
      }),
      { seed: SEED, numRuns: 30 },
    );
  });

  it('throws a ShapeError naming the layer on wrong channels or groups', () => {
    const p = GroupNorm.init(null, 6);
    expect(() => GroupNorm.apply(p, rand(new Rng(1), [2, 4, 3]), { groups: 2 })).toThrow(/GroupNorm.*\[2, 4, 3\]/);
    expect(() => GroupNorm.apply(p, rand(new Rng(1), [2, 6, 3]), { groups: 4 })).toThrow(ShapeError);
  });

  it(`gradients match central differences (seed ${SEED})`, () => {
    fc.assert(
      fc.property(rngSeed, shapes, (s, { B, G, per, L }) => {
        fc.pre(per * L >= 2); // a group of one element normalizes to 0 whatever its value
        const rng = new Rng(s);
        const C = G * per;
        const p = { weight: rand(rng, [C]), bias: rand(rng, [C]) };
        checkGradients((pp: typeof p, x: Tensor) => GroupNorm.apply(pp, x, { groups: G }), p, rand(rng, [B, C, L]), rng);
      }),
      params,
    );
  });
});

describe('Mish', () => {
  it('is x tanh(log(1 + e^x)) and has no parameters', () => {
    const xs = [-20, -3, -0.5, 0, 0.7, 4, 30];
    const y = Mish.apply(Mish.init(), tensor(xs));
    expectClose(data(y), xs.map((v) => v * Math.tanh(Math.log1p(Math.exp(v)))), 1e-14);
    expect(parameterCount(Mish.init())).toBe(0);
  });

  it(`gradient matches central differences (seed ${SEED})`, () => {
    fc.assert(
      fc.property(rngSeed, (s) => {
        const rng = new Rng(s);
        checkGradients((_p: PyTree, x: Tensor) => mish(x), [], rng.normal([6], 0, 3), rng);
      }),
      params,
    );
  });
});

describe('SinusoidalPosEmb', () => {
  it('takes the known values at known steps (half sin, half cos)', () => {
    // dim 4: h = 2, frequencies exp(-log(10000) i / (h - 1)) = [1, 1e-4].
    const y = SinusoidalPosEmb.apply({}, tensor([0, 1, 2.5]), 4);
    expect(y.shape).toEqual([3, 4]);
    const row = (t: number) => [Math.sin(t), Math.sin(1e-4 * t), Math.cos(t), Math.cos(1e-4 * t)];
    expectClose(data(y), [...row(0), ...row(1), ...row(2.5)], 1e-14);
    // dim 8: h = 4, frequencies 10000^(-i/3) = [1, 10^(-4/3), 10^(-8/3), 1e-4].
    const z = sinusoidalPosEmb(tensor([3]), 8);
    const f = [1, 10 ** (-4 / 3), 10 ** (-8 / 3), 1e-4];
    expectClose(data(z), [...f.map((w) => Math.sin(3 * w)), ...f.map((w) => Math.cos(3 * w))], 1e-13);
  });

  it('throws a ShapeError on a non-1-D input or an odd dim', () => {
    expect(() => sinusoidalPosEmb(tensor([[1, 2]]), 4)).toThrow(/SinusoidalPosEmb.*\[1, 2\]/);
    expect(() => sinusoidalPosEmb(tensor([1, 2]), 5)).toThrow(ShapeError);
  });

  it(`gradient with respect to the steps matches central differences (seed ${SEED})`, () => {
    fc.assert(
      fc.property(rngSeed, fc.integer({ min: 2, max: 4 }), (s, h) => {
        const rng = new Rng(s);
        checkGradients((_p: PyTree, t: Tensor) => sinusoidalPosEmb(t, 2 * h), [], rng.uniform([3], 0, 5), rng);
      }),
      params,
    );
  });
});

describe('MLP', () => {
  it('is Linear, activation, ..., Linear, output activation', () => {
    const rng = new Rng(11);
    const p = MLP.init(rng, [3, 5, 4, 2]);
    expect(p.map((l) => l.weight.shape)).toEqual([[5, 3], [4, 5], [2, 4]]);
    expect(parameterCount(p)).toBe(5 * 3 + 5 + 4 * 5 + 4 + 2 * 4 + 2);
    const x = rand(rng, [7, 3]);
    const out = boundedTanh([-2, 0], [2, 1]);
    const y = MLP.apply(p, x, { outputActivation: out });
    const manual = out(Linear.apply(p[2], relu(Linear.apply(p[1], relu(Linear.apply(p[0], x))))));
    expect(y.shape).toEqual([7, 2]);
    expectClose(data(y), data(manual));
  });

  it('keeps a bounded tanh output inside the control box', () => {
    const p = MLP.init(new Rng(2), [2, 256, 256, 1]);
    expect(parameterCount(p)).toBe(2 * 256 + 256 + 256 * 256 + 256 + 256 + 1);
    const y = data(MLP.apply(p, new Rng(3).normal([50, 2], 0, 100), { outputActivation: boundedTanh(-25, 25) }));
    expect(y.every((v) => v >= -25 && v <= 25)).toBe(true);
  });

  it('names the failing layer in a ShapeError', () => {
    const p = MLP.init(new Rng(1), [3, 4, 2]);
    expect(() => MLP.apply(p, tensor([[1, 2]]))).toThrow(/MLP layer 0/);
  });

  it(`gradients match central differences (seed ${SEED})`, () => {
    fc.assert(
      fc.property(rngSeed, fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 2, maxLength: 4 }), (s, sizes) => {
        const rng = new Rng(s);
        const f = (p: ReturnType<typeof MLP.init>, x: Tensor) => MLP.apply(p, x, { activation: tanh, outputActivation: boundedTanh(-2, 3) });
        checkGradients(f, MLP.init(rng, sizes), rand(rng, [2, sizes[0]]), rng);
      }),
      params,
    );
  });
});

describe('parameter utilities', () => {
  it('parameterCount, castTree and namedLeaves walk the tree in flatten order', () => {
    const rng = new Rng(1);
    const tree = { enc: [Linear.init(rng, 3, 4)], norm: GroupNorm.init(null, 4) };
    expect(parameterCount(tree)).toBe(12 + 4 + 4 + 4);
    const t32 = castTree(tree, 'float32');
    expect(flatten(t32)[0].every((l) => l.dtype === 'float32')).toBe(true);
    expect(namedLeaves(tree).map(([p]) => p)).toEqual(['enc[0].bias', 'enc[0].weight', 'norm.bias', 'norm.weight']);
    expect(namedLeaves(tree).map(([, l]) => l)).toEqual(flatten(tree)[0]);
  });

  it('castTree is differentiable: float64 master weights get gradients through a float32 forward', () => {
    const p = Linear.init(new Rng(4), 3, 2);
    const x = rand(new Rng(5), [4, 3]);
    const g32 = grad((pp: typeof p) => sum(Linear.apply(castTree(pp, 'float32'), castTree(x, 'float32'))))(p);
    const g64 = grad((pp: typeof p) => sum(Linear.apply(pp, x)))(p);
    expect(g32.weight.dtype).toBe('float64');
    expectClose(data(g32.weight), data(g64.weight), 1e-6);
  });
});

describe('nested differentiation through layers (the Sobolev term)', () => {
  it(`grad of a loss containing a JVP of a Conv1d-GroupNorm-Mish-Linear net matches central differences (seed ${SEED})`, () => {
    fc.assert(
      fc.property(rngSeed, (s) => {
        const rng = new Rng(s);
        const p = { conv: Conv1d.init(rng, 2, 4, 3), norm: { weight: rand(rng, [4]), bias: rand(rng, [4]) }, head: Linear.init(rng, 5, 2) };
        type P = typeof p;
        const net = (pp: P, x: Tensor) => Linear.apply(pp.head, mish(GroupNorm.apply(pp.norm, Conv1d.apply(pp.conv, x, { padding: 1 }), { groups: 2 })));
        const x0 = rand(rng, [2, 2, 5]);
        const w = rand(rng, [2, 2, 5]);
        // || J_x net(p, x0) w ||^2, a function of p and x0 whose derivative needs reverse over forward.
        const sobolev = (pp: P, x: Tensor) => sum(square(jvp((xx: Tensor) => net(pp, xx), [x], [w])[1]));
        checkGradients(sobolev, p, x0, rng);
      }),
      { seed: SEED, numRuns: 4 },
    );
  });
});

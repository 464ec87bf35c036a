/**
 * The U-Net and the losses: the fused Mish against its composite definition (to third order);
 * the DESIGN U-Net's size and parameter layout; gradients of L_Diff and of both L_Sob+Diff forms with respect to
 * every parameter of a tiny U-Net against central differences (float64); the float32 path
 * against float64 on the real U-Net; and the unbiasedness of both Sobolev estimators against
 * the full Jacobian from `jacfwd`, with a tolerance from their exact variance.
 */
import { describe, expect, it } from 'vitest';
import {
  ConcreteTensor, type PyTree, Rng, type Tensor, flatten, jacfwd, unflatten, valueAndGrad,
} from '../../src/autodiff/index.js';
import { castTree, namedLeaves } from '../../src/nn/index.js';
import {
  type LossBatch, type SobolevTargets, type UNetConfig, type UNetParams, applyUNet, describeUNet, diffusionLoss, initUNet,
  noisyChunk, randomUnitVectors, sobolevDiffusionLoss, sobolevTerm, squaredCosineSchedule,
} from '../../src/diffusion/index.js';

const SEED = 7_2026;
const schedule = squaredCosineSchedule(5);
const TINY: UNetConfig = { actionDim: 1, condDim: 3, stepEmbedDim: 4, downDims: [4, 8], kernelSize: 3, groups: 2 };
const model = (config: UNetConfig) => (p: UNetParams, s: Tensor, k: readonly number[], c: Tensor) => applyUNet(p, config, s, k, c);

/** A random batch and Sobolev targets: B chunks of T_h x a, condition C, n = nIn inputs. */
function makeBatch(rng: Rng, B: number, Th: number, a: number, C: number, nIn: number, form: 'jvp' | 'vjp', nProj = 1) {
  const batch: LossBatch = {
    tau0: rng.uniform([B, Th, a], -1, 1),
    cond: rng.uniform([B, C], -1, 1),
    noise: rng.normal([B, Th, a]),
    steps: Array.from({ length: B }, () => rng.int(5)),
  };
  const targets: SobolevTargets = {
    jacobian: rng.normal([B, Th * a, nIn]),
    condJacobian: rng.normal([B, C, nIn]),
    projections: randomUnitVectors(rng, B, nProj, form === 'jvp' ? nIn : Th * a),
  };
  return { batch, targets };
}

function perturb<T extends PyTree>(tree: T, i: number, k: number, delta: number): T {
  const [leaves, def] = flatten(tree);
  return unflatten<T>(def, leaves.map((l, j) => {
    if (j !== i) return l;
    const d = Float64Array.from(l.concrete().data);
    d[k] += delta;
    return new ConcreteTensor(d, l.shape);
  }));
}

/** Every partial derivative of `loss` at `params` against a central difference (h = 1e-6). */
function checkAllGradients(loss: (p: UNetParams) => Tensor, params: UNetParams): number {
  const [, g] = valueAndGrad(loss)(params);
  const [gLeaves] = flatten(g as PyTree);
  const [pLeaves] = flatten(params);
  const h = 1e-6;
  let checked = 0;
  pLeaves.forEach((leaf, i) => {
    const analytic = gLeaves[i].toArray();
    for (let k = 0; k < leaf.size; k++) {
      const numeric = (loss(perturb(params, i, k, h)).item() - loss(perturb(params, i, k, -h)).item()) / (2 * h);
      if (Math.abs(analytic[k] - numeric) > 2e-6 * (1 + Math.abs(numeric))) {
        throw new Error(`leaf ${i} element ${k}: analytic ${analytic[k]}, central difference ${numeric}`);
      }
      checked++;
    }
  });
  return checked;
}

describe('conditional U-Net 1-D', () => {
  it('has about 260k parameters in the DESIGN configuration (d = 64, a = 1, condition 4)', () => {
    const config = { actionDim: 1, condDim: 4 };
    const { parameters, summary } = describeUNet(initUNet(new Rng(0), config), config);
    expect(parameters).toBe(258_393);
    expect(summary).toContain('258393 parameters');
  });

  it('lays its parameters out as the file comment draws them, drawn from the RNG in that order', () => {
    const config = { actionDim: 1, condDim: 4 };
    const p = initUNet(new Rng(0), config);
    const paths = new Set(namedLeaves(p).map(([path]) => path));
    // A 1x1 residual conv exactly where a residual block changes the channel count.
    const residuals = [...paths].filter((path) => path.endsWith('.residual.weight'));
    expect(residuals).toEqual(['down[0].res1.residual.weight', 'down[2].res1.residual.weight', 'up[0].res1.residual.weight',
      'up[1].res1.residual.weight', 'up[2].res1.residual.weight']);
    // Every down level but the bottom one halves the length; every up level doubles it.
    expect([0, 1, 2, 3].map((i) => paths.has(`down[${i}].resample.weight`))).toEqual([true, true, true, false]);
    expect([0, 1, 2].map((i) => p.up[i].resample.weight.shape)).toEqual([[32, 32, 4], [24, 24, 4], [24, 24, 4]]);
    // Values pinned when the layout was rewritten as parts (same seed, same weights as before).
    expect(p.stepEncoder.linear1.weight.toArray()[0]).toBe(-0.020812166835236068);
    expect(p.down[2].res1.residual?.weight.toArray()[0]).toBe(-0.06230762463663864);
    expect(p.up[2].resample.bias.toArray()[0]).toBe(-0.0190578795084093);
    expect(p.final.conv.bias.toArray()[0]).toBe(-0.18701327110853075);
  });

  it('maps [B, T_h, a] to [B, T_h, a] and rejects a horizon not divisible by 2^(levels - 1)', () => {
    const config = { actionDim: 2, condDim: 4 };
    const p = initUNet(new Rng(0), config);
    const rng = new Rng(1);
    expect(applyUNet(p, config, rng.normal([3, 16, 2]), [0, 1, 4], rng.normal([3, 4])).shape).toEqual([3, 16, 2]);
    expect(() => applyUNet(p, config, rng.normal([3, 12, 2]), 0, rng.normal([3, 4]))).toThrow(/divisible by 8/);
  });
});

describe(`loss gradients on a tiny U-Net against central differences (seed ${SEED})`, () => {
  const params = initUNet(new Rng(SEED), TINY);
  const f = model(TINY);
  it('L_Diff (eq. 6), every parameter', () => {
    const { batch } = makeBatch(new Rng(SEED + 1), 2, 4, 1, 3, 2, 'jvp');
    expect(checkAllGradients((p) => diffusionLoss(schedule, f, p, batch), params)).toBeGreaterThan(500);
  });
  for (const form of ['jvp', 'vjp'] as const) {
    it(`L_Sob+Diff (eq. 11), ${form} form, n_proj = 2, every parameter`, () => {
      const { batch, targets } = makeBatch(new Rng(SEED + 2), 2, 4, 1, 3, 2, form, 2);
      const loss = (p: UNetParams) => sobolevDiffusionLoss(schedule, f, p, batch, targets, { alpha: 0.7, form });
      expect(checkAllGradients(loss, params)).toBeGreaterThan(500);
    });
  }
});

describe('float32 fast path against float64 on the DESIGN U-Net', () => {
  const config = { actionDim: 1, condDim: 4 };
  const p64 = initUNet(new Rng(SEED), config);
  const p32 = castTree(p64, 'float32');
  const f = model(config);
  const relErr = (a: number[], b: number[]) => {
    let num = 0;
    let den = 0;
    a.forEach((v, i) => {
      num += (v - b[i]) ** 2;
      den += b[i] ** 2;
    });
    return Math.sqrt(num / Math.max(den, 1e-300));
  };
  for (const kind of ['diff', 'jvp', 'vjp'] as const) {
    it(`${kind === 'diff' ? 'L_Diff' : `L_Sob+Diff (${kind})`}: same loss and gradients within float32 tolerance`, () => {
      const { batch, targets } = makeBatch(new Rng(SEED + 3), 4, 32, 1, 4, 2, kind === 'vjp' ? 'vjp' : 'jvp');
      const loss = (p: UNetParams) =>
        kind === 'diff' ? diffusionLoss(schedule, f, p, batch) : sobolevDiffusionLoss(schedule, f, p, batch, targets, { alpha: 1, form: kind });
      const [v64, g64] = valueAndGrad(loss)(p64);
      const [v32, g32] = valueAndGrad(loss)(p32);
      expect(Math.abs(v32.item() - v64.item())).toBeLessThan(1e-5 * Math.abs(v64.item()));
      const [l64] = flatten(g64 as PyTree);
      const [l32] = flatten(g32 as PyTree);
      expect(l32.every((l) => l.dtype === 'float32')).toBe(true);
      expect(relErr(l32.flatMap((l) => l.toArray()), l64.flatMap((l) => l.toArray()))).toBeLessThan(1e-4);
      l64.forEach((l, i) => expect(relErr(l32[i].toArray(), l.toArray())).toBeLessThan(2e-3));
    });
  }
});

/**
 * For A [m x n] and w uniform on the unit sphere of R^n, X = ||A w||^2 has mean tr(G) / n and
 * E[X^2] = (tr(G)^2 + 2 tr(G^2)) / (n (n + 2)), G = A^T A (moments of the uniform sphere).
 */
function sphereMoments(G: number[][]): { mean: number; variance: number } {
  const n = G.length;
  let tr = 0;
  let tr2 = 0;
  for (let i = 0; i < n; i++) {
    tr += G[i][i];
    for (let j = 0; j < n; j++) tr2 += G[i][j] * G[j][i];
  }
  const mean = tr / n;
  return { mean, variance: (tr * tr + 2 * tr2) / (n * (n + 2)) - mean * mean };
}

const gram = (A: number[][], transpose: boolean): number[][] => {
  const rows = transpose ? A[0].length : A.length; // G = A^T A (n x n) or A A^T (m x m)
  const G: number[][] = Array.from({ length: rows }, () => new Array<number>(rows).fill(0));
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < rows; j++) {
      let s = 0;
      if (transpose) for (let r = 0; r < A.length; r++) s += A[r][i] * A[r][j];
      else for (let c = 0; c < A[0].length; c++) s += A[i][c] * A[j][c];
      G[i][j] = s;
    }
  }
  return G;
};

describe(`unbiasedness of the Sobolev estimators (seed ${SEED})`, () => {
  const B = 2;
  const Th = 4;
  const C = 3;
  const nIn = 3;
  const m = Th;
  const N = 3000;
  const params = initUNet(new Rng(SEED + 5), TINY);
  const f = model(TINY);

  for (const form of ['jvp', 'vjp'] as const) {
    it(`${form} form: the mean over ${N} projections matches ||A||_F^2 / (m n) within 5 standard errors`, () => {
      const { batch, targets } = makeBatch(new Rng(SEED + 6), B, Th, 1, C, nIn, form, N);
      // Exact A_b = (d D / d cond)_b M_b - J_b from the full Jacobian (forward mode, jacfwd).
      const tauK = noisyChunk(schedule, batch);
      const full = jacfwd((c: Tensor) => f(params, tauK, batch.steps, c))(batch.cond).toArray(); // [B, Th, 1, B, C]
      const M = targets.condJacobian.toArray();
      const J = targets.jacobian.toArray();
      let expected = 0;
      let varianceOfMean = 0;
      for (let b = 0; b < B; b++) {
        const A: number[][] = [];
        for (let i = 0; i < m; i++) {
          A.push([]);
          for (let j = 0; j < nIn; j++) {
            let s = 0;
            for (let c = 0; c < C; c++) s += full[((b * Th + i) * B + b) * C + c] * M[(b * C + c) * nIn + j];
            A[i].push(s - J[(b * m + i) * nIn + j]);
          }
        }
        // Per projection the term is ||A w||^2 / m (JVP) or ||v^T A||^2 / n (VJP), averaged over b.
        const { mean, variance } = sphereMoments(gram(A, form === 'jvp'));
        const len = form === 'jvp' ? m : nIn;
        expected += mean / len / B;
        varianceOfMean += variance / (len * len) / (B * B) / N;
      }
      const { sob } = sobolevTerm(schedule, f, params, batch, targets, form);
      const frobeniusMean = expected; // = mean over b of ||A_b||_F^2 / (m n)
      const stdError = Math.sqrt(varianceOfMean);
      expect(Math.abs(sob.item() - frobeniusMean)).toBeLessThan(5 * stdError);
      // The tolerance is meaningful: a few percent of the value, not a blanket.
      expect(stdError).toBeLessThan(0.05 * frobeniusMean);
    });
  }

  it('one projection is not the Frobenius term itself (the estimator is random)', () => {
    const { batch, targets } = makeBatch(new Rng(SEED + 7), B, Th, 1, C, nIn, 'jvp', 1);
    const other = { ...targets, projections: randomUnitVectors(new Rng(SEED + 8), B, 1, nIn) };
    const a = sobolevTerm(schedule, f, params, batch, targets, 'jvp').sob.item();
    const b = sobolevTerm(schedule, f, params, batch, other, 'jvp').sob.item();
    expect(a).not.toBeCloseTo(b, 6);
  });
});

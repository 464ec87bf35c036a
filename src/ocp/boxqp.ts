/**
 * The box-constrained QP of box-DDP (Tassa, Mansard & Todorov 2014, "Control-limited
 * differential dynamic programming", Algorithm 1):
 *
 *   minimize  1/2 du^T H du + g^T du   subject to  lower <= du <= upper
 *
 * solved by projected Newton: at each iteration the *clamped* set holds the components
 * sitting on a bound with the gradient pushing outward; the Newton step is taken on the
 * free components only (eq. 6), followed by a projected Armijo line search. Warm-started
 * from the previous iteration's feed-forward term, it usually finishes in one or two
 * Newton steps. On exit the Cholesky factor of the free block H_ff is kept: the feedback
 * gain of the free rows is K_f = -H_ff^{-1} Q_ux,f, clamped rows get K_c = 0 (eq. 7), since
 * a control held at its bound does not respond to a small state change.
 *
 * Allocation-free: one workspace per control dimension, Matrix views of every free-block
 * size carved out of one buffer.
 */
import { type Matrix, matrixView, tryCholeskyInPlace } from '../linalg/index.js';

export type BoxQpStatus = 'ok' | 'notPositiveDefinite' | 'maxIterations' | 'nonFinite';

export class BoxQpWorkspace {
  readonly n: number;
  /** Solution. */
  readonly x: Float64Array;
  /** 1 where the component is free at the solution, 0 where clamped. */
  readonly free: Uint8Array;
  /** Number of free components and their indices (first nFree entries). */
  nFree = 0;
  readonly freeIndex: Int32Array;
  /** Cholesky factor of H_ff (size nFree), valid after a successful solve. */
  factor: Matrix;
  iterations = 0;
  private readonly factors: Matrix[];
  /** Scratch. */
  readonly grad: Float64Array;
  readonly dir: Float64Array;
  readonly trial: Float64Array;
  readonly rhs: Float64Array;
  readonly oldFree: Uint8Array;

  constructor(n: number) {
    this.n = n;
    this.x = new Float64Array(n);
    this.free = new Uint8Array(n);
    this.freeIndex = new Int32Array(n);
    const buffer = new Float64Array(n * n);
    this.factors = [];
    for (let m = 0; m <= n; m++) this.factors.push(matrixView(buffer, 0, m, m));
    this.factor = this.factors[0]!;
    this.grad = new Float64Array(n);
    this.dir = new Float64Array(n);
    this.trial = new Float64Array(n);
    this.rhs = new Float64Array(n);
    this.oldFree = new Uint8Array(n);
  }

  /** Factor H_ff for the current free set into `factor`; false if not positive definite. */
  factorFree(H: Float64Array): boolean {
    const n = this.n;
    const m = this.nFree;
    const F = this.factors[m]!;
    const f = F.data;
    const idx = this.freeIndex;
    for (let a = 0; a < m; a++) {
      const ra = idx[a]! * n;
      for (let b = 0; b < m; b++) f[a * m + b] = H[ra + idx[b]!]!;
    }
    this.factor = F;
    return tryCholeskyInPlace(F) < 0;
  }

  /** Solve the free block: y_f = H_ff^{-1} r_f for a packed right-hand side (length nFree). */
  solvePacked(r: Float64Array): void {
    const m = this.nFree;
    const l = this.factor.data;
    for (let i = 0; i < m; i++) {
      let s = r[i]!;
      for (let j = 0; j < i; j++) s -= l[i * m + j]! * r[j]!;
      r[i] = s / l[i * m + i]!;
    }
    for (let i = m - 1; i >= 0; i--) {
      const v = r[i]! / l[i * m + i]!;
      r[i] = v;
      for (let j = 0; j < i; j++) r[j] -= l[i * m + j]! * v;
    }
  }
}

function qpValue(H: Float64Array, g: Float64Array, x: Float64Array, n: number): number {
  let v = 0;
  for (let i = 0; i < n; i++) {
    let hx = 0;
    for (let j = 0; j < n; j++) hx += H[i * n + j]! * x[j]!;
    v += x[i]! * (0.5 * hx + g[i]!);
  }
  return v;
}

export interface BoxQpOptions {
  maxIterations: number;
  /** Stop when the free gradient's norm falls below this. */
  gradientTolerance: number;
  /** Stop when the relative improvement of one step falls below this. */
  improvementTolerance: number;
  armijo: number;
  stepDecrease: number;
  minStep: number;
}

export const defaultBoxQpOptions: BoxQpOptions = {
  maxIterations: 100,
  gradientTolerance: 1e-13,
  improvementTolerance: 1e-15,
  armijo: 0.1,
  stepDecrease: 0.6,
  minStep: 1e-22,
};

/**
 * Projected Newton on the box. `H` is n x n row-major and symmetric (regularized by the
 * caller), `x0` the warm start. Writes the solution, the free set and the factor of H_ff
 * into `ws`. 'maxIterations' still leaves a usable (feasible, improved) point.
 */
export function solveBoxQp(
  ws: BoxQpWorkspace,
  H: Float64Array,
  g: Float64Array,
  lower: Float64Array,
  upper: Float64Array,
  x0: Float64Array,
  opt: BoxQpOptions = defaultBoxQpOptions,
): BoxQpStatus {
  const n = ws.n;
  const { x, free, grad, dir, trial, rhs, oldFree, freeIndex } = ws;
  for (let i = 0; i < n; i++) {
    const v = x0[i]!;
    x[i] = v < lower[i]! ? lower[i]! : v > upper[i]! ? upper[i]! : v;
    oldFree[i] = 2; // forces a factorization on the first pass
  }
  let value = qpValue(H, g, x, n);
  ws.iterations = 0;
  let factored = false;
  let fullStep = false;
  let gScale = 0;
  for (let i = 0; i < n; i++) gScale = Math.max(gScale, Math.abs(g[i]!));
  for (let iter = 0; iter < opt.maxIterations; iter++) {
    ws.iterations = iter + 1;
    if (!Number.isFinite(value)) return 'nonFinite';
    // Gradient and clamped set (Tassa 2014, eq. 5).
    let m = 0;
    let changed = false;
    for (let i = 0; i < n; i++) {
      let s = g[i]!;
      for (let j = 0; j < n; j++) s += H[i * n + j]! * x[j]!;
      grad[i] = s;
      const clamped = (x[i] === lower[i] && s > 0) || (x[i] === upper[i] && s < 0);
      free[i] = clamped ? 0 : 1;
      if (!clamped) freeIndex[m++] = i;
      if (free[i] !== oldFree[i]) changed = true;
      oldFree[i] = free[i]!;
    }
    ws.nFree = m;
    if (changed || !factored) {
      if (!ws.factorFree(H)) return 'notPositiveDefinite';
      factored = true;
    }
    if (m === 0) return 'ok';
    // A full Newton step that kept the free set lands on the minimizer of that face.
    if (fullStep && !changed) return 'ok';
    let gnorm = 0;
    for (let a = 0; a < m; a++) gnorm += grad[freeIndex[a]!]! ** 2;
    if (Math.sqrt(gnorm) <= opt.gradientTolerance * (1 + gScale)) return 'ok';
    // Newton direction on the free set with the clamped components held (eq. 6):
    // x_f* = -H_ff^{-1} (g_f + H_fc x_c), dir = x* - x on free, 0 on clamped.
    for (let a = 0; a < m; a++) {
      const i = freeIndex[a]!;
      let s = g[i]!;
      for (let j = 0; j < n; j++) if (free[j] === 0) s += H[i * n + j]! * x[j]!;
      rhs[a] = -s;
    }
    ws.solvePacked(rhs);
    dir.fill(0);
    let dirGrad = 0;
    for (let a = 0; a < m; a++) {
      const i = freeIndex[a]!;
      dir[i] = rhs[a]! - x[i]!;
      dirGrad += dir[i]! * grad[i]!;
    }
    if (dirGrad >= 0) return 'ok'; // no descent left: numerically stationary
    // Projected Armijo search.
    let step = 1;
    let accepted = false;
    let trialValue = value;
    while (step > opt.minStep) {
      let lin = 0;
      for (let i = 0; i < n; i++) {
        const v = x[i]! + step * dir[i]!;
        trial[i] = v < lower[i]! ? lower[i]! : v > upper[i]! ? upper[i]! : v;
        lin += grad[i]! * (trial[i]! - x[i]!);
      }
      trialValue = qpValue(H, g, trial, n);
      if (trialValue - value <= opt.armijo * lin) {
        accepted = true;
        break;
      }
      step *= opt.stepDecrease;
    }
    if (!accepted) return 'ok';
    x.set(trial);
    fullStep = step === 1;
    const improvement = value - trialValue;
    value = trialValue;
    // Negligible progress: one more pass refreshes the clamped set and the factor, then stop.
    if (improvement <= opt.improvementTolerance * (1 + Math.abs(value))) fullStep = true;
  }
  return 'maxIterations';
}

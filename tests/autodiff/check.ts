/**
 * Shared helpers of the autodiff property tests: derivative checkers, value generators and
 * fast-check arbitraries for shapes.
 *
 * ## Tolerances (why 1e-6)
 *
 * Every derivative is checked against a central difference in float64,
 *
 *     D_h f(x)[t] = (f(x + h t) - f(x - h t)) / (2 h),   h = H * max(1, |x|_inf) / |t|_inf,
 *
 * with H = 1e-5, so the displacement of any coordinate is at most 1e-5 relative to the
 * input's scale. Its error has two parts:
 *
 *   - truncation, (h^2 / 6) f'''(x)[t, t, t]: about 1.7e-11 * |f'''| (in units of the scales);
 *   - rounding, about eps * |f(x)| / h with eps = 2.2e-16: about 2.2e-11 * |f(x)|.
 *
 * So for the functions tested here (values and third derivatives of order 1 to 1e3) the
 * difference is accurate to about 1e-8 or better. We accept
 *
 *     |ad - fd| <= FD_TOL * (scale + |fd|)     elementwise, FD_TOL = 1e-6,
 *
 * where `scale` = max(1, |f(x)|_inf, |ad|_inf) carries the rounding term, which grows with
 * the size of the function's values, not of its derivative. This leaves a margin of about
 * 100x over the error estimate, while a wrong rule (a missing factor, a wrong sign, a term
 * dropped, a transposed operand) produces errors of order 1 relative to the scale and fails
 * by many orders of magnitude. `checker catches wrong rules` tests in primitives.test.ts
 * confirm that each checker rejects a deliberately broken primitive.
 *
 * Second derivatives are checked the same way, by central differences of the first
 * derivative (itself computed by AD, so exact up to rounding): same error analysis, same
 * tolerance.
 *
 * Identities that hold exactly in real arithmetic and differ only by rounding in floating
 * point (the adjoint identity <w, J v> = <J^T w, v>, symmetry of a Hessian, two ways of
 * computing the same Jacobian) use EXACT_TOL = 1e-10 relative to the sum of |terms|, i.e.
 * about 5e5 ulps: the computations go through a few dozen roundings each on tensors of at
 * most a few hundred elements. (A wrong rule moves these by O(1) relative to the terms.)
 */
import fc from 'fast-check';
import { ConcreteTensor, type PyTree, Rng, type Tensor, add, flatten, grad, jvp, mul, sum, unflatten, vjp } from '../../src/autodiff/index.js';

export const H = 1e-5;
export const FD_TOL = 1e-6;
export const EXACT_TOL = 1e-10;
/**
 * float32 has eps = 1.19e-7. Ops here combine at most a few dozen terms, each rounded, so a
 * float32 result differs from float64 by a few times n * eps relative to the magnitude of
 * the terms; 2e-5 of the output's scale (about 170 ulps) bounds that for the tested sizes.
 */
export const F32_TOL = 2e-5;

export type Fn = (...xs: Tensor[]) => Tensor;

// ---------------------------------------------------------------------------------------
// Values

export function data(t: Tensor): Float64Array {
  return Float64Array.from(t.concrete().data);
}

export function leaves(tree: PyTree): Tensor[] {
  return flatten(tree)[0];
}

function infNorm(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}

function concat(arrays: ArrayLike<number>[]): Float64Array {
  const out = new Float64Array(arrays.reduce((n, a) => n + a.length, 0));
  let o = 0;
  for (const a of arrays) {
    out.set(Array.from(a), o);
    o += a.length;
  }
  return out;
}

/** All the numbers of a pytree of tensors, leaves in flatten order, as one array. */
export function flat(tree: PyTree): Float64Array {
  return concat(leaves(tree).map(data));
}

export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`dot: lengths ${a.length} and ${b.length} differ`);
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

function norm2(a: ArrayLike<number>): number {
  return Math.sqrt(dot(a, a));
}

function absDot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i] * b[i]);
  return s;
}

/** x + h t, leafwise, in x's dtype. */
export function axpy(x: Tensor, h: number, t: Tensor): ConcreteTensor {
  const xd = x.concrete().data;
  const td = t.concrete().data;
  const out = new (xd.constructor as Float64ArrayConstructor)(xd.length);
  for (let i = 0; i < xd.length; i++) out[i] = xd[i] + h * td[i];
  return new ConcreteTensor(out, x.shape);
}

/**
 * Elementwise |actual - expected| <= tol * (scale + |expected|), with scale = max(1, given
 * scale, |actual|_inf, |expected|_inf). Throws an Error that says what, where and how much.
 */
export function assertClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tol: number,
  what: string,
  scale = 1,
): void {
  if (actual.length !== expected.length) {
    throw new Error(`${what}: ${actual.length} values, expected ${expected.length}`);
  }
  const s = Math.max(1, scale, infNorm(actual), infNorm(expected));
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i];
    const e = expected[i];
    if (!Number.isFinite(a) || !Number.isFinite(e) || Math.abs(a - e) > tol * (s + Math.abs(e))) {
      throw new Error(
        `${what}: element ${i} is ${a}, expected ${e} (|diff| ${Math.abs(a - e).toExponential(2)}, ` +
          `allowed ${(tol * (s + Math.abs(e))).toExponential(2)})`,
      );
    }
  }
}

/** Two numbers that are equal in real arithmetic: |a - b| <= EXACT_TOL * termScale. */
export function assertIdentity(a: number, b: number, termScale: number, what: string, tol = EXACT_TOL): void {
  if (!Number.isFinite(a) || !Number.isFinite(b) || Math.abs(a - b) > tol * Math.max(termScale, 1e-300)) {
    throw new Error(`${what}: ${a} vs ${b} (|diff| ${Math.abs(a - b).toExponential(2)}, scale ${termScale.toExponential(2)})`);
  }
}

// ---------------------------------------------------------------------------------------
// Finite differences

/** The step for a central difference at xs along ts (see the header). */
export function stepFor(xs: Tensor[], ts: Tensor[]): number {
  const xScale = Math.max(1, ...xs.map((x) => infNorm(x.concrete().data)));
  const tScale = Math.max(...ts.map((t) => infNorm(t.concrete().data)));
  return tScale === 0 ? H : (H * xScale) / tScale;
}

/**
 * Central difference of `F` (any pytree-valued function of a list of tensors) at xs along ts:
 * (F(xs + h ts) - F(xs - h ts)) / (2h), flattened. Also returns |F(xs)|_inf for the tolerance.
 */
export function centralDifference(F: (xs: Tensor[]) => PyTree, xs: Tensor[], ts: Tensor[]): { fd: Float64Array; scale: number } {
  const h = stepFor(xs, ts);
  const plus = flat(F(xs.map((x, i) => axpy(x, h, ts[i]))));
  const minus = flat(F(xs.map((x, i) => axpy(x, -h, ts[i]))));
  const fd = new Float64Array(plus.length);
  for (let i = 0; i < fd.length; i++) fd[i] = (plus[i] - minus[i]) / (2 * h);
  return { fd, scale: Math.max(infNorm(plus), infNorm(minus)) };
}

/** Random tangents (or cotangents) shaped like `xs`, standard normal. */
export function randomLike(rng: Rng, xs: Tensor[]): ConcreteTensor[] {
  return xs.map((x) => rng.normal(x.shape, 0, 1, x.dtype));
}

// ---------------------------------------------------------------------------------------
// Checkers. Each throws an Error on failure (so it can run inside fc.assert) and returns
// nothing on success.

/** J t from `jvp` against the central difference of f along t, for random tangents t. */
export function checkJvpAgainstFiniteDifferences(f: Fn, xs: Tensor[], rng: Rng, what = 'jvp'): void {
  const ts = randomLike(rng, xs);
  const [y, ty] = jvp(f, xs, ts);
  if (ty.shape.join() !== y.shape.join()) throw new Error(`${what}: tangent shape [${ty.shape}] vs output [${y.shape}]`);
  const { fd, scale } = centralDifference((a) => f(...a), xs, ts);
  assertClose(data(ty), fd, FD_TOL, `${what}: J t vs central difference`, scale);
  // The primal returned by jvp is f(x).
  assertClose(data(y), data(f(...xs)), EXACT_TOL, `${what}: primal output`);
}

/**
 * The adjoint identity <w, J v> = <J^T w, v> between forward and reverse mode, for random v
 * and w; also checks the cotangents have the inputs' shapes.
 */
export function checkAdjoint(f: Fn, xs: Tensor[], rng: Rng, what = 'adjoint', tol = EXACT_TOL): void {
  const vs = randomLike(rng, xs);
  const [y, jv] = jvp(f, xs, vs);
  const [y2, pullback] = vjp(f, ...xs);
  assertClose(data(y2), data(y), tol, `${what}: vjp primal`);
  const w = rng.normal(y.shape, 0, 1, y.dtype);
  const jtw = pullback(w);
  jtw.forEach((g, i) => {
    if (g.shape.join() !== xs[i].shape.join()) {
      throw new Error(`${what}: cotangent ${i} has shape [${g.shape}], input has [${xs[i].shape}]`);
    }
  });
  const lhs = dot(data(w), data(jv));
  const vflat = concat(vs.map(data));
  const gflat = flat(jtw);
  const rhs = dot(gflat, vflat);
  // Rounding in J v and J^T w is relative to the terms summed inside them, which can cancel
  // to nothing (a variance of equal values, say); the floor |w| |v| * 1e-4 makes the allowed
  // difference at least 1e-14 |w| |v|, about 100 ulps of a Jacobian of unit norm.
  const termScale = absDot(data(w), data(jv)) + absDot(gflat, vflat) + 1e-4 * norm2(data(w)) * norm2(vflat);
  assertIdentity(lhs, rhs, termScale, `${what}: <w, J v> vs <J^T w, v>`, tol);
}

/**
 * Second derivatives of f through every nesting of the two modes, against central
 * differences of first derivatives. With g(x) = <w, f(x)> for a random w, and random v:
 *
 *   forward-over-reverse  jvp(grad g)(x)[v]                    = H_g v
 *   reverse-over-forward  grad(x -> <w, jvp(f)(x)[v]>)(x)       = H_g v
 *   reverse-over-reverse  grad(x -> <grad g(x), v>)(x)          = H_g v
 *   forward-over-forward  jvp(x -> jvp(f)(x)[v])(x)[v]          = f''(x)[v, v]
 *
 * the first three against the central difference of grad g along v, the last against that of
 * jvp(f)(.)[v] along v.
 */
export function checkSecondOrder(f: Fn, xs: Tensor[], rng: Rng, what = 'second order'): void {
  const y = f(...xs);
  const w = rng.normal(y.shape, 0, 1, y.dtype);
  const vs = randomLike(rng, xs);
  const g = (args: Tensor[]) => sum(mul(w, f(...args)));
  const gradG = (args: Tensor[]) => grad(g)(args);
  const { fd: hv, scale: gScale } = centralDifference(gradG, xs, vs);

  const [, fwdRev] = jvp((args: Tensor[]) => gradG(args), [xs], [vs]);
  assertClose(flat(fwdRev), hv, FD_TOL, `${what}: forward-over-reverse`, gScale);

  const revFwd = grad((args: Tensor[]) => sum(mul(w, jvp(f, args, vs)[1])))(xs);
  assertClose(flat(revFwd), hv, FD_TOL, `${what}: reverse-over-forward`, gScale);

  const revRev = grad((args: Tensor[]) => {
    const gs = gradG(args);
    return gs.map((gi, i) => sum(mul(gi, vs[i]))).reduce((a, b) => add(a, b));
  })(xs);
  assertClose(flat(revRev), hv, FD_TOL, `${what}: reverse-over-reverse`, gScale);

  const dir = (args: Tensor[]) => jvp(f, args, vs)[1];
  const { fd: fvv, scale: dScale } = centralDifference(dir, xs, vs);
  const [, fwdFwd] = jvp((...args: Tensor[]) => dir(args), xs, vs);
  assertClose(data(fwdFwd), fvv, FD_TOL, `${what}: forward-over-forward`, dScale);
}

/**
 * The gradient of a scalar function of a pytree against central differences in every
 * coordinate, one at a time (e_i scaled by the step rule above). Use for parameter trees
 * of up to a few hundred numbers.
 */
export function checkGradAgainstFiniteDifferences<T extends PyTree>(f: (p: T) => Tensor, p: T, what = 'grad'): void {
  const [ls, def] = flatten(p);
  const g = flat(grad(f)(p));
  const n = g.length;
  const fd = new Float64Array(n);
  let scale = 0;
  let offset = 0;
  ls.forEach((leaf, li) => {
    for (let j = 0; j < leaf.size; j++) {
      const dirs = ls.map((l, k) => {
        const d = new ConcreteTensor(new Float64Array(l.size), l.shape);
        if (k === li) d.data[j] = 1;
        return d;
      });
      const r = centralDifference((xs) => f(unflatten<T>(def, xs)), ls, dirs);
      fd[offset + j] = r.fd[0];
      scale = Math.max(scale, r.scale);
    }
    offset += leaf.size;
  });
  assertClose(g, fd, FD_TOL, `${what}: gradient vs central differences`, scale);
}

export interface CheckOptions {
  secondOrder?: boolean;
  /** Also check each input alone, the others held constant (exercises zero tangents and `needs`). */
  partials?: boolean;
}

/** All checks of one function at one point. */
export function checkAll(f: Fn, xs: Tensor[], rng: Rng, what: string, options: CheckOptions = {}): void {
  checkJvpAgainstFiniteDifferences(f, xs, rng, `${what}: jvp`);
  checkAdjoint(f, xs, rng, `${what}: adjoint`);
  if (options.partials !== false && xs.length > 1) {
    xs.forEach((_, i) => {
      const fi = (xi: Tensor) => f(...xs.map((x, j) => (j === i ? xi : x)));
      checkJvpAgainstFiniteDifferences(fi, [xs[i]], rng, `${what}: jvp in input ${i} alone`);
      checkAdjoint(fi, [xs[i]], rng, `${what}: adjoint in input ${i} alone`);
    });
  }
  if (options.secondOrder !== false) checkSecondOrder(f, xs, rng, `${what}: second order`);
}

// ---------------------------------------------------------------------------------------
// Value domains, each with its margin from the points where the tested function is not
// differentiable or not defined. The finite-difference step moves a coordinate by at most
// H * max(1, |x|_inf) <= 1e-4 for |x| <= 10, so a margin of 0.1 is never crossed, and
// derivatives (1/x, 1/sqrt(x), x^(b-1)) stay bounded by about 10 on the domain.

export type Domain =
  | 'real' // N(0, 1)
  | 'positive' // U(0.5, 2): log, sqrt, pow base, denominators
  | 'nonzero' // +-U(0.2, 2): relu and abs kinks at 0, division
  | 'small'; // U(-1, 1): exp of compositions stays moderate

export function values(rng: Rng, shape: readonly number[], domain: Domain = 'real'): ConcreteTensor {
  switch (domain) {
    case 'real':
      return rng.normal(shape);
    case 'positive':
      return rng.uniform(shape, 0.5, 2);
    case 'small':
      return rng.uniform(shape, -1, 1);
    case 'nonzero': {
      const u = rng.uniform(shape, 0.2, 2);
      const d = u.data;
      for (let i = 0; i < d.length; i++) if (rng.nextFloat() < 0.5) d[i] = -d[i];
      return u;
    }
  }
}

/**
 * Two value sets a, b (any broadcast-compatible shapes) whose elements differ by at least
 * 0.3 wherever they meet: a lies in n + [0.15, 0.35], b in n + [0.65, 0.85] for integers n
 * in [-2, 1]. Used for maximum and minimum, whose derivative jumps where a = b.
 */
export function separatedPair(rng: Rng, sa: readonly number[], sb: readonly number[]): [ConcreteTensor, ConcreteTensor] {
  const band = (shape: readonly number[], lo: number) => {
    const t = rng.uniform(shape, lo, lo + 0.2);
    const d = t.data;
    for (let i = 0; i < d.length; i++) d[i] += rng.int(4) - 2;
    return t;
  };
  return [band(sa, 0.15), band(sb, 0.65)];
}

/** A 0/1 mask. */
export function mask(rng: Rng, shape: readonly number[]): ConcreteTensor {
  const t = rng.uniform(shape);
  const d = t.data;
  for (let i = 0; i < d.length; i++) d[i] = d[i] < 0.5 ? 0 : 1;
  return t;
}

// ---------------------------------------------------------------------------------------
// fast-check arbitraries. fast-check draws the structure (shapes, options) and a seed; the
// numbers come from the engine's seeded Rng so that shrinking stays on the structure.

export const seedArb = fc.integer({ min: 0, max: 2 ** 31 - 1 });

export function shapeArb(minRank = 0, maxRank = 3, maxDim = 4): fc.Arbitrary<number[]> {
  return fc.array(fc.integer({ min: 1, max: maxDim }), { minLength: minRank, maxLength: maxRank });
}

/**
 * Two shapes that broadcast together, NumPy style: a common shape, then each operand keeps
 * a random suffix of it and turns random dimensions into 1.
 */
export function broadcastPairArb(maxRank = 3, maxDim = 4): fc.Arbitrary<[number[], number[]]> {
  return shapeArb(0, maxRank, maxDim).chain((full) => {
    const operand = fc
      .tuple(fc.integer({ min: 0, max: full.length }), fc.array(fc.boolean(), { minLength: full.length, maxLength: full.length }))
      .map(([drop, ones]) => full.map((d, i) => (ones[i] ? 1 : d)).slice(drop));
    return fc.tuple(operand, operand);
  });
}

/** n shapes that broadcast together (see broadcastPairArb). */
export function broadcastShapesArb(n: number, maxRank = 3, maxDim = 4): fc.Arbitrary<number[][]> {
  return shapeArb(0, maxRank, maxDim).chain((full) => {
    const operand = fc
      .tuple(fc.integer({ min: 0, max: full.length }), fc.array(fc.boolean(), { minLength: full.length, maxLength: full.length }))
      .map(([drop, ones]) => full.map((d, i) => (ones[i] ? 1 : d)).slice(drop));
    return fc.array(operand, { minLength: n, maxLength: n });
  });
}

/** The NumPy broadcast of two shapes (assumes they are compatible). */
export function broadcastShape(a: readonly number[], b: readonly number[]): number[] {
  const rank = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    out.push(Math.max(da, db));
  }
  return out;
}

export { Rng };

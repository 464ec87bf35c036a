/**
 * Dense row-major matrices and the allocation-free building blocks on them.
 *
 * Convention (used by every module of `src/linalg`):
 *
 * - A {@link Matrix} is a thin view `{ rows, cols, data }` over a `Float64Array` of
 *   exactly `rows * cols` entries, row-major: entry (i, j) is `data[i * cols + j]`.
 *   `data` may be a `subarray` of a larger buffer (see {@link matrixView}), so many small
 *   matrices of a Riccati sweep can live in one preallocated arena.
 * - Vectors are plain `Float64Array`s.
 * - Routines whose name does not say otherwise write into a caller-provided output that
 *   comes FIRST in the argument list (`mul(C, A, B)` means C = A B), allocate nothing,
 *   and check shapes with a few integer comparisons (cheap enough for hot loops).
 *   Outputs of products must not overlap their inputs (checked: {@link ShapeError}).
 * - `...Acc` variants accumulate: `mulAcc(C, A, B, alpha)` means C += alpha A B, the
 *   form the Riccati recursion uses (Q_xx = l_xx + f_x^T V_xx f_x, ...).
 * - Allocating conveniences (`matmul`, `transpose`, `clone`, ...) sit on top, for
 *   tests and cold code.
 *
 * The class is deliberately minimal: one hidden class for every matrix keeps V8's
 * property accesses monomorphic in the kernels, which read `data` directly.
 */
import { NonFiniteError, ShapeError } from './errors.js';

/** A row-major dense matrix view. Entry (i, j) is `data[i * cols + j]`. */
export class Matrix {
  readonly rows: number;
  readonly cols: number;
  readonly data: Float64Array;
  /**
   * Where `data` lives, cached at construction (the typed-array getters cost ~25 ns
   * each in V8, too much for a hot-loop aliasing check). Internal: used by {@link matricesOverlap}.
   */
  readonly memory: ArrayBufferLike;
  readonly byteStart: number;
  readonly byteEnd: number;

  /**
   * Wrap `data` (not copied) or allocate zeros. Throws {@link ShapeError} if the
   * dimensions are not non-negative integers or `data.length !== rows * cols`.
   */
  constructor(rows: number, cols: number, data?: Float64Array) {
    if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows < 0 || cols < 0) {
      throw new ShapeError('Matrix', `invalid dimensions ${rows}x${cols}`);
    }
    const d = data ?? new Float64Array(rows * cols);
    if (d.length !== rows * cols) {
      throw new ShapeError('Matrix', `data has length ${d.length}, expected ${rows}x${cols} = ${rows * cols}`);
    }
    this.rows = rows;
    this.cols = cols;
    this.data = d;
    this.memory = d.buffer;
    this.byteStart = d.byteOffset;
    this.byteEnd = d.byteOffset + d.byteLength;
  }

  get(i: number, j: number): number {
    return this.data[i * this.cols + j]!;
  }

  set(i: number, j: number, v: number): void {
    this.data[i * this.cols + j] = v;
  }

  /** Nested arrays, row by row (for tests and printing). */
  toArray(): number[][] {
    const out: number[][] = [];
    for (let i = 0; i < this.rows; i++) out.push(Array.from(this.data.subarray(i * this.cols, (i + 1) * this.cols)));
    return out;
  }

  toString(): string {
    return this.toArray()
      .map((r) => r.map((v) => v.toExponential(4).padStart(12)).join(' '))
      .join('\n');
  }
}

// ---------------------------------------------------------------------------
// Construction
// ---------------------------------------------------------------------------

/** A new rows x cols zero matrix. */
export function zeros(rows: number, cols: number = rows): Matrix {
  return new Matrix(rows, cols);
}

/** A new n x n identity. */
export function identity(n: number): Matrix {
  const I = new Matrix(n, n);
  for (let i = 0; i < n; i++) I.data[i * n + i] = 1;
  return I;
}

/** A new matrix from nested rows (all of the same length). */
export function fromRows(rows: readonly (readonly number[])[]): Matrix {
  const m = rows.length;
  const n = m === 0 ? 0 : rows[0]!.length;
  const A = new Matrix(m, n);
  for (let i = 0; i < m; i++) {
    const r = rows[i]!;
    if (r.length !== n) throw new ShapeError('fromRows', `row ${i} has length ${r.length}, expected ${n}`);
    for (let j = 0; j < n; j++) A.data[i * n + j] = r[j]!;
  }
  return A;
}

/** A new matrix from flat row-major values (copied). */
export function fromArray(rows: number, cols: number, values: ArrayLike<number>): Matrix {
  if (values.length !== rows * cols) {
    throw new ShapeError('fromArray', `${values.length} values for a ${rows}x${cols} matrix`);
  }
  return new Matrix(rows, cols, Float64Array.from(values));
}

/**
 * A matrix view on `buffer[offset .. offset + rows * cols)` (no copy): the way to carve
 * many small matrices out of one preallocated arena.
 */
export function matrixView(buffer: Float64Array, offset: number, rows: number, cols: number): Matrix {
  if (offset < 0 || offset + rows * cols > buffer.length) {
    throw new ShapeError('matrixView', `${rows}x${cols} view at offset ${offset} exceeds buffer of length ${buffer.length}`);
  }
  return new Matrix(rows, cols, buffer.subarray(offset, offset + rows * cols));
}

/** A new copy of A. */
export function clone(A: Matrix): Matrix {
  return new Matrix(A.rows, A.cols, A.data.slice());
}

// ---------------------------------------------------------------------------
// Checks shared by the modules (cheap: integer comparisons and one scan at most)
// ---------------------------------------------------------------------------

const shape = (M: Matrix): string => `${M.rows}x${M.cols}`;

/** Throw {@link ShapeError} unless A is square; returns n. */
export function assertSquare(routine: string, A: Matrix, name = 'A'): number {
  if (A.rows !== A.cols) throw new ShapeError(routine, `${name} must be square, got ${shape(A)}`);
  return A.rows;
}

/** Throw {@link ShapeError} unless M is rows x cols. */
export function assertShape(routine: string, M: Matrix, rows: number, cols: number, name = 'matrix'): void {
  if (M.rows !== rows || M.cols !== cols) {
    throw new ShapeError(routine, `${name} must be ${rows}x${cols}, got ${shape(M)}`);
  }
}

/** Throw {@link ShapeError} unless the vector has the given length. */
export function assertLength(routine: string, x: Float64Array, n: number, name = 'vector'): void {
  if (x.length !== n) throw new ShapeError(routine, `${name} must have length ${n}, got ${x.length}`);
}

/** True if the two arrays share memory (same buffer, intersecting byte ranges). */
export function overlaps(x: Float64Array, y: Float64Array): boolean {
  return (
    x.buffer === y.buffer &&
    x.length > 0 &&
    y.length > 0 &&
    x.byteOffset < y.byteOffset + y.byteLength &&
    y.byteOffset < x.byteOffset + x.byteLength
  );
}

/** True if two matrices share memory; cheap (cached fields only). */
export function matricesOverlap(X: Matrix, Y: Matrix): boolean {
  return X.memory === Y.memory && X.byteStart < Y.byteEnd && Y.byteStart < X.byteEnd;
}

/** Throw {@link ShapeError} if `out` overlaps `input` (products cannot work in place). */
export function assertNoOverlap(routine: string, out: Float64Array, input: Float64Array, names = 'output and input'): void {
  if (overlaps(out, input)) throw new ShapeError(routine, `${names} must not share memory`);
}

/** Throw {@link NonFiniteError} if any entry is NaN or ±Infinity (one O(size) scan). */
export function assertFinite(routine: string, x: Float64Array, name = 'input'): void {
  // x * 0 is 0 for finite x and NaN for NaN or ±Infinity, so one accumulator suffices.
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i]! * 0;
  if (s !== 0) {
    let k = 0;
    while (Number.isFinite(x[k]!)) k++;
    throw new NonFiniteError(routine, `${name} contains a non-finite value (${x[k]}) at flat index ${k}`);
  }
}

// ---------------------------------------------------------------------------
// Elementwise and structural operations (out may alias A unless noted)
// ---------------------------------------------------------------------------

/** dst = src (same shape). */
export function copyInto(dst: Matrix, src: Matrix): Matrix {
  assertShape('copyInto', dst, src.rows, src.cols, 'dst');
  dst.data.set(src.data);
  return dst;
}

/** A = I (A square). */
export function setIdentity(A: Matrix): Matrix {
  const n = assertSquare('setIdentity', A);
  A.data.fill(0);
  for (let i = 0; i < n; i++) A.data[i * n + i] = 1;
  return A;
}

/** out = A^T. `out` may be A itself only when A is square (in-place swap). */
export function transposeInto(out: Matrix, A: Matrix): Matrix {
  const m = A.rows;
  const n = A.cols;
  assertShape('transposeInto', out, n, m, 'out');
  const a = A.data;
  const o = out.data;
  if (o === a) {
    for (let i = 0; i < n; i++) {
      for (let j = i + 1; j < n; j++) {
        const t = a[i * n + j]!;
        a[i * n + j] = a[j * n + i]!;
        a[j * n + i] = t;
      }
    }
    return out;
  }
  assertNoOverlap('transposeInto', o, a);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) o[j * m + i] = a[i * n + j]!;
  return out;
}

/** out = (A + A^T) / 2. `out` may be A. Removes the asymmetry that rounding leaves in V_xx. */
export function symmetrize(out: Matrix, A: Matrix): Matrix {
  const n = assertSquare('symmetrize', A);
  assertShape('symmetrize', out, n, n, 'out');
  const a = A.data;
  const o = out.data;
  for (let i = 0; i < n; i++) {
    o[i * n + i] = a[i * n + i]!;
    for (let j = i + 1; j < n; j++) {
      const s = 0.5 * (a[i * n + j]! + a[j * n + i]!);
      o[i * n + j] = s;
      o[j * n + i] = s;
    }
  }
  return out;
}

/** out = A + mu I (A square). `out` may be A: the Levenberg–Marquardt regularization of Q_uu. */
export function addScaledIdentity(out: Matrix, A: Matrix, mu: number): Matrix {
  const n = assertSquare('addScaledIdentity', A);
  assertShape('addScaledIdentity', out, n, n, 'out');
  if (out.data !== A.data) out.data.set(A.data);
  const o = out.data;
  for (let i = 0; i < n; i++) o[i * n + i] += mu;
  return out;
}

/** out = A + alpha B (same shapes). `out` may be A or B. */
export function addInto(out: Matrix, A: Matrix, B: Matrix, alpha = 1): Matrix {
  assertShape('addInto', B, A.rows, A.cols, 'B');
  assertShape('addInto', out, A.rows, A.cols, 'out');
  const a = A.data;
  const b = B.data;
  const o = out.data;
  for (let k = 0; k < a.length; k++) o[k] = a[k]! + alpha * b[k]!;
  return out;
}

/** out = s A. `out` may be A. */
export function scaleInto(out: Matrix, A: Matrix, s: number): Matrix {
  assertShape('scaleInto', out, A.rows, A.cols, 'out');
  const a = A.data;
  const o = out.data;
  for (let k = 0; k < a.length; k++) o[k] = s * a[k]!;
  return out;
}

// ---------------------------------------------------------------------------
// Products. Loop orders keep the innermost loop on contiguous memory (row-major).
// ---------------------------------------------------------------------------

/** C = A B, with A m x k, B k x n, C m x n. C must not overlap A or B. */
export function mul(C: Matrix, A: Matrix, B: Matrix): Matrix {
  checkProduct('mul', C, A.rows, A.cols, B.rows, B.cols, A, B);
  gemmNN(C.data, A.data, B.data, A.rows, A.cols, B.cols, 1, 0);
  return C;
}

/** C += alpha A B. */
export function mulAcc(C: Matrix, A: Matrix, B: Matrix, alpha = 1): Matrix {
  checkProduct('mulAcc', C, A.rows, A.cols, B.rows, B.cols, A, B);
  gemmNN(C.data, A.data, B.data, A.rows, A.cols, B.cols, alpha, 1);
  return C;
}

/** C = A^T B, with A k x m, B k x n, C m x n. */
export function mulAtB(C: Matrix, A: Matrix, B: Matrix): Matrix {
  checkProduct('mulAtB', C, A.cols, A.rows, B.rows, B.cols, A, B);
  C.data.fill(0);
  gemmTN(C.data, A.data, B.data, A.cols, A.rows, B.cols, 1);
  return C;
}

/** C += alpha A^T B. */
export function mulAtBAcc(C: Matrix, A: Matrix, B: Matrix, alpha = 1): Matrix {
  checkProduct('mulAtBAcc', C, A.cols, A.rows, B.rows, B.cols, A, B);
  gemmTN(C.data, A.data, B.data, A.cols, A.rows, B.cols, alpha);
  return C;
}

/**
 * C += A^T B where the product is known to be symmetric (B = S A with S symmetric, as in
 * A^T S A): only the upper triangle is computed, and C's lower triangle is overwritten by its
 * upper one, so C must be symmetric on entry too. A and B are k x n, C n x n.
 */
export function mulAtBSymmetricAcc(C: Matrix, A: Matrix, B: Matrix): Matrix {
  checkProduct('mulAtBSymmetricAcc', C, A.cols, A.rows, B.rows, B.cols, A, B);
  if (C.rows !== C.cols) throw new ShapeError('mulAtBSymmetricAcc', `C must be square, got ${C.rows}x${C.cols}`);
  gemmTNUpper(C.data, A.data, B.data, C.rows, A.rows);
  return C;
}

/** C = A B^T, with A m x k, B n x k, C m x n. */
export function mulABt(C: Matrix, A: Matrix, B: Matrix): Matrix {
  checkProduct('mulABt', C, A.rows, A.cols, B.cols, B.rows, A, B);
  gemmNT(C.data, A.data, B.data, A.rows, A.cols, B.rows, 1, 0);
  return C;
}

/** C += alpha A B^T. */
export function mulABtAcc(C: Matrix, A: Matrix, B: Matrix, alpha = 1): Matrix {
  checkProduct('mulABtAcc', C, A.rows, A.cols, B.cols, B.rows, A, B);
  gemmNT(C.data, A.data, B.data, A.rows, A.cols, B.rows, alpha, 1);
  return C;
}

/** y = A x (A m x n, x length n, y length m). y must not overlap x or A. */
export function mulVec(y: Float64Array, A: Matrix, x: Float64Array): Float64Array {
  checkMatVec('mulVec', y, A.rows, A.cols, x, A);
  gemv(y, A.data, x, A.rows, A.cols, 1, 0);
  return y;
}

/** y += alpha A x. */
export function mulVecAcc(y: Float64Array, A: Matrix, x: Float64Array, alpha = 1): Float64Array {
  checkMatVec('mulVecAcc', y, A.rows, A.cols, x, A);
  gemv(y, A.data, x, A.rows, A.cols, alpha, 1);
  return y;
}

/** y = A^T x (A m x n, x length m, y length n). */
export function mulAtVec(y: Float64Array, A: Matrix, x: Float64Array): Float64Array {
  checkMatVec('mulAtVec', y, A.cols, A.rows, x, A);
  y.fill(0);
  gemvT(y, A.data, x, A.rows, A.cols, 1);
  return y;
}

/** y += alpha A^T x. */
export function mulAtVecAcc(y: Float64Array, A: Matrix, x: Float64Array, alpha = 1): Float64Array {
  checkMatVec('mulAtVecAcc', y, A.cols, A.rows, x, A);
  gemvT(y, A.data, x, A.rows, A.cols, alpha);
  return y;
}

function checkProduct(
  routine: string,
  C: Matrix,
  m: number,
  k: number,
  k2: number,
  n: number,
  A: Matrix,
  B: Matrix,
): void {
  if (k !== k2 || C.rows !== m || C.cols !== n) {
    throw new ShapeError(
      routine,
      `shapes do not fit: op(A) is ${m}x${k}, op(B) is ${k2}x${n}, C is ${C.rows}x${C.cols}`,
    );
  }
  if (matricesOverlap(C, A)) throw new ShapeError(routine, 'C and A must not share memory');
  if (matricesOverlap(C, B)) throw new ShapeError(routine, 'C and B must not share memory');
}

function checkMatVec(routine: string, y: Float64Array, m: number, n: number, x: Float64Array, A: Matrix): void {
  if (x.length !== n || y.length !== m) {
    throw new ShapeError(routine, `op(A) is ${m}x${n}, x has length ${x.length}, y has length ${y.length}`);
  }
  // Vectors are plain typed arrays: only the cheap identity test here (a partially
  // overlapping subarray view of x passed as y is the caller's responsibility).
  if (y === x) throw new ShapeError(routine, 'y and x must not be the same array');
  if (y === A.data) throw new ShapeError(routine, 'y and A must not be the same array');
}

// Raw kernels on flat arrays. c += alpha * op(a) op(b), c is m x n.

/**
 * c (m x n) = beta c + alpha a (m x k) b (k x n), as dot products over 2 x 2 blocks of c.
 * For the small sizes this library targets, dot products beat the cache-friendlier i-p-j
 * ("saxpy") order in V8 because the running sums stay in registers instead of c being
 * loaded and stored at every step, and need no separate zeroing pass; the 2 x 2 blocks
 * load each entry of a and b once per two uses (about 1.5x faster than one dot product at
 * a time at 12 x 12 x 12).
 */
function gemmNN(
  c: Float64Array,
  a: Float64Array,
  b: Float64Array,
  m: number,
  k: number,
  n: number,
  alpha: number,
  beta: 0 | 1,
): void {
  const store = (index: number, sum: number) => {
    c[index] = beta === 0 ? alpha * sum : c[index]! + alpha * sum;
  };
  let i = 0;
  for (; i + 1 < m; i += 2) {
    const a0i = i * k;
    const a1i = a0i + k;
    let j = 0;
    for (; j + 1 < n; j += 2) {
      let s00 = 0, s01 = 0, s10 = 0, s11 = 0;
      for (let p = 0; p < k; p++) {
        const a0 = a[a0i + p]!, a1 = a[a1i + p]!, b0 = b[p * n + j]!, b1 = b[p * n + j + 1]!;
        s00 += a0 * b0; s01 += a0 * b1; s10 += a1 * b0; s11 += a1 * b1;
      }
      store(i * n + j, s00); store(i * n + j + 1, s01); store((i + 1) * n + j, s10); store((i + 1) * n + j + 1, s11);
    }
    if (j < n) {
      let s0 = 0, s1 = 0;
      for (let p = 0; p < k; p++) {
        const bj = b[p * n + j]!;
        s0 += a[a0i + p]! * bj; s1 += a[a1i + p]! * bj;
      }
      store(i * n + j, s0); store((i + 1) * n + j, s1);
    }
  }
  if (i < m) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += a[i * k + p]! * b[p * n + j]!;
      store(i * n + j, s);
    }
  }
}

/**
 * c (m x n) += alpha a^T b with a (k x m), b (k x n), as dot products over 2 x 2 blocks of c:
 * four running sums stay in registers while each step of p loads two entries of a and two
 * of b. In V8 this is about 1.6x faster than rank-1 updates by rows (which load and store
 * c at every step) at the backward pass's sizes (12 x 12 x 12 for a 6-joint arm).
 */
function gemmTN(c: Float64Array, a: Float64Array, b: Float64Array, m: number, k: number, n: number, alpha: number): void {
  let i = 0;
  for (; i + 1 < m; i += 2) {
    let j = 0;
    for (; j + 1 < n; j += 2) {
      let s00 = 0, s01 = 0, s10 = 0, s11 = 0;
      for (let p = 0; p < k; p++) {
        const a0 = a[p * m + i]!, a1 = a[p * m + i + 1]!, b0 = b[p * n + j]!, b1 = b[p * n + j + 1]!;
        s00 += a0 * b0; s01 += a0 * b1; s10 += a1 * b0; s11 += a1 * b1;
      }
      c[i * n + j] += alpha * s00; c[i * n + j + 1] += alpha * s01;
      c[(i + 1) * n + j] += alpha * s10; c[(i + 1) * n + j + 1] += alpha * s11;
    }
    if (j < n) {
      let s0 = 0, s1 = 0;
      for (let p = 0; p < k; p++) {
        const bj = b[p * n + j]!;
        s0 += a[p * m + i]! * bj; s1 += a[p * m + i + 1]! * bj;
      }
      c[i * n + j] += alpha * s0; c[(i + 1) * n + j] += alpha * s1;
    }
  }
  if (i < m) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += a[p * m + i]! * b[p * n + j]!;
      c[i * n + j] += alpha * s;
    }
  }
}

/**
 * The upper triangle of c (n x n) += a^T b with a, b (k x n), mirrored to the lower one: for
 * products known to be symmetric, like f_x^T (V_xx f_x) in the backward pass, at a little
 * over half the work. 2 x 2 blocks on and above the diagonal (a diagonal block computes its
 * lower entry too, and discards it).
 */
function gemmTNUpper(c: Float64Array, a: Float64Array, b: Float64Array, n: number, k: number): void {
  let i = 0;
  for (; i + 1 < n; i += 2) {
    let j = i;
    for (; j + 1 < n; j += 2) {
      let s00 = 0, s01 = 0, s10 = 0, s11 = 0;
      for (let p = 0; p < k; p++) {
        const a0 = a[p * n + i]!, a1 = a[p * n + i + 1]!, b0 = b[p * n + j]!, b1 = b[p * n + j + 1]!;
        s00 += a0 * b0; s01 += a0 * b1; s10 += a1 * b0; s11 += a1 * b1;
      }
      c[i * n + j] += s00; c[i * n + j + 1] += s01;
      if (j !== i) c[(i + 1) * n + j] += s10;
      c[(i + 1) * n + j + 1] += s11;
    }
    if (j < n) {
      let s0 = 0, s1 = 0;
      for (let p = 0; p < k; p++) {
        const bj = b[p * n + j]!;
        s0 += a[p * n + i]! * bj; s1 += a[p * n + i + 1]! * bj;
      }
      c[i * n + j] += s0; c[(i + 1) * n + j] += s1;
    }
  }
  if (i < n) {
    let s = 0;
    for (let p = 0; p < k; p++) s += a[p * n + i]! * b[p * n + i]!;
    c[i * n + i] += s;
  }
  for (let r = 1; r < n; r++) for (let q = 0; q < r; q++) c[r * n + q] = c[q * n + r]!;
}

/** c (m x n) = beta c + alpha a b^T with a (m x k), b (n x k): dot products of rows. */
function gemmNT(
  c: Float64Array,
  a: Float64Array,
  b: Float64Array,
  m: number,
  k: number,
  n: number,
  alpha: number,
  beta: 0 | 1,
): void {
  for (let i = 0; i < m; i++) {
    const ai = i * k;
    for (let j = 0; j < n; j++) {
      const bj = j * k;
      let s = 0;
      for (let p = 0; p < k; p++) s += a[ai + p]! * b[bj + p]!;
      c[i * n + j] = beta === 0 ? alpha * s : c[i * n + j]! + alpha * s;
    }
  }
}

/** y = beta y + alpha a x, a m x n. */
function gemv(y: Float64Array, a: Float64Array, x: Float64Array, m: number, n: number, alpha: number, beta: 0 | 1): void {
  for (let i = 0; i < m; i++) {
    const ai = i * n;
    let s = 0;
    for (let j = 0; j < n; j++) s += a[ai + j]! * x[j]!;
    y[i] = beta === 0 ? alpha * s : y[i]! + alpha * s;
  }
}

/** y += alpha a^T x, a m x n (axpy by rows of a). */
function gemvT(y: Float64Array, a: Float64Array, x: Float64Array, m: number, n: number, alpha: number): void {
  for (let i = 0; i < m; i++) {
    const s = alpha * x[i]!;
    const ai = i * n;
    for (let j = 0; j < n; j++) y[j] += s * a[ai + j]!;
  }
}

// ---------------------------------------------------------------------------
// Norms and vector helpers
// ---------------------------------------------------------------------------

/** Frobenius norm, scaled to avoid overflow/underflow of the squares. */
export function normFrobenius(A: Matrix): number {
  return norm2(A.data);
}

/** Largest absolute entry. */
export function normMax(A: Matrix): number {
  let m = 0;
  const a = A.data;
  for (let k = 0; k < a.length; k++) {
    const v = Math.abs(a[k]!);
    if (v > m || v !== v) m = v;
  }
  return m;
}

/** Induced 1-norm (max column sum). */
export function norm1(A: Matrix): number {
  let best = 0;
  for (let j = 0; j < A.cols; j++) {
    let s = 0;
    for (let i = 0; i < A.rows; i++) s += Math.abs(A.data[i * A.cols + j]!);
    if (s > best) best = s;
  }
  return best;
}

/** Induced infinity-norm (max row sum). */
export function normInf(A: Matrix): number {
  let best = 0;
  for (let i = 0; i < A.rows; i++) {
    let s = 0;
    for (let j = 0; j < A.cols; j++) s += Math.abs(A.data[i * A.cols + j]!);
    if (s > best) best = s;
  }
  return best;
}

/** x . y */
export function dot(x: Float64Array, y: Float64Array): number {
  assertLength('dot', y, x.length, 'y');
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i]! * y[i]!;
  return s;
}

/** Euclidean norm, computed as scale * sqrt(sum (x_i / scale)^2) so it neither overflows nor underflows. */
export function norm2(x: Float64Array): number {
  let scale = 0;
  for (let i = 0; i < x.length; i++) {
    const v = Math.abs(x[i]!);
    if (v > scale || v !== v) scale = v;
  }
  if (scale === 0 || !Number.isFinite(scale)) return scale;
  let s = 0;
  for (let i = 0; i < x.length; i++) {
    const t = x[i]! / scale;
    s += t * t;
  }
  return scale * Math.sqrt(s);
}

// ---------------------------------------------------------------------------
// Allocating conveniences
// ---------------------------------------------------------------------------

/** A new A B. */
export function matmul(A: Matrix, B: Matrix): Matrix {
  return mul(new Matrix(A.rows, B.cols), A, B);
}

/** A new A x. */
export function matvec(A: Matrix, x: Float64Array): Float64Array {
  return mulVec(new Float64Array(A.rows), A, x);
}

/** A new A^T. */
export function transpose(A: Matrix): Matrix {
  return transposeInto(new Matrix(A.cols, A.rows), A);
}

/** A new matrix with the given diagonal. */
export function diag(values: ArrayLike<number>): Matrix {
  const n = values.length;
  const D = new Matrix(n, n);
  for (let i = 0; i < n; i++) D.data[i * n + i] = values[i]!;
  return D;
}

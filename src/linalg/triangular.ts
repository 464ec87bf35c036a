/**
 * Triangular solves by substitution (Golub & Van Loan, 4th ed., §3.1).
 *
 * Four variants for a triangular factor T: lower `L x = b`, lower-transposed
 * `L^T x = b`, upper `U x = b`, upper-transposed `U^T x = b`; each for one right-hand
 * side (a vector) or many (the columns of a matrix). All work in place on the
 * right-hand side and allocate nothing. Only the relevant triangle of T is read, so a
 * compact factorization (L and U sharing one array, as LU stores them) can be passed
 * as is; `unitDiagonal = true` treats the diagonal as ones without reading it.
 *
 * Row-major storage decides the loop shapes: the lower solve is the "row-oriented"
 * (dot product) form, which reads row i of L contiguously; the transposed solves are the
 * "column-oriented" (saxpy) form, which, for row-major L^T, again reads rows of L.
 * For matrix right-hand sides the unit of work is a whole row of B, so every inner loop
 * runs over contiguous memory.
 *
 * Errors: a zero diagonal entry -> {@link SingularMatrixError} (pivot index and value);
 * a NaN or ±Infinity in the result (from the inputs or from overflow) -> {@link NonFiniteError}.
 * Substitution is backward stable (GVL §3.1.4): the computed x solves (T + E) x = b with
 * |E| <= n u |T|, so the forward error is bounded by the condition number of T.
 */
import { NonFiniteError, ShapeError, SingularMatrixError } from './errors.js';
import { assertSquare, type Matrix } from './matrix.js';

function checkVec(routine: string, T: Matrix, b: Float64Array): number {
  const n = assertSquare(routine, T, 'triangular factor');
  if (b.length !== n) throw new ShapeError(routine, `factor is ${n}x${n} but right-hand side has length ${b.length}`);
  return n;
}

function checkMat(routine: string, T: Matrix, B: Matrix): number {
  const n = assertSquare(routine, T, 'triangular factor');
  if (B.rows !== n) throw new ShapeError(routine, `factor is ${n}x${n} but right-hand side is ${B.rows}x${B.cols}`);
  return n;
}

/** Throw if a diagonal entry is exactly zero (a NaN diagonal surfaces in the finiteness check). */
function checkDiagonal(routine: string, t: Float64Array, n: number): void {
  for (let i = 0; i < n; i++) {
    const d = t[i * n + i]!;
    if (d === 0) throw new SingularMatrixError(routine, i, d, ` (${n}x${n} triangular factor)`);
  }
}

/** Throw NonFiniteError if x holds NaN or ±Infinity. x * 0 is 0 for finite x, NaN otherwise. */
export function checkFiniteResult(routine: string, x: Float64Array): void {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i]! * 0;
  if (s !== 0) {
    throw new NonFiniteError(routine, `result is not finite (input contains NaN/Infinity, or the solve overflowed)`);
  }
}

/** Solve L x = b in place (b becomes x). L is n x n lower triangular. */
export function solveLowerInPlace(L: Matrix, b: Float64Array, unitDiagonal = false): Float64Array {
  const n = checkVec('solveLowerInPlace', L, b);
  const l = L.data;
  if (!unitDiagonal) checkDiagonal('solveLowerInPlace', l, n);
  for (let i = 0; i < n; i++) {
    const li = i * n;
    let s = b[i]!;
    for (let j = 0; j < i; j++) s -= l[li + j]! * b[j]!;
    b[i] = unitDiagonal ? s : s / l[li + i]!;
  }
  checkFiniteResult('solveLowerInPlace', b);
  return b;
}

/** Solve L^T x = b in place. L is n x n lower triangular (so L^T is upper). */
export function solveLowerTransposeInPlace(L: Matrix, b: Float64Array, unitDiagonal = false): Float64Array {
  const n = checkVec('solveLowerTransposeInPlace', L, b);
  const l = L.data;
  if (!unitDiagonal) checkDiagonal('solveLowerTransposeInPlace', l, n);
  for (let i = n - 1; i >= 0; i--) {
    const li = i * n;
    const xi = unitDiagonal ? b[i]! : b[i]! / l[li + i]!;
    b[i] = xi;
    // Column i of L^T above the diagonal is row i of L left of the diagonal.
    for (let j = 0; j < i; j++) b[j] -= l[li + j]! * xi;
  }
  checkFiniteResult('solveLowerTransposeInPlace', b);
  return b;
}

/** Solve U x = b in place. U is n x n upper triangular. */
export function solveUpperInPlace(U: Matrix, b: Float64Array, unitDiagonal = false): Float64Array {
  const n = checkVec('solveUpperInPlace', U, b);
  const u = U.data;
  if (!unitDiagonal) checkDiagonal('solveUpperInPlace', u, n);
  for (let i = n - 1; i >= 0; i--) {
    const ui = i * n;
    let s = b[i]!;
    for (let j = i + 1; j < n; j++) s -= u[ui + j]! * b[j]!;
    b[i] = unitDiagonal ? s : s / u[ui + i]!;
  }
  checkFiniteResult('solveUpperInPlace', b);
  return b;
}

/** Solve U^T x = b in place. U is n x n upper triangular (so U^T is lower). */
export function solveUpperTransposeInPlace(U: Matrix, b: Float64Array, unitDiagonal = false): Float64Array {
  const n = checkVec('solveUpperTransposeInPlace', U, b);
  const u = U.data;
  if (!unitDiagonal) checkDiagonal('solveUpperTransposeInPlace', u, n);
  for (let i = 0; i < n; i++) {
    const ui = i * n;
    const xi = unitDiagonal ? b[i]! : b[i]! / u[ui + i]!;
    b[i] = xi;
    for (let j = i + 1; j < n; j++) b[j] -= u[ui + j]! * xi;
  }
  checkFiniteResult('solveUpperTransposeInPlace', b);
  return b;
}

/** Solve L X = B in place (B n x k becomes X). */
export function solveLowerMatrixInPlace(L: Matrix, B: Matrix, unitDiagonal = false): Matrix {
  const n = checkMat('solveLowerMatrixInPlace', L, B);
  const k = B.cols;
  const l = L.data;
  const x = B.data;
  if (!unitDiagonal) checkDiagonal('solveLowerMatrixInPlace', l, n);
  for (let i = 0; i < n; i++) {
    const xi = i * k;
    for (let j = 0; j < i; j++) {
      const lij = l[i * n + j]!;
      const xj = j * k;
      for (let c = 0; c < k; c++) x[xi + c] -= lij * x[xj + c]!;
    }
    if (!unitDiagonal) {
      const inv = 1 / l[i * n + i]!;
      for (let c = 0; c < k; c++) x[xi + c] *= inv;
    }
  }
  checkFiniteResult('solveLowerMatrixInPlace', x);
  return B;
}

/** Solve L^T X = B in place. */
export function solveLowerTransposeMatrixInPlace(L: Matrix, B: Matrix, unitDiagonal = false): Matrix {
  const n = checkMat('solveLowerTransposeMatrixInPlace', L, B);
  const k = B.cols;
  const l = L.data;
  const x = B.data;
  if (!unitDiagonal) checkDiagonal('solveLowerTransposeMatrixInPlace', l, n);
  for (let i = n - 1; i >= 0; i--) {
    const xi = i * k;
    if (!unitDiagonal) {
      const inv = 1 / l[i * n + i]!;
      for (let c = 0; c < k; c++) x[xi + c] *= inv;
    }
    for (let j = 0; j < i; j++) {
      const lij = l[i * n + j]!;
      const xj = j * k;
      for (let c = 0; c < k; c++) x[xj + c] -= lij * x[xi + c]!;
    }
  }
  checkFiniteResult('solveLowerTransposeMatrixInPlace', x);
  return B;
}

/** Solve U X = B in place. */
export function solveUpperMatrixInPlace(U: Matrix, B: Matrix, unitDiagonal = false): Matrix {
  const n = checkMat('solveUpperMatrixInPlace', U, B);
  const k = B.cols;
  const u = U.data;
  const x = B.data;
  if (!unitDiagonal) checkDiagonal('solveUpperMatrixInPlace', u, n);
  for (let i = n - 1; i >= 0; i--) {
    const xi = i * k;
    for (let j = i + 1; j < n; j++) {
      const uij = u[i * n + j]!;
      const xj = j * k;
      for (let c = 0; c < k; c++) x[xi + c] -= uij * x[xj + c]!;
    }
    if (!unitDiagonal) {
      const inv = 1 / u[i * n + i]!;
      for (let c = 0; c < k; c++) x[xi + c] *= inv;
    }
  }
  checkFiniteResult('solveUpperMatrixInPlace', x);
  return B;
}

/** Solve U^T X = B in place. */
export function solveUpperTransposeMatrixInPlace(U: Matrix, B: Matrix, unitDiagonal = false): Matrix {
  const n = checkMat('solveUpperTransposeMatrixInPlace', U, B);
  const k = B.cols;
  const u = U.data;
  const x = B.data;
  if (!unitDiagonal) checkDiagonal('solveUpperTransposeMatrixInPlace', u, n);
  for (let i = 0; i < n; i++) {
    const xi = i * k;
    if (!unitDiagonal) {
      const inv = 1 / u[i * n + i]!;
      for (let c = 0; c < k; c++) x[xi + c] *= inv;
    }
    for (let j = i + 1; j < n; j++) {
      const uij = u[i * n + j]!;
      const xj = j * k;
      for (let c = 0; c < k; c++) x[xj + c] -= uij * x[xi + c]!;
    }
  }
  checkFiniteResult('solveUpperTransposeMatrixInPlace', x);
  return B;
}

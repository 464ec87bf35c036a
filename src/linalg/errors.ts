/**
 * Typed errors of the dense linear algebra layer.
 *
 * Every failure a caller may want to react to has its own class, so that a solver can
 * write `catch (e) { if (e instanceof NotPositiveDefiniteError) increaseRegularization(); else throw e; }`
 * instead of parsing messages. All of them extend {@link LinalgError}, which carries the
 * name of the routine that failed; every message names that routine and the shapes, or
 * the pivot index and value, involved (DESIGN.md section 4: never a silent NaN).
 *
 * Hierarchy:
 *
 *     LinalgError
 *     ├── ShapeError                 wrong dimensions (non-square, mismatched, aliased outputs)
 *     ├── NonFiniteError             NaN or ±Infinity in an input, or produced by overflow
 *     ├── SingularMatrixError        exactly or numerically singular (LU, QR, triangular, LDLT)
 *     ├── NotPositiveDefiniteError   a Cholesky pivot that is not > 0
 *     └── ConvergenceError           an iterative method ran out of iterations
 */

/** Base class: any failure of a routine in `src/linalg`. */
export class LinalgError extends Error {
  /** Name of the routine that failed, e.g. `'choleskyInPlace'`. */
  readonly routine: string;

  constructor(routine: string, message: string) {
    super(`${routine}: ${message}`);
    this.name = new.target.name;
    this.routine = routine;
  }
}

/** Dimensions that do not fit together (non-square where square is needed, mismatch, aliasing). */
export class ShapeError extends LinalgError {}

/** An input (or an intermediate that overflowed) contains NaN or ±Infinity. */
export class NonFiniteError extends LinalgError {}

/**
 * The matrix is singular, exactly or to working precision: a pivot of LU, a diagonal
 * entry of R or of a triangular factor, or a block of D in LDLT is zero or negligible.
 */
export class SingularMatrixError extends LinalgError {
  /** 0-based index of the offending pivot. */
  readonly pivot: number;
  /** Its value (0, or a value below the documented tolerance). */
  readonly value: number;

  constructor(routine: string, pivot: number, value: number, detail = '') {
    super(routine, `matrix is singular to working precision at pivot ${pivot} (value ${value})${detail}`);
    this.pivot = pivot;
    this.value = value;
  }
}

/**
 * A Cholesky pivot `d_k = a_kk - sum_{j<k} l_kj^2` was not strictly positive: the
 * matrix is not (numerically) positive definite. Regularization loops catch this one.
 */
export class NotPositiveDefiniteError extends LinalgError {
  /** 0-based index of the failing pivot (the leading k x k minor is the first that fails). */
  readonly pivot: number;
  /** The pivot value that was not > 0. */
  readonly value: number;

  constructor(routine: string, pivot: number, value: number, n: number) {
    super(
      routine,
      `${n}x${n} matrix is not positive definite: pivot ${pivot} is ${value} (must be > 0)`,
    );
    this.pivot = pivot;
    this.value = value;
  }
}

/** An iterative method (the Jacobi eigensolver) did not converge within its sweep budget. */
export class ConvergenceError extends LinalgError {}

/**
 * Typed errors of the autodiff engine. Each names the operation and the shapes
 * involved, so a failure deep inside a nested transformation still says where it came from.
 */

/** Base class: every error the engine throws on purpose is an `AutodiffError`. */
export class AutodiffError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** Operands whose shapes do not fit the operation. */
export class ShapeError extends AutodiffError {
  constructor(
    readonly op: string,
    readonly shapes: readonly (readonly number[])[],
    detail: string,
  ) {
    super(`${op}: ${detail} (shapes ${shapes.map(fmtShape).join(', ')})`);
  }
}

/** A value that is not a finite number where one is required (debug checks, constructors). */
export class NonFiniteError extends AutodiffError {}

/** A transformation was used wrongly: non-scalar `grad`, mismatched pytrees, escaped tracers. */
export class TransformError extends AutodiffError {}

export function fmtShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

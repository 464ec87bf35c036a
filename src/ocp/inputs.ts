/**
 * What the solvers accept, checked once where a solve starts (DESIGN section 4): a bad
 * initial guess or option is a typed error that names the solver and the bad value (and the
 * knot), never a raw TypeError from deep in a loop, an option silently ignored, or a guess
 * silently changed.
 *
 * The initial guess:
 * - `us`: T controls of length nu; `xs` (FDDP, read only there): T + 1 states of length nx;
 *   `multipliers` (constrained solver): T + 1 vectors, one per knot, of the length of that
 *   knot's constraint (0 where it has none). A wrong count or length is an InitialGuessError
 *   that says what was expected and what was given.
 * - Every entry must be finite. A NaN or an infinity is an InitialGuessError naming the knot
 *   and the entry: it is a mistake of the caller, not a numerical failure of the solve (before,
 *   an infinite control was silently replaced by its bound). A finite guess whose rollout or
 *   derivatives blow up is still a result, `reason: 'nonFinite'`.
 * - Finite controls outside the box bounds are projected onto the box (each entry to the
 *   nearest bound) before the first rollout. Box-DDP keeps every iterate in the box (the QP
 *   of boxqp.ts solves for steps that stay inside it), so it must start there, and projecting
 *   is the nearest such start. It is not silent: `solution.projectedControls` counts the
 *   entries that were moved. A guess far outside the box (1e6 for a bound of 2) thus starts
 *   from bang-bang controls and may converge to another local minimum than a guess inside
 *   it; the count says that this happened.
 *
 * Options: every option given must have a valid value (`maxIterations` a non-negative
 * integer, tolerances finite and >= 0, regFactor > 1, ...; the table is `RULES` below), and
 * its name must be one the solvers know; a typo or a NaN is a SolverOptionsError naming the
 * option and the value. An option given as `undefined` means "the default", as if absent.
 */
import type { ConstrainedOptions } from './constrained.js';
import type { SolverOptions } from './core.js';
import type { OcpProblem } from './problem.js';

/** An initial guess of the wrong size, or with a NaN or an infinity in it. */
export class InitialGuessError extends Error {
  constructor(
    /** The solver: 'ddp', 'fddp' or 'constrained'. */
    readonly solver: string,
    /** Which part of the guess: 'us', 'xs' or 'multipliers'. */
    readonly field: string,
    /** The knot, where the error is at one (null for the count of knots). */
    readonly knot: number | null,
    detail: string,
  ) {
    super(`${solver}: initial guess ${field}${knot === null ? '' : `[${knot}]`}${detail.startsWith('[') ? '' : ' '}${detail}`);
    this.name = 'InitialGuessError';
  }
}

/** A solver option with an invalid value, or one that no solver knows. */
export class SolverOptionsError extends Error {
  constructor(
    readonly solver: string,
    readonly option: string,
    readonly value: unknown,
    detail: string,
  ) {
    super(`${solver}: option ${option} = ${describe(value)} ${detail}`);
    this.name = 'SolverOptionsError';
  }
}

function describe(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean' || v === null || v === undefined) return String(v);
  return `(a ${Array.isArray(v) ? 'list' : typeof v})`;
}

type Rule = { readonly ok: (v: unknown) => boolean; readonly need: string };

const num = (test: (v: number) => boolean, need: string): Rule => ({ ok: (v) => typeof v === 'number' && Number.isFinite(v) && test(v), need });
const count = (min: number): Rule => ({ ok: (v) => Number.isSafeInteger(v) && (v as number) >= min, need: min === 0 ? 'a non-negative integer' : `an integer >= ${min}` });
const flag: Rule = { ok: (v) => typeof v === 'boolean', need: 'true or false' };

/** What each option may be. Cross-option rules (regMin <= regMax, ...) are in checkOptions. */
const RULES: Record<keyof ConstrainedOptions, Rule> = {
  maxIterations: count(0),
  tolerance: num((v) => v >= 0, 'a finite number >= 0'),
  feasibilityTolerance: num((v) => v >= 0, 'a finite number >= 0'),
  regInit: num((v) => v >= 0, 'a finite number >= 0'),
  regMin: num((v) => v > 0, 'a finite number > 0'),
  regMax: num((v) => v > 0, 'a finite number > 0'),
  regFactor: num((v) => v > 1, 'a finite number > 1 (otherwise the regularization never grows)'),
  regularizeValue: flag,
  stepIncrease: num((v) => v >= 0 && v <= 1, 'a step length in [0, 1]'),
  stepDecrease: num((v) => v >= 0 && v <= 1, 'a step length in [0, 1]'),
  minStep: num((v) => v > 0 && v <= 1, 'a step length in (0, 1]'),
  acceptRatio: num((v) => v >= 0, 'a finite number >= 0'),
  acceptIncreaseRatio: num((v) => v >= 0, 'a finite number >= 0'),
  secondOrder: flag,
  exactGains: flag,
  history: flag,
  maxOuterIterations: count(1),
  penaltyInit: num((v) => v > 0, 'a finite number > 0'),
  penaltyMax: num((v) => v > 0, 'a finite number > 0'),
  penaltyFactor: num((v) => v > 1, 'a finite number > 1'),
  constraintTolerance: num((v) => v >= 0, 'a finite number >= 0'),
  mode: { ok: (v) => v === 'ddp' || v === 'fddp', need: "'ddp' or 'fddp'" },
};

/**
 * `defaults` overridden by the options given (those set to `undefined` left out), each
 * checked. Options of the constrained solver are accepted (and ignored) by DDP and FDDP, so
 * that one options object can serve every solver, as a task's does.
 */
export function resolveOptions<T extends SolverOptions>(solver: string, defaults: T, options: Partial<T>): T {
  const out = { ...defaults };
  for (const [key, value] of Object.entries(options)) {
    if (value === undefined) continue;
    const rule = RULES[key as keyof ConstrainedOptions];
    if (rule === undefined) throw new SolverOptionsError(solver, key, value, `is not an option of the solvers (they know ${Object.keys(RULES).join(', ')})`);
    if (!rule.ok(value)) throw new SolverOptionsError(solver, key, value, `is invalid: it must be ${rule.need}`);
    (out as Record<string, unknown>)[key] = value;
  }
  if (out.regMin > out.regMax) throw new SolverOptionsError(solver, 'regMin', out.regMin, `is above regMax = ${out.regMax}`);
  const c = out as Partial<ConstrainedOptions>;
  if (c.penaltyInit !== undefined && c.penaltyMax !== undefined && c.penaltyInit > c.penaltyMax) {
    throw new SolverOptionsError(solver, 'penaltyInit', c.penaltyInit, `is above penaltyMax = ${c.penaltyMax}`);
  }
  return out;
}

/** A list of `count` vectors, vector t of length `width(t)`, every entry finite. */
function checkVectors(
  solver: string,
  field: string,
  list: unknown,
  count: number,
  width: (t: number) => number,
  what: string,
): void {
  const isList = (v: unknown): v is ArrayLike<unknown> => v !== null && typeof v === 'object' && typeof (v as ArrayLike<unknown>).length === 'number';
  if (!isList(list)) throw new InitialGuessError(solver, field, null, `must be a list of ${count} ${what}, got ${describe(list)}`);
  if (list.length !== count) throw new InitialGuessError(solver, field, null, `has ${list.length} entries, expected ${count} (${what})`);
  for (let t = 0; t < count; t++) {
    const v = list[t];
    const n = width(t);
    if (!isList(v)) throw new InitialGuessError(solver, field, t, `must be a vector of length ${n}, got ${describe(v)}`);
    if (v.length !== n) throw new InitialGuessError(solver, field, t, `has length ${v.length}, expected ${n}`);
    for (let i = 0; i < n; i++) {
      const x = v[i];
      if (typeof x !== 'number' || !Number.isFinite(x)) {
        throw new InitialGuessError(solver, field, t, `[${i}] = ${describe(x)}: knot ${t} is not finite, and an initial guess must be`);
      }
    }
  }
}

/**
 * Check the parts of a guess that `solver` reads (see the file comment) and return how many
 * control entries lie outside the box, i.e. how many the first rollout will project onto it.
 */
export function checkGuess(
  solver: string,
  problem: OcpProblem,
  guess: { xs?: unknown; us?: unknown; multipliers?: unknown },
  readStates: boolean,
): number {
  const { horizon: T, dynamics } = problem;
  if (guess.us !== undefined) checkVectors(solver, 'us', guess.us, T, () => dynamics.nu, `controls of length nu = ${dynamics.nu}, one per knot of the horizon T = ${T}`);
  if (readStates && guess.xs !== undefined) checkVectors(solver, 'xs', guess.xs, T + 1, () => dynamics.nx, `states of length nx = ${dynamics.nx}, T + 1 for T = ${T}`);
  if (guess.multipliers !== undefined) {
    const size = (t: number) => {
      const c = t === T ? problem.terminalConstraint : problem.stageConstraint;
      return c ? c.ne + c.ni : 0;
    };
    checkVectors(solver, 'multipliers', guess.multipliers, T + 1, size, 'multiplier vectors, one per knot t = 0..T, each as long as its constraint');
  }
  const bounds = problem.controlBounds;
  if (!bounds || guess.us === undefined) return 0;
  let outside = 0;
  for (const u of guess.us as readonly ArrayLike<number>[]) {
    for (let i = 0; i < u.length; i++) if (u[i]! < bounds.lower[i]! || u[i]! > bounds.upper[i]!) outside++;
  }
  return outside;
}

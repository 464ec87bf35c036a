/**
 * Bad inputs to the solvers (issue 16, item 4; ocp/inputs.ts): a non-finite guess is an
 * InitialGuessError naming the knot, a guess of the wrong size one naming the expected and
 * given lengths, an invalid or unknown option a SolverOptionsError naming it; finite controls
 * outside the box are projected onto it, counted in `projectedControls`, and the solve is
 * exactly the solve from the projected guess. Seeded fast-check; a failure prints the seed.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type ConstrainedOptions, type InitialGuess, InitialGuessError, type OcpProblem, type SolverName, SolverOptionsError, interpolationGuess,
  solveConstrained, solveOcp,
} from '../../src/ocp/index.js';
import { pendulumProblem } from './pendulum-problem.js';
import { obstacleProblem } from './point-mass.js';

const SEED = 16_0004;
const T = 30;
const UMAX = 5;
const problem = pendulumProblem(3.0, { T, umax: UMAX });
const guess = interpolationGuess(problem, [2 * Math.PI, 0]);
const SOLVERS: SolverName[] = ['ddp', 'fddp', 'constrained'];

/** Run `f`, expecting an error of `type` whose message contains every string in `parts`. */
function expectError(f: () => unknown, type: new (...args: never[]) => Error, parts: string[]): Error {
  let caught: unknown = null;
  try {
    f();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(type);
  for (const p of parts) expect((caught as Error).message).toContain(p);
  return caught as Error;
}

const withControl = (t: number, value: number): InitialGuess => ({ ...guess, us: guess.us!.map((u, k) => (k === t ? [value] : u)) });

describe('initial guesses', () => {
  it('a NaN or an infinite control is an InitialGuessError naming the solver, the knot and the value', () => {
    for (const solver of SOLVERS) {
      for (const value of [Infinity, -Infinity, NaN]) {
        const e = expectError(() => solveOcp(problem, solver, withControl(7, value)), InitialGuessError, [solver, `us[7][0] = ${value}`, 'knot 7']) as InitialGuessError;
        expect(e.knot).toBe(7);
        expect(e.field).toBe('us');
      }
    }
  });

  it(`non-finite entries anywhere in us or in the states FDDP reads are caught (seed ${SEED})`, () => {
    fc.assert(
      fc.property(fc.constantFrom<SolverName>('fddp', 'constrained'), fc.constantFrom('xs', 'us'), fc.nat(), fc.nat(), fc.constantFrom(NaN, Infinity, -Infinity), (solver, field, k, i, value) => {
        const list = field === 'xs' ? guess.xs! : guess.us!;
        const t = k % list.length;
        const entry = i % list[t]!.length;
        const bad = list.map((v, s) => (s === t ? Array.from(v, (x, j) => (j === entry ? value : x)) : v));
        expectError(() => solveOcp(problem, solver, { ...guess, [field]: bad }), InitialGuessError, [`${field}[${t}][${entry}] = ${value}`]);
      }),
      { seed: SEED, numRuns: 60 },
    );
  });

  it('DDP does not read the states of a guess, so it does not check them (documented)', () => {
    const xs = guess.xs!.map(() => [NaN, NaN]);
    expect(solveOcp(problem, 'ddp', { us: guess.us, xs }).cost).toBe(solveOcp(problem, 'ddp', { us: guess.us }).cost);
    expectError(() => solveOcp(problem, 'fddp', { us: guess.us, xs }), InitialGuessError, ['xs[0][0] = NaN']);
  });

  it('a guess of the wrong length is an InitialGuessError with the expected and given lengths', () => {
    for (const solver of SOLVERS) {
      expectError(() => solveOcp(problem, solver, { us: guess.us!.slice(1) }), InitialGuessError, [`${solver}: initial guess us has ${T - 1} entries, expected ${T}`]);
      expectError(() => solveOcp(problem, solver, { us: [...guess.us!, [0]] }), InitialGuessError, [`has ${T + 1} entries, expected ${T}`]);
      expectError(() => solveOcp(problem, solver, { us: guess.us!.map((u, t) => (t === 4 ? [0, 0] : u)) }), InitialGuessError, ['us[4] has length 2, expected 1']);
      expectError(() => solveOcp(problem, solver, { us: guess.us!.map((u, t) => (t === 4 ? [] : u)) }), InitialGuessError, ['us[4] has length 0, expected 1']);
      expectError(() => solveOcp(problem, solver, { us: 3 as never }), InitialGuessError, ['us must be a list of 30 controls']);
      expectError(() => solveOcp(problem, solver, { us: guess.us!.map((u, t) => (t === 2 ? (null as never) : u)) }), InitialGuessError, ['us[2] must be a vector of length 1, got null']);
      expectError(() => solveOcp(problem, solver, { us: guess.us!.map((u, t) => (t === 2 ? (['1'] as never) : u)) }), InitialGuessError, ['us[2][0] = "1"']);
    }
    expectError(() => solveOcp(problem, 'fddp', { xs: guess.xs!.slice(0, T) }), InitialGuessError, [`xs has ${T} entries, expected ${T + 1}`]);
    expectError(() => solveOcp(problem, 'fddp', { xs: guess.xs!.map((x, t) => (t === T ? [x[0]!] : x)) }), InitialGuessError, [`xs[${T}] has length 1, expected 2`]);
  });

  it("the constrained solver's multipliers: one vector per knot, as long as its constraint, finite", () => {
    const obstacles = obstacleProblem([1.0, 0.1, 0.4]);
    const n = obstacles.horizon;
    expectError(() => solveConstrained(obstacles, { multipliers: [[0]] }), InitialGuessError, [`multipliers has 1 entries, expected ${n + 1}`]);
    const wrong = Array.from({ length: n + 1 }, (_, t) => (t === n ? [] : [0, 0]));
    expectError(() => solveConstrained(obstacles, { multipliers: wrong }), InitialGuessError, ['multipliers[0] has length 2, expected 1']);
    const nan = Array.from({ length: n + 1 }, (_, t) => (t === n ? [] : [t === 3 ? NaN : 0]));
    expectError(() => solveConstrained(obstacles, { multipliers: nan }), InitialGuessError, ['multipliers[3][0] = NaN']);
  });
});

describe(`finite controls outside the box are projected onto it, and counted (seed ${SEED})`, () => {
  const project = (g: InitialGuess): InitialGuess => ({ ...g, us: g.us!.map((u) => Array.from(u, (v) => Math.min(Math.max(v, -UMAX), UMAX))) });

  it("the issue's 1e6 controls: every entry projected, projectedControls says so; a guess inside the box reports 0", () => {
    for (const solver of SOLVERS) {
      const inside = solveOcp(problem, solver, guess);
      expect(inside.projectedControls).toBe(0);
      const far = solveOcp(problem, solver, { ...guess, us: guess.us!.map(() => [1e6]) });
      expect(far.projectedControls).toBe(T);
      const atBound = solveOcp(problem, solver, { ...guess, us: guess.us!.map(() => [UMAX]) });
      expect(atBound.projectedControls).toBe(0);
      expect(far.cost).toBe(atBound.cost); // the projected guess is the guess at the bound
      expect(far.us).toEqual(atBound.us);
    }
  });

  it('a solve from any guess equals, bit for bit, the solve from its projection', () => {
    fc.assert(
      fc.property(fc.constantFrom<SolverName>('ddp', 'fddp'), fc.array(fc.double({ min: -4 * UMAX, max: 4 * UMAX, noNaN: true }), { minLength: T, maxLength: T }), (solver, values) => {
        const g: InitialGuess = { ...guess, us: values.map((v) => [v]) };
        const options = { maxIterations: 20 };
        const a = solveOcp(problem, solver, g, options);
        const b = solveOcp(problem, solver, project(g), options);
        expect(a.projectedControls).toBe(values.filter((v) => Math.abs(v) > UMAX).length);
        expect(b.projectedControls).toBe(0);
        expect(a.cost).toBe(b.cost);
        expect(a.iterations).toBe(b.iterations);
        expect(a.us).toEqual(b.us);
      }),
      { seed: SEED, numRuns: 12 },
    );
  });
});

describe(`solver options (seed ${SEED})`, () => {
  it("the issue's maxIterations: NaN, and other invalid values, are SolverOptionsErrors naming the option and the value", () => {
    const cases: [Partial<ConstrainedOptions>, string][] = [
      [{ maxIterations: NaN }, 'option maxIterations = NaN is invalid: it must be a non-negative integer'],
      [{ maxIterations: -1 }, 'maxIterations = -1'],
      [{ maxIterations: 2.5 }, 'maxIterations = 2.5'],
      [{ maxIterations: Infinity }, 'maxIterations = Infinity'],
      [{ maxIterations: '10' as never }, 'maxIterations = "10"'],
      [{ tolerance: NaN }, 'tolerance = NaN'],
      [{ tolerance: -1e-9 }, 'tolerance = -1e-9'],
      [{ regFactor: 1 }, 'regFactor = 1 is invalid: it must be a finite number > 1'],
      [{ minStep: 0 }, 'minStep = 0'],
      [{ regMin: 10, regMax: 1 }, 'regMin = 10 is above regMax = 1'],
      [{ history: 1 as never }, 'history = 1 is invalid: it must be true or false'],
      [{ maxIter: 5 } as never, 'option maxIter = 5 is not an option of the solvers'],
    ];
    for (const solver of SOLVERS) {
      for (const [options, message] of cases) {
        const e = expectError(() => solveOcp(problem, solver, guess, options), SolverOptionsError, [`${solver}: `, message]) as SolverOptionsError;
        expect(Object.keys(options)).toContain(e.option);
      }
    }
    expectError(() => solveConstrained(problem, guess, { maxOuterIterations: 0 }), SolverOptionsError, ['maxOuterIterations = 0 is invalid: it must be an integer >= 1']);
    expectError(() => solveConstrained(problem, guess, { mode: 'ilqr' as never }), SolverOptionsError, ['mode = "ilqr"']);
    expectError(() => solveConstrained(problem, guess, { penaltyInit: 1e9 }), SolverOptionsError, ['penaltyInit = 1000000000 is above penaltyMax']);
    expectError(() => solveOcp(problem, 'ilqr' as never, guess), SolverOptionsError, ['solveOcp: option solver = "ilqr"']);
  });

  it('an option given as undefined takes its default; maxIterations 0 evaluates the guess only', () => {
    const a = solveOcp(problem, 'fddp', guess, { maxIterations: undefined, tolerance: undefined });
    const b = solveOcp(problem, 'fddp', guess);
    expect(a.cost).toBe(b.cost);
    expect(a.iterations).toBe(b.iterations);
    const none = solveOcp(problem, 'fddp', guess, { maxIterations: 0 });
    expect(none.iterations).toBe(0);
    expect(none.reason).toBe('maxIterations');
  });

  it('random option values either solve or raise a SolverOptionsError, never another error', () => {
    const keys = ['maxIterations', 'tolerance', 'feasibilityTolerance', 'regInit', 'regMin', 'regMax', 'regFactor', 'stepIncrease', 'stepDecrease', 'minStep', 'acceptRatio', 'acceptIncreaseRatio', 'regularizeValue', 'secondOrder', 'history', 'maxOuterIterations', 'penaltyInit', 'penaltyFactor', 'constraintTolerance', 'mode', 'typo'];
    const value = fc.oneof(
      fc.constantFrom(NaN, Infinity, -Infinity, 0, -1, 0.5, 1, 2, 1e-12, 1e12, true, false, null, 'fddp', '3', [] as unknown),
      fc.double(),
      fc.integer({ min: -3, max: 30 }),
    );
    let solved = 0;
    fc.assert(
      fc.property(fc.constantFrom<SolverName>('ddp', 'fddp', 'constrained'), fc.constantFrom(...keys), value, (solver, key, v) => {
        const options = { maxIterations: 15, maxOuterIterations: 3, ...{ [key]: v } } as Partial<ConstrainedOptions>;
        if (key === 'maxIterations' && typeof v === 'number' && v > 15) options.maxIterations = 15;
        try {
          const s = solveOcp(problem as OcpProblem, solver, guess, options);
          expect(typeof s.cost).toBe('number');
          solved++;
        } catch (e) {
          if (!(e instanceof SolverOptionsError)) throw e;
          expect(e.message).toContain(key);
        }
      }),
      { seed: SEED, numRuns: 120 },
    );
    expect(solved).toBeGreaterThan(10); // the property saw valid values too
  });
});

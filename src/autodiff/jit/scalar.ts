/**
 * A scalar program: straight-line code over numbers, built by hash-consing so that equal
 * subexpressions are computed once (CSE), with constant folding and the algebraic
 * identities that matter after differentiation (x + 0, x * 1, x * 0). Jacobians of rigid-body
 * dynamics are full of structural zeros; folding them away is most of the speed.
 *
 * Note: folding x * 0 to 0 assumes x is finite, as NaN and infinities are errors elsewhere.
 */
import { HELPERS } from '../kernels/scalar-functions.js';

export type ScalarOp =
  | 'input' | 'const'
  | 'add' | 'sub' | 'mul' | 'div' | 'pow'
  | 'neg' | 'exp' | 'log' | 'sin' | 'cos' | 'tanh' | 'sqrt' | 'abs' | 'sign'
  | 'sigmoid' | 'softplus' | 'mish' | 'mishGrad' | 'mishGrad2' | 'relu' | 'square' | 'fround'
  | 'gt' | 'ge' | 'lt' | 'le' | 'eq' | 'select';

export interface ScalarNode {
  op: ScalarOp;
  args: number[];
  /** The value of a constant; for an input, its flat position: input `arg`, element `index`. */
  value: number;
  input?: { arg: number; index: number };
}

const COMMUTATIVE = new Set<ScalarOp>(['add', 'mul', 'eq']);


/** The meaning of each op, used for folding constants (and mirrored by emit.ts). */
const EVALUATE: Partial<Record<ScalarOp, (...a: number[]) => number>> = {
  add: (a, b) => a + b,
  sub: (a, b) => a - b,
  mul: (a, b) => a * b,
  div: (a, b) => a / b,
  pow: Math.pow,
  neg: (a) => -a,
  exp: Math.exp,
  log: Math.log,
  sin: Math.sin,
  cos: Math.cos,
  tanh: Math.tanh,
  sqrt: Math.sqrt,
  abs: Math.abs,
  sign: (a) => (a > 0 ? 1 : a < 0 ? -1 : 0),
  sigmoid: HELPERS.sigmoid,
  softplus: HELPERS.softplus,
  mish: HELPERS.mish,
  mishGrad: HELPERS.mishGrad,
  mishGrad2: HELPERS.mishGrad2,
  relu: (a) => (a > 0 ? a : 0),
  square: (a) => a * a,
  fround: Math.fround,
  gt: (a, b) => (a > b ? 1 : 0),
  ge: (a, b) => (a >= b ? 1 : 0),
  lt: (a, b) => (a < b ? 1 : 0),
  le: (a, b) => (a <= b ? 1 : 0),
  eq: (a, b) => (a === b ? 1 : 0),
  select: (c, a, b) => (c !== 0 ? a : b),
};

export class ScalarProgram {
  readonly nodes: ScalarNode[] = [];
  private readonly memo = new Map<string, number>();

  private intern(key: string, node: ScalarNode): number {
    const found = this.memo.get(key);
    if (found !== undefined) return found;
    this.nodes.push(node);
    this.memo.set(key, this.nodes.length - 1);
    return this.nodes.length - 1;
  }

  constant(value: number): number {
    // Object.is keeps 0 and -0 apart, and NaN equal to itself.
    const key = Object.is(value, -0) ? 'c-0' : `c${value}`;
    return this.intern(key, { op: 'const', args: [], value });
  }

  input(arg: number, index: number): number {
    return this.intern(`i${arg}:${index}`, { op: 'input', args: [], value: 0, input: { arg, index } });
  }

  isConst(id: number, value?: number): boolean {
    const n = this.nodes[id];
    return n.op === 'const' && (value === undefined || n.value === value);
  }

  apply(op: ScalarOp, ...args: number[]): number {
    const folded = this.fold(op, args);
    if (folded !== undefined) return folded;
    const ordered = COMMUTATIVE.has(op) && args[0] > args[1] ? [args[1], args[0]] : args;
    return this.intern(`${op}(${ordered.join(',')})`, { op, args: ordered, value: 0 });
  }

  private fold(op: ScalarOp, args: number[]): number | undefined {
    const evaluate = EVALUATE[op];
    if (evaluate && args.every((a) => this.isConst(a))) {
      return this.constant(evaluate(...args.map((a) => this.nodes[a].value)));
    }
    const [a, b] = args;
    switch (op) {
      case 'add':
        if (this.isConst(a, 0)) return b;
        if (this.isConst(b, 0)) return a;
        if (this.nodes[b].op === 'neg') return this.apply('sub', a, this.nodes[b].args[0]);
        return undefined;
      case 'sub':
        if (this.isConst(b, 0)) return a;
        if (this.isConst(a, 0)) return this.apply('neg', b);
        if (a === b) return this.constant(0);
        return undefined;
      case 'mul':
        if (this.isConst(a, 0) || this.isConst(b, 0)) return this.constant(0);
        if (this.isConst(a, 1)) return b;
        if (this.isConst(b, 1)) return a;
        if (this.isConst(a, -1)) return this.apply('neg', b);
        if (this.isConst(b, -1)) return this.apply('neg', a);
        return undefined;
      case 'div':
        if (this.isConst(a, 0)) return this.constant(0);
        if (this.isConst(b, 1)) return a;
        return undefined;
      case 'neg':
        if (this.nodes[a].op === 'neg') return this.nodes[a].args[0];
        return undefined;
      case 'select':
        if (this.isConst(a)) return this.nodes[a].value !== 0 ? b : args[2];
        if (b === args[2]) return b;
        return undefined;
      default:
        return undefined;
    }
  }
}

/**
 * Emit a scalar program as JavaScript and compile it with `new Function`.
 *
 * The code is split into chunks of a few thousand statements: V8 only optimizes functions
 * below a bytecode size limit, and a Jacobian of a 6-joint arm is tens of thousands of
 * statements. Values used by a later chunk pass through a scratch Float64Array; the rest
 * stay in local constants, which the optimizer keeps in registers.
 */
import { HELPERS } from '../kernels/scalar-functions.js';
import { type ScalarNode, type ScalarProgram } from './scalar.js';

const CHUNK_STATEMENTS = 1500;

/** A compiled program: reads the inputs, writes every output array in place. */
export type CompiledFn = (inputs: ArrayLike<number>[], outputs: Float64Array[]) => void;

function literal(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return 'Infinity';
  if (v === -Infinity) return '(-Infinity)';
  if (Object.is(v, -0)) return '(-0)';
  return v < 0 ? `(${v})` : String(v);
}

function expression(node: ScalarNode, ref: (id: number) => string): string {
  const [a, b, c] = node.args.map(ref);
  switch (node.op) {
    case 'add': return `${a} + ${b}`;
    case 'sub': return `${a} - ${b}`;
    case 'mul': return `${a} * ${b}`;
    case 'div': return `${a} / ${b}`;
    case 'pow': return `Math.pow(${a}, ${b})`;
    case 'neg': return `-${a}`;
    case 'exp': case 'log': case 'sin': case 'cos': case 'tanh': case 'sqrt': case 'abs': case 'fround':
      return `Math.${node.op}(${a})`;
    case 'sign': return `(${a} > 0 ? 1 : ${a} < 0 ? -1 : 0)`;
    case 'sigmoid': case 'softplus': case 'mish': case 'mishGrad': case 'mishGrad2':
      return `helpers.${node.op}(${a})`;
    case 'relu': return `(${a} > 0 ? ${a} : 0)`;
    case 'square': return `${a} * ${a}`;
    case 'gt': return `(${a} > ${b} ? 1 : 0)`;
    case 'ge': return `(${a} >= ${b} ? 1 : 0)`;
    case 'lt': return `(${a} < ${b} ? 1 : 0)`;
    case 'le': return `(${a} <= ${b} ? 1 : 0)`;
    case 'eq': return `(${a} === ${b} ? 1 : 0)`;
    case 'select': return `(${a} !== 0 ? ${b} : ${c})`;
    case 'input': case 'const':
      throw new Error('unreachable: inputs and constants are referenced, not computed');
  }
}

export interface Emitted {
  fn: CompiledFn;
  /** Scalar operations executed per call (after folding, CSE and dead-code elimination). */
  operations: number;
  source: string;
}

export function emit(program: ScalarProgram, outputs: number[][], inputCount: number): Emitted {
  const nodes = program.nodes;
  // Dead-code elimination: keep what the outputs reach.
  const live = new Uint8Array(nodes.length);
  const stack = outputs.flat();
  while (stack.length > 0) {
    const id = stack.pop()!;
    if (live[id]) continue;
    live[id] = 1;
    for (const a of nodes[id].args) stack.push(a);
  }
  const computed: number[] = [];
  for (let id = 0; id < nodes.length; id++) {
    if (live[id] && nodes[id].op !== 'input' && nodes[id].op !== 'const') computed.push(id);
  }
  // Assign each computed node to a chunk; find which values cross chunk boundaries.
  const chunkOf = new Int32Array(nodes.length).fill(-1);
  computed.forEach((id, i) => (chunkOf[id] = Math.floor(i / CHUNK_STATEMENTS)));
  const chunkCount = Math.max(1, Math.ceil(computed.length / CHUNK_STATEMENTS));
  const lastChunk = chunkCount - 1;
  const slot = new Int32Array(nodes.length).fill(-1);
  let slots = 0;
  const needsSlot = (id: number, usedIn: number) => {
    if (chunkOf[id] >= 0 && chunkOf[id] < usedIn && slot[id] < 0) slot[id] = slots++;
  };
  for (const id of computed) for (const a of nodes[id].args) needsSlot(a, chunkOf[id]);
  for (const id of outputs.flat()) needsSlot(id, lastChunk);

  const refIn = (chunk: number) => (id: number): string => {
    const n = nodes[id];
    if (n.op === 'const') return literal(n.value);
    if (n.op === 'input') return `x${n.input!.arg}[${n.input!.index}]`;
    return chunkOf[id] === chunk ? `v${id}` : `s[${slot[id]}]`;
  };
  const inputDecl = Array.from({ length: inputCount }, (_, i) => `const x${i} = inputs[${i}];`).join('\n');
  const chunks: string[] = [];
  for (let c = 0; c < chunkCount; c++) {
    const ref = refIn(c);
    const lines = [inputDecl];
    for (const id of computed) {
      if (chunkOf[id] !== c) continue;
      lines.push(`const v${id} = ${expression(nodes[id], ref)};`);
      if (slot[id] >= 0) lines.push(`s[${slot[id]}] = v${id};`);
    }
    if (c === lastChunk) {
      outputs.forEach((ids, o) => ids.forEach((id, i) => lines.push(`outputs[${o}][${i}] = ${ref(id)};`)));
    }
    chunks.push(`function chunk${c}(inputs, outputs, s) {\n${lines.join('\n')}\n}`);
  }
  const source = [
    ...chunks,
    `const scratch = new Float64Array(${Math.max(slots, 1)});`,
    `return function compiled(inputs, outputs) {\n${chunks.map((_, c) => `  chunk${c}(inputs, outputs, scratch);`).join('\n')}\n};`,
  ].join('\n');
  const fn = new Function('helpers', source)(HELPERS) as CompiledFn;
  return { fn, operations: computed.length, source };
}

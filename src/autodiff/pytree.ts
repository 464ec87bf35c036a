/**
 * Pytrees: nested arrays and plain objects whose leaves are tensors. A network's parameters,
 * an optimizer's state or a batch are each one pytree, so every transformation takes and
 * returns them whole. `flatten` lists the leaves in a fixed order (arrays by index, objects
 * by sorted key) and returns the structure needed to rebuild the tree around new leaves.
 */
import { TransformError } from './errors.js';
import { Tensor } from './tensor.js';

export type PyTree = Tensor | readonly PyTree[] | { readonly [key: string]: PyTree };

export type TreeDef =
  | { kind: 'leaf' }
  | { kind: 'array'; children: TreeDef[] }
  | { kind: 'object'; keys: string[]; children: TreeDef[] };

export function flatten(tree: PyTree, path = 'tree'): [Tensor[], TreeDef] {
  const leaves: Tensor[] = [];
  const def = flattenInto(tree, leaves, path);
  return [leaves, def];
}

function flattenInto(tree: PyTree, leaves: Tensor[], path: string): TreeDef {
  if (tree instanceof Tensor) {
    leaves.push(tree);
    return { kind: 'leaf' };
  }
  if (Array.isArray(tree)) {
    return { kind: 'array', children: tree.map((c, i) => flattenInto(c, leaves, `${path}[${i}]`)) };
  }
  if (tree !== null && typeof tree === 'object' && Object.getPrototypeOf(tree) === Object.prototype) {
    const obj = tree as { readonly [key: string]: PyTree };
    const keys = Object.keys(obj).sort();
    return { kind: 'object', keys, children: keys.map((k) => flattenInto(obj[k], leaves, `${path}.${k}`)) };
  }
  throw new TransformError(`pytree: ${path} is ${describe(tree)}, not a Tensor, array or plain object`);
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v === 'object') return `an instance of ${(v as object).constructor?.name ?? 'an unknown class'}`;
  return `a ${typeof v}`;
}

export function unflatten<T extends PyTree = PyTree>(def: TreeDef, leaves: readonly Tensor[]): T {
  let next = 0;
  const build = (d: TreeDef): PyTree => {
    switch (d.kind) {
      case 'leaf':
        return leaves[next++];
      case 'array':
        return d.children.map(build);
      case 'object': {
        const out: { [key: string]: PyTree } = {};
        d.keys.forEach((k, i) => (out[k] = build(d.children[i])));
        return out;
      }
    }
  };
  const tree = build(def);
  if (next !== leaves.length) {
    throw new TransformError(`pytree: the structure has ${next} leaves but ${leaves.length} were given`);
  }
  return tree as T;
}

export function sameStructure(a: TreeDef, b: TreeDef): boolean {
  if (a.kind !== b.kind) return false;
  if (a.kind === 'leaf') return true;
  const bc = (b as typeof a).children;
  if (a.children.length !== bc.length) return false;
  if (a.kind === 'object' && a.keys.join('\u0000') !== (b as typeof a).keys.join('\u0000')) return false;
  return a.children.every((c, i) => sameStructure(c, bc[i]));
}

/** Apply `f` leafwise to one tree, or to several trees of the same structure. */
export function treeMap<T extends PyTree>(f: (...leaves: Tensor[]) => Tensor, tree: T, ...rest: PyTree[]): T {
  const [leaves, def] = flatten(tree);
  const others = rest.map((r, i) => {
    const [l, d] = flatten(r, `tree ${i + 2}`);
    if (!sameStructure(def, d)) throw new TransformError('treeMap: the trees have different structures');
    return l;
  });
  return unflatten<T>(def, leaves.map((leaf, i) => f(leaf, ...others.map((l) => l[i]))));
}

export function treeLeaves(tree: PyTree): Tensor[] {
  return flatten(tree)[0];
}

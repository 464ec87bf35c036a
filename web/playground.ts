/**
 * The autodiff playground: f(x) typed with the engine's ops, f' and f'' by nested `grad`, and
 * the gradient and Hessian of a 2-D function g(x, y) (`grad`, `hessian`). The text is turned
 * into a function whose parameters are the engine's exports, so `sin`, `mul`... are the
 * engine's own, traced like any other code.
 */
import * as engine from '../src/autodiff/index.js';
import { type Tensor, grad, hessian, reshape, scalar, slice, tensor } from '../src/autodiff/index.js';
import { type Series, drawLines } from './plot.js';

const OP_NAMES = Object.keys(engine).filter((name) => /^[a-zA-Z_$][\w$]*$/.test(name));
const OPS = OP_NAMES.map((name) => (engine as Record<string, unknown>)[name]);

/** Compile the text of an expression in the named variables; the engine's exports are in scope. */
export function compileExpression(text: string, variables: string[]): (...args: Tensor[]) => Tensor {
  if (text.trim() === '') throw new SyntaxError('the expression is empty');
  const body = new Function(...OP_NAMES, ...variables, `"use strict"; return (${text});`) as (...args: unknown[]) => unknown;
  return (...args: Tensor[]) => {
    const value = body(...OPS, ...args);
    if (typeof value === 'number') return scalar(value);
    if (!(value instanceof engine.Tensor)) throw new TypeError(`the expression gave ${String(value)}, not a tensor`);
    if (value.size !== 1) throw new engine.ShapeError('playground', [value.shape], 'f must be scalar-valued');
    return reshape(value, []);
  };
}

/** f, f' and f'' at x: nested grad, each level differentiating the one inside it. */
export function derivatives(f: (x: Tensor) => Tensor, x: number): [number, number, number] {
  const df = grad(f);
  const d2f = grad(df);
  const at = scalar(x);
  return [f(at).item(), df(at).item(), d2f(at).item()];
}

/** g(x, y) as a function of one vector v = (x, y), so grad and hessian see one input. */
export function vectorForm(g: (x: Tensor, y: Tensor) => Tensor): (v: Tensor) => Tensor {
  return (v) => g(reshape(slice(v, [0]), []), reshape(slice(v, [1]), []));
}

export function hessianAt(g: (x: Tensor, y: Tensor) => Tensor, x: number, y: number): { value: number; gradient: number[]; hessian: number[] } {
  const f = vectorForm(g);
  const v = tensor([x, y]);
  return { value: f(v).item(), gradient: grad(f)(v).toArray(), hessian: hessian(f)(v).toArray() };
}

const fmt = (v: number) => (Number.isFinite(v) ? v.toPrecision(8) : String(v));

function show(id: string, value: number): void {
  const cell = document.getElementById(id)!;
  cell.textContent = fmt(value);
  cell.dataset.value = String(value);
}

function input(id: string): HTMLInputElement {
  return document.getElementById(id) as HTMLInputElement;
}

function updateOneD(): void {
  const error = document.getElementById('f-error')!;
  try {
    const f = compileExpression(input('f-expr').value, ['x']);
    const x = Number(input('x-at').value);
    if (!Number.isFinite(x)) throw new RangeError(`x = ${input('x-at').value} is not a number`);
    const [v, d1, d2] = derivatives(f, x);
    show('f-value', v);
    show('df-value', d1);
    show('d2f-value', d2);
    const xs = Array.from({ length: 241 }, (_, i) => -4 + (8 * i) / 240);
    const rows = xs.map((t) => derivatives(f, t));
    const series: Series[] = [0, 1, 2].map((k) => ({ xs, ys: rows.map((r) => r[k]), color: ['#1f77b4', '#d62728', '#2ca02c'][k] }));
    drawLines(document.getElementById('f-plot') as HTMLCanvasElement, series, { markX: x });
    error.textContent = '';
  } catch (e) {
    error.textContent = `${(e as Error).name}: ${(e as Error).message}`;
  }
}

function updateTwoD(): void {
  const error = document.getElementById('g-error')!;
  try {
    const g = compileExpression(input('g-expr').value, ['x', 'y']);
    const [x, y] = [Number(input('gx').value), Number(input('gy').value)];
    if (!Number.isFinite(x) || !Number.isFinite(y)) throw new RangeError('the point must be two numbers');
    const r = hessianAt(g, x, y);
    show('g-value', r.value);
    const gradCell = document.getElementById('g-grad')!;
    gradCell.textContent = `(${r.gradient.map(fmt).join(', ')})`;
    gradCell.dataset.value = JSON.stringify(r.gradient);
    const cells = document.querySelectorAll<HTMLTableCellElement>('#hessian td');
    cells.forEach((cell, i) => {
      cell.textContent = fmt(r.hessian[i]);
      cell.dataset.value = String(r.hessian[i]);
    });
    error.textContent = '';
  } catch (e) {
    error.textContent = `${(e as Error).name}: ${(e as Error).message}`;
  }
}

export function startPlayground(): void {
  for (const id of ['f-expr', 'x-at']) input(id).addEventListener('input', updateOneD);
  for (const id of ['g-expr', 'gx', 'gy']) input(id).addEventListener('input', updateTwoD);
  updateOneD();
  updateTwoD();
}

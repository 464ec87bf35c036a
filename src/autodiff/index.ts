/**
 * The autodiff engine: tensors, differentiable ops, and the transformations jvp, vjp, grad,
 * valueAndGrad, jacfwd, jacrev, hessian, composable to any depth. Read docs/autodiff.md for
 * a guided tour.
 */
export { Tensor, ConcreteTensor, type DType, type Floats, tensor, zeros, ones, full, scalar, arange, eye, assertFinite, convert } from './tensor.js';
export { AutodiffError, ShapeError, NonFiniteError, TransformError } from './errors.js';
export { type Primitive, type MaybeTensor, primitive, bind, setDebug, Tracer } from './core.js';
export * from './ops/index.js';
export { jvp } from './forward.js';
export { vjp } from './reverse.js';
export { grad, valueAndGrad, jacfwd, jacrev, hessian } from './transforms.js';
export { customJvp, customVjp } from './custom.js';
export { type PyTree, type TreeDef, flatten, unflatten, treeMap, treeLeaves } from './pytree.js';
export { Rng } from './rng.js';
export { withStepArena } from './arena.js';
export { jit, type Jitted, registerScalarRule } from './jit/index.js';
export { type BackendName, type KernelName, availableBackends, kernelBackend, setKernelBackend } from './kernels/index.js';
export { linearize, linearTranspose } from './linearize.js';
export { vmap, type InAxes } from './vmap/vmap.js';
export { registerBatchRule, type BatchRule } from './vmap/registry.js';
export { scan, type ScanOptions } from './scan/scan.js';
export { remat } from './scan/remat.js';

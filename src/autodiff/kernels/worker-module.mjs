// The module a worker entry runs, in either form of the code: the compiled JavaScript beside
// the entry when there is one (the built package, dist/), else the TypeScript source, after
// registering tsx's loader (development, where the project runs its sources through tsx).
// Plain JavaScript, so that Node starts it without a TypeScript loader. Used by the threads
// backend's entry (threads-entry.mjs) and the worker pool's (learning/workers/worker.mjs).
import { existsSync } from 'node:fs';

export async function importWorkerModule(entryUrl, name) {
  const built = new URL(`./${name}.js`, entryUrl);
  if (existsSync(built)) return import(built.href);
  const { register } = await import('tsx/esm/api');
  register();
  return import(new URL(`./${name}.ts`, entryUrl).href);
}

// Entry of a kernel worker thread. Built (dist/, plain JavaScript beside this file) it imports
// the compiled worker; from the TypeScript sources it first registers tsx's loader (the
// project runs its sources through tsx), then imports the TypeScript. Then it serves jobs.
import { existsSync } from 'node:fs';

const built = new URL('./threads-worker.js', import.meta.url);
let worker;
if (existsSync(built)) {
  worker = await import(built.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  worker = await import('./threads-worker.ts');
}
worker.serve();

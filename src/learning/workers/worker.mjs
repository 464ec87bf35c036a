// The one worker entry of the project's WorkerPool (pool.ts): plain JavaScript, so Node can
// start it without a TypeScript loader. Built (dist/, the compiled jobs.js beside this file)
// it imports the job handler directly; from the TypeScript sources it first registers tsx's
// ESM loader and imports jobs.ts. Then it runs one job per message, passing its progress
// reports on.
import { existsSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';

const built = new URL('./jobs.js', import.meta.url);
let jobs;
if (existsSync(built)) {
  jobs = await import(built.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  jobs = await import('./jobs.ts');
}
const { runJob } = jobs;

parentPort.on('message', async ({ id, request }) => {
  try {
    const result = await runJob(request, (progress) => parentPort.postMessage({ id, progress }));
    parentPort.postMessage({ id, result });
  } catch (error) {
    parentPort.postMessage({ id, error: error instanceof Error ? `${error.name}: ${error.message}\n${error.stack}` : String(error) });
  }
});
parentPort.postMessage({ ready: true });

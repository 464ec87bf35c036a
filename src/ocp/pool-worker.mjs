// Worker entry of the solver pool (pool.ts). Plain JavaScript, so Node can start it without
// a TypeScript loader; it registers tsx's ESM loader before importing the TypeScript
// sources. This works the same whether the parent runs under tsx, vitest, or plain Node.
import { parentPort } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
const { solveRequest } = await import('./requests.ts');

parentPort.on('message', async (msg) => {
  try {
    const solution = await solveRequest(msg.request);
    parentPort.postMessage({ id: msg.id, solution });
  } catch (error) {
    parentPort.postMessage({ id: msg.id, error: error instanceof Error ? `${error.name}: ${error.message}\n${error.stack}` : String(error) });
  }
});
parentPort.postMessage({ ready: true });

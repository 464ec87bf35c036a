/**
 * A solve worker for experiments started with `--queue redis://HOST:PORT`: it takes solve jobs
 * from that queue and solves them on its own worker threads, for as long as it runs. Start as
 * many as you like, on any machine that reaches the Redis server (and has this repository);
 * stop one with Ctrl-C (it finishes its running jobs first; a worker that is killed instead has
 * its running jobs go back to the queue once their locks lapse, --lock-ms).
 *
 *   npx tsx src/experiments/worker.ts --queue redis://HOST:PORT [--concurrency N] [--lock-ms MS]
 */
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { serveSolveQueue } from '../learning/workers/queue.js';
import { isProgram } from './runner/study.js';

const HELP = `Usage: npx tsx src/experiments/worker.ts --queue redis://HOST:PORT [--concurrency N] [--lock-ms MS]

Serve the solve jobs of experiments started with the same --queue.
  --concurrency N   jobs solved at once, one worker thread each (default: this machine's cores)
  --lock-ms MS      how soon a job of a worker that died runs elsewhere (default 30000)`;

export async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: { queue: { type: 'string' }, concurrency: { type: 'string' }, 'lock-ms': { type: 'string' }, help: { type: 'boolean' } },
    strict: true,
  });
  if (values.help) {
    console.log(HELP);
    return;
  }
  if (values.queue === undefined) throw new RangeError(`--queue is required\n\n${HELP}`);
  const concurrency = values.concurrency === undefined ? availableParallelism() : Number(values.concurrency);
  const lockDurationMs = values['lock-ms'] === undefined ? undefined : Number(values['lock-ms']);
  if (lockDurationMs !== undefined && !(Number.isInteger(lockDurationMs) && lockDurationMs >= 100)) throw new RangeError(`--lock-ms: expected an integer >= 100, got "${values['lock-ms']}"`);
  const worker = await serveSolveQueue(values.queue, { concurrency, lockDurationMs });
  console.log(`solve worker on ${values.queue}: ${concurrency} threads (pid ${process.pid})`);
  const stop = () => {
    console.log('stopping after the running jobs');
    worker.close().then(() => process.exit(0), () => process.exit(1));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (isProgram('worker', import.meta.url)) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}

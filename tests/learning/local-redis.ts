/**
 * A throwaway Redis and solve workers on this machine, for the queue tests and
 * `npm run bench:queue`: redis-server (Debian's; .ci/run installs it) on a free loopback port
 * without persistence, and worker processes started the way a user starts them.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** A throwaway Redis: no persistence, loopback only. */
export async function startRedis(): Promise<{ url: string; process: ChildProcess }> {
  const port = await freePort();
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    child.once('error', (e) => reject(new Error(`cannot start redis-server (install it: apt-get install redis-server): ${e.message}`)));
    child.stdout!.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('Ready to accept connections')) resolve();
    });
  });
  return { url: `redis://127.0.0.1:${port}`, process: child };
}

/** A worker process, as a user starts one; resolves once it serves the queue. */
export async function startWorker(url: string, concurrency = 1): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/experiments/worker.ts', '--queue', url, '--concurrency', String(concurrency), '--lock-ms', '1000'], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`worker exited with ${code}`)));
    child.stdout!.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('solve worker on')) resolve();
    });
  });
  return child;
}


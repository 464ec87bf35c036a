/**
 * Progress for long phases: a status line redrawn in place on a terminal, plain lines (every
 * 10 %) otherwise, so logs stay readable. And a clean Ctrl-C: the first SIGINT sets a flag
 * that long loops check (they stop by throwing `Interrupted`, so the caller can write what it
 * has) and runs the caller's handler (which aborts the training workers); a second one exits
 * at once.
 */
export class Interrupted extends Error {
  constructor() {
    super('interrupted (Ctrl-C)');
    this.name = 'Interrupted';
  }
}

let interrupted = false;

export function installInterruptHandler(onFirst: () => void): void {
  process.on('SIGINT', () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    onFirst();
  });
}

/** Throw `Interrupted` if Ctrl-C was pressed. */
export function checkInterrupted(): void {
  if (interrupted) throw new Interrupted();
}

/**
 * Jobs progressing at once (the trainings on worker threads): one status line on a
 * terminal, redrawn in place; plain lines every 10 % of each job otherwise.
 */
export class MultiProgress {
  private readonly jobs = new Map<string, { fraction: number; detail: string; decile: number }>();
  private readonly tty = process.stdout.isTTY === true;
  private readonly started = performance.now();

  update(label: string, done: number, total: number, detail = ''): void {
    const fraction = total > 0 ? Math.min(1, done / total) : 1;
    const job = this.jobs.get(label) ?? { fraction: 0, detail: '', decile: -1 };
    job.fraction = fraction;
    job.detail = detail;
    this.jobs.set(label, job);
    const elapsed = ((performance.now() - this.started) / 1000).toFixed(0);
    if (this.tty) {
      const parts = [...this.jobs.entries()].map(([l, j]) => `${l} ${(100 * j.fraction).toFixed(0)}%`);
      process.stdout.write(`\r  ${elapsed}s  ${parts.join(' | ')}   `);
      if ([...this.jobs.values()].every((j) => j.fraction >= 1)) process.stdout.write('\n');
      return;
    }
    const decile = Math.floor(fraction * 10);
    if (decile > job.decile) {
      job.decile = decile;
      console.log(`  ${label}: ${(100 * fraction).toFixed(0)}% (${elapsed} s) ${detail}`);
    }
  }
}

/**
 * What checkpoint files take from their host, Node's version: SHA-256 and the file system.
 * A browser build swaps this file for its twin `checkpoint-io.browser.ts` (same names; see
 * src/autodiff/kernels/platform.ts for the rule), where checkpoints are bytes only: a page
 * fetches a policy file and decodes it, but has no files to save to or load from.
 */
import { createHash } from 'node:crypto';
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** The SHA-256 of the concatenated parts, as 64 lowercase hex digits. */
export function sha256Hex(parts: readonly Uint8Array[]): string {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest('hex');
}

/**
 * Write atomically: a temporary file in the same directory, flushed to disk (fsync), then
 * renamed over the destination. A rename within one file system is atomic on POSIX, so a
 * reader (or a crash) sees either the old file or the new one, never a mix.
 */
export function writeFileAtomic(path: string, bytes: Uint8Array): void {
  const tmp = join(dirname(path), `.${basename(path)}.tmp-${process.pid}-${Date.now()}`);
  let fd: number | null = null;
  try {
    fd = openSync(tmp, 'w');
    let written = 0;
    while (written < bytes.length) written += writeSync(fd, bytes, written, bytes.length - written);
    fsyncSync(fd);
    closeSync(fd);
    fd = null;
    renameSync(tmp, path);
  } catch (e) {
    if (fd !== null) closeSync(fd);
    rmSync(tmp, { force: true });
    throw e;
  }
}

export function readFileBytes(path: string): Uint8Array {
  return readFileSync(path);
}

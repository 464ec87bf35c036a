/**
 * What checkpoint files take from their host, the browser's version (the twin of
 * checkpoint-io.ts, same names). A page has no file system: `encodeCheckpoint` and
 * `decodeCheckpoint` work on bytes (a fetched policy file), while `saveCheckpoint` and
 * `loadCheckpoint` fail with a message that says so. SHA-256 is computed here in plain
 * TypeScript (sha256.ts), because the browser's own (crypto.subtle) is asynchronous.
 */
import { sha256 } from './sha256.js';

export function sha256Hex(parts: readonly Uint8Array[]): string {
  return sha256(parts);
}

const NO_FILES = 'checkpoint files need Node; in a browser use encodeCheckpoint / decodeCheckpoint on bytes';

export function writeFileAtomic(_path: string, _bytes: Uint8Array): void {
  throw new Error(NO_FILES);
}

export function readFileBytes(_path: string): Uint8Array {
  throw new Error(NO_FILES);
}

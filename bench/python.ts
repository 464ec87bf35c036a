/**
 * Which Python the PyTorch comparisons start: $PYTHON when set, else the first of `python3`
 * and Debian's /usr/bin/python3 that imports torch (a pyenv or venv `python3` on the PATH
 * often lacks the torch that Debian's python3-torch installs for /usr/bin/python3).
 */
import { spawnSync } from 'node:child_process';

/** The interpreters to try, in order. */
export function pythonCandidates(): string[] {
  return process.env.PYTHON ? [process.env.PYTHON] : ['python3', '/usr/bin/python3'];
}

/** The first candidate that imports torch, or the first candidate (whose error the caller reports) if none does. */
export function pythonWithTorch(): string {
  const candidates = pythonCandidates();
  return candidates.find((python) => spawnSync(python, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0) ?? candidates[0];
}

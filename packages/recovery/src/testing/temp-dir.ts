import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A fresh directory under the OS temp dir, and the function that removes it. */
export interface TempDir {
  path: string;
  remove(): Promise<void>;
}

/** Makes a fresh directory under `os.tmpdir()` whose name starts with `prefix`. */
export async function makeTempDir(prefix: string): Promise<TempDir> {
  const path = await mkdtemp(join(tmpdir(), `gq-recovery-${prefix}-`));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

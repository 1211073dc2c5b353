import { readFileSync } from 'node:fs';

/** The version of `gq`, read from its package.json (beside both `src` and `dist`). */
export const GQ_VERSION: string = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    version: string;
  }
).version;

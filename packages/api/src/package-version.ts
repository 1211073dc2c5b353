import { readFileSync } from 'node:fs';

/** The version of `@gopherqueue/api`, read from its package.json (beside both `src` and `dist`). */
export const API_PACKAGE_VERSION: string = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    version: string;
  }
).version;

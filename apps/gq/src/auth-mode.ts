import { isLoopbackHost } from './listen-address.js';

/** How the API treats requests without a key; see SPEC.md "Security". */
export type AuthMode = 'off' | 'protected' | 'required';

/**
 * Chooses the auth mode from `--auth` and the listen host: `--auth` requires a key from everyone,
 * `--auth=false` trusts everyone, and with neither a server that listens beyond loopback runs in
 * protected mode (loopback callers trusted, others need a key) while a loopback-only one runs open.
 */
export function resolveAuthMode(auth: boolean | undefined, host: string | undefined): AuthMode {
  if (auth === true) return 'required';
  if (auth === false) return 'off';
  return isLoopbackHost(host) ? 'off' : 'protected';
}

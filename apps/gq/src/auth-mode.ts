/** How the API treats requests without a key. */
export type AuthMode = 'off' | 'protected' | 'required';

/**
 * Chooses the auth mode from `--auth`: `--auth` requires a key from everyone, `--auth=false`
 * trusts everyone, and with neither the server runs in protected mode wherever it listens:
 * loopback callers need no key, others do. Protected mode, like required, never trusts a web page
 * of another origin nor a `Host` that is not the server's own, so a loopback-only bind is safe
 * from the pages of a local browser too; only an explicit `--auth=false` turns that off.
 */
export function resolveAuthMode(auth: boolean | undefined): AuthMode {
  if (auth === true) return 'required';
  if (auth === false) return 'off';
  return 'protected';
}

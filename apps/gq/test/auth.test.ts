import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  killAll,
  spawnServer,
  stopProcess,
  tempDir,
  type GqProcess,
} from './helpers/gq-process.js';
import { gq } from './helpers/run-cli.js';

let server: GqProcess;
let dir: { path: string; remove(): Promise<void> };
let adminKey: string;
const keys: string[] = [];

/** Creates a key through the running server with the admin key; returns `[key, id]`. */
async function createKey(role: string): Promise<[string, string]> {
  const run = await gq([
    'keys',
    'create',
    '--role',
    role,
    '--json',
    '--server',
    server.url,
    '--api-key',
    adminKey,
  ]);
  expect(run.code).toBe(0);
  const created = JSON.parse(run.stdout) as { key: string; id: string; role: string };
  expect(created.role).toBe(role);
  keys.push(created.key);
  return [created.key, created.id];
}

function submit(key: string | undefined): Promise<Response> {
  return fetch(`${server.url}/api/v1/jobs`, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/json',
      ...(key === undefined ? {} : { 'X-API-Key': key }),
    },
    body: JSON.stringify({ type: 'echo', payload: 'x' }),
  });
}

beforeAll(async () => {
  dir = await tempDir('gq-auth-');
  // Bootstrap: an admin key made on the stopped server's data directory, printed once.
  const bootstrap = await gq([
    'keys',
    'create',
    '--role',
    'admin',
    '--name',
    'root',
    '--data-dir',
    dir.path,
  ]);
  expect(bootstrap.code).toBe(0);
  expect(bootstrap.stderr).toBe(
    `gq: no store at ${dir.path} yet; creating one\nStore this key now: it is shown only once.\n`,
  );
  adminKey = /^key:\s+(\S+)$/m.exec(bootstrap.stdout)?.[1] as string;
  expect(adminKey).toMatch(/^gq_/);
  keys.push(adminKey);
  server = await spawnServer(dir.path, ['--auth']);
});

afterAll(async () => {
  await killAll();
  await dir?.remove();
});

describe('gq serve --auth', () => {
  it('runs in required mode even on loopback', () => {
    expect(server.stdout()).toMatch(/auth required/);
  });

  it('answers 401 without a key and with an unknown key, but /live and /ready need none', async () => {
    const none = await submit(undefined);
    expect(none.status).toBe(401);
    expect(((await none.json()) as { error: { code: string } }).error.code).toBe('unauthorized');
    expect((await submit('gq_0000000000000000_nope')).status).toBe(401);
    expect((await fetch(`${server.url}/live`)).status).toBe(200);
    expect((await fetch(`${server.url}/ready`)).status).toBe(200);
    const cli = await gq(['status', '--server', server.url]);
    expect(cli.code).toBe(1);
    expect(cli.stderr).toMatch(/\(unauthorized, HTTP 401\)\n$/);
  });

  it('answers 403 to a viewer that submits, and lets it read', async () => {
    const [viewer] = await createKey('viewer');
    const res = await submit(viewer);
    expect(res.status).toBe(403);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('forbidden');
    const read = await gq(['status', '--stats', '--json', '--server', server.url], {
      env: { GQ_API_KEY: viewer },
    });
    expect(read.code).toBe(0);
  });

  it('lets a producer submit, and answers 401 once its key is revoked', async () => {
    const [producer, id] = await createKey('producer');
    const ok = await gq([
      'submit',
      '--type',
      'echo',
      '--payload',
      '1',
      '--wait',
      '--server',
      server.url,
      '--api-key',
      producer,
    ]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/state:\s+completed/);
    const cannotCancel = await gq(['keys', 'list', '--server', server.url, '--api-key', producer]);
    expect(cannotCancel.code).toBe(1);
    expect(cannotCancel.stderr).toMatch(/forbidden, HTTP 403/);

    const revoked = await gq(['keys', 'revoke', id, '--server', server.url, '--api-key', adminKey]);
    expect(revoked).toMatchObject({ code: 0, stdout: `${id} revoked\n` });
    expect((await submit(producer)).status).toBe(401);
    const listed = await gq(['keys', '--json', '--server', server.url, '--api-key', adminKey]);
    const record = (
      JSON.parse(listed.stdout) as { keys: { id: string; revoked_at?: string }[] }
    ).keys.find((k) => k.id === id);
    expect(record?.revoked_at).toMatch(/^\d{4}-/);
  });

  it('keeps no key in plain text on disk', async () => {
    expect(await stopProcess(server)).toEqual({ code: 0, signal: null });
    expect(keys.length).toBeGreaterThanOrEqual(3);
    const files = await readdir(dir.path, { recursive: true, withFileTypes: true });
    let bytes = 0;
    for (const entry of files.filter((f) => f.isFile())) {
      const content = await readFile(join(entry.parentPath, entry.name));
      bytes += content.length;
      for (const key of keys) {
        // gq_<id>_<secret>: the secret may itself contain "_".
        const secret = key.slice(key.indexOf('_', 3) + 1);
        expect(secret.length).toBeGreaterThanOrEqual(32);
        expect(content.includes(key)).toBe(false);
        expect(content.includes(secret)).toBe(false);
      }
    }
    expect(bytes).toBeGreaterThan(0);
    // The bootstrap key still works after a restart: it is stored, hashed.
    server = await spawnServer(dir.path, ['--auth']);
    const list = await gq(['keys', '--server', server.url, '--api-key', adminKey]);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/root\s+admin/);
  });
});

import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { createJob } from '@gopherqueue/core';
import { LevelStore } from '@gopherqueue/persistence';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { jobToLine } from '../src/job-ndjson.js';
import { closedPort } from './helpers/closed-port.js';
import { tempDir } from './helpers/gq-process.js';
import {
  describeWithPostgres,
  dropSchemas,
  runSql,
  TEST_POSTGRES_URL,
  uniqueSchema,
} from './helpers/postgres.js';
import { gq } from './helpers/run-cli.js';

const dirs: { remove(): Promise<void> }[] = [];
let cwd: string;

beforeEach(async () => {
  const dir = await tempDir('gq-missing-');
  dirs.push(dir);
  cwd = dir.path;
});

afterAll(async () => {
  for (const dir of dirs) await dir.remove();
});

/** The one line a command prints when there is no store at `dataDir`. */
function noStore(dataDir: string): string {
  return `gq: no store at ${dataDir}: check the path (\`gq serve --data-dir ${dataDir}\` creates a store)\n`;
}

describe('commands that read a stopped data directory', () => {
  it('gq export fails on a mistyped --data-dir and creates nothing', async () => {
    const run = await gq(['export', '--data-dir', './typo-dir'], { cwd });
    expect(run).toEqual({ code: 1, stdout: '', stderr: noStore('./typo-dir') });
    expect(existsSync(join(cwd, 'typo-dir'))).toBe(false);
  });

  it('gq export fails on an empty directory and writes nothing into it', async () => {
    mkdirSync(join(cwd, 'empty'));
    const run = await gq(['export', '--data-dir', 'empty'], { cwd });
    expect(run).toEqual({ code: 1, stdout: '', stderr: noStore('empty') });
    expect(readdirSync(join(cwd, 'empty'))).toEqual([]);
  });

  it('gq migrate fails on a mistyped --from-data-dir before reaching PostgreSQL', async () => {
    const target = `postgres://postgres@127.0.0.1:${await closedPort()}/none`;
    const run = await gq(
      ['migrate', '--from-data-dir', './nonexistent', '--to-postgres-url', target],
      { cwd },
    );
    expect(run).toEqual({ code: 1, stdout: '', stderr: noStore('./nonexistent') });
    expect(existsSync(join(cwd, 'nonexistent'))).toBe(false);
  });

  it('gq keys list and revoke fail on a mistyped --data-dir; gq keys create makes a store, saying so', async () => {
    for (const args of [
      ['keys', 'list', '--data-dir', './typo'],
      ['keys', 'revoke', '01a22843-5204-7000-82ae-cdf3e17b189c', '--data-dir', './typo'],
    ]) {
      expect(await gq(args, { cwd })).toEqual({ code: 1, stdout: '', stderr: noStore('./typo') });
    }
    expect(existsSync(join(cwd, 'typo'))).toBe(false);
    // The first admin key of a server that has not run yet.
    const created = await gq(
      ['keys', 'create', '--role', 'admin', '--data-dir', './new', '--json'],
      {
        cwd,
      },
    );
    expect(created.code).toBe(0);
    expect(created.stderr).toBe('gq: no store at ./new yet; creating one\n');
    const { id } = JSON.parse(created.stdout) as { id: string };
    const listed = await gq(['keys', 'list', '--data-dir', './new', '--json'], { cwd });
    expect(listed.stderr).toBe('');
    expect((JSON.parse(listed.stdout) as { keys: { id: string }[] }).keys.map((k) => k.id)).toEqual(
      [id],
    );
  });

  it('gq import creates a new store, saying so, and gq export then reads it', async () => {
    // One job as `gq export` writes it, from a store elsewhere.
    const source = await LevelStore.open({ location: join(cwd, 'source') });
    const { job } = await source.submit(createJob('restored', { n: 1 }));
    await source.close();
    const line = jobToLine(job);
    const imported = await gq(['import', '--data-dir', './fresh'], { cwd, stdin: line });
    expect(imported.code).toBe(0);
    expect(imported.stderr).toBe('gq: no store at ./fresh yet; creating one\n');
    const exported = await gq(['export', '--data-dir', './fresh'], { cwd });
    expect(exported.code).toBe(0);
    expect(exported.stderr).toBe('exported 1 job\n');
    expect(JSON.parse(exported.stdout)).toMatchObject({ id: job.id, type: 'restored' });
    const again = await gq(['import', '--data-dir', './fresh'], { cwd, stdin: line });
    expect(again.code).toBe(0);
    expect(again.stderr).toBe('');
  });
});

describeWithPostgres('commands that read a PostgreSQL store', () => {
  const schema = uniqueSchema('gq_missing');
  const schemaExists = async (): Promise<boolean> =>
    (await runSql('SELECT 1 FROM information_schema.schemata WHERE schema_name = $1', [schema])) ===
    1;

  afterAll(() => dropSchemas([schema]));

  it('gq export and gq keys fail on a schema without a store, and create nothing', async () => {
    const where = new URL(TEST_POSTGRES_URL);
    const message = `gq: no store in schema ${schema} at ${where.host}${where.pathname}: check --postgres-url and --postgres-schema (\`gq serve --store postgres\` creates a store)\n`;
    const flags = ['--postgres-url', TEST_POSTGRES_URL, '--postgres-schema', schema];
    expect(await gq(['export', ...flags], { cwd })).toEqual({
      code: 1,
      stdout: '',
      stderr: message,
    });
    expect(await gq(['keys', 'list', ...flags], { cwd })).toEqual({
      code: 1,
      stdout: '',
      stderr: message,
    });
    expect(await schemaExists()).toBe(false);
  });
});

import { afterAll, expect, it } from 'vitest';
import { eventually, killAll, spawnServer, stopProcess, tempDir } from './helpers/gq-process.js';
import { gq } from './helpers/run-cli.js';

afterAll(killAll);

it('gq submit --wait names the job it submitted when the server dies while it waits', async () => {
  const dir = await tempDir();
  try {
    const server = await spawnServer(dir.path, ['--workers', '1']);
    const waiting = gq([
      'submit',
      '--type',
      'sleep',
      '--payload',
      '"60s"',
      '--wait',
      '--server',
      server.url,
    ]);
    const running = await eventually(async () => {
      const res = await fetch(`${server.url}/api/v1/jobs?state=running`);
      const body = (await res.json()) as { jobs: { id: string }[] };
      return body.jobs[0];
    }, 'the job running');
    await stopProcess(server, 'SIGKILL');
    const run = await waiting;
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(
      new RegExp(`^gq: submitted job ${running.id}, then lost it while waiting: `),
    );
  } finally {
    await dir.remove();
  }
});

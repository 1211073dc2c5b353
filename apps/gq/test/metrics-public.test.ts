import { networkInterfaces } from 'node:os';
import { afterAll, describe, expect, it } from 'vitest';
import { killAll, spawnGq, stopProcess, tempDir } from './helpers/gq-process.js';
import { rawRequest } from './helpers/raw-http.js';

/** An IPv4 address of this machine that is not loopback: a peer from "another machine". */
const outside = Object.values(networkInterfaces())
  .flat()
  .find((info) => info !== undefined && info.family === 'IPv4' && !info.internal)?.address;

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  await killAll();
  for (const cleanup of cleanups) await cleanup();
});

async function serve(http: string, flags: string[]) {
  const dir = await tempDir('gq-metrics-public-');
  cleanups.push(() => dir.remove());
  return spawnGq(
    ['serve', '--http', http, '--data-dir', dir.path, '--log-level', 'warn', ...flags],
    { ready: /listening on (http:\/\/\S+)/ },
  );
}

describe('gq serve --auth --metrics-public', () => {
  it.skipIf(outside === undefined)(
    'serves /metrics without a key to a scraper on another address, under any Host, and nothing else',
    async () => {
      const server = await serve('0.0.0.0:0', ['--auth', '--metrics-public']);
      const port = new URL(server.url).port;
      const remote = (path: string, headers: Record<string, string> = {}) =>
        rawRequest(`http://${outside}:${port}${path}`, { headers });
      const scraped = await remote('/metrics', { host: `gq.internal:${port}` });
      expect(scraped.status).toBe(200);
      expect(scraped.text).toMatch(/^gq_workers\{kind="local"\} 10$/m);
      expect((await remote('/metrics?format=json')).status).toBe(200);
      expect((await remote('/health')).status).toBe(401);
      expect((await remote('/api/v1/stats')).status).toBe(401);
      expect((await remote('/live')).status).toBe(200);
      // A web page still cannot read it.
      const page = await remote('/metrics', { origin: 'http://evil.example' });
      expect(page.status).toBe(403);
      expect((await stopProcess(server)).code).toBe(0);
    },
  );

  it('serves /metrics without a key behind a local proxy that names an allowed host, not another', async () => {
    const server = await serve('127.0.0.1:0', [
      '--auth',
      '--metrics-public',
      '--allowed-hosts',
      'metrics.example.com',
    ]);
    const local = (host: string) => rawRequest(`${server.url}/metrics`, { headers: { host } });
    expect((await local('metrics.example.com')).status).toBe(200);
    expect((await local('127.0.0.1')).status).toBe(200);
    expect((await local('rebound.example.net')).status).toBe(403);
    expect((await stopProcess(server)).code).toBe(0);
  });

  it('needs a key for /metrics under --auth without --metrics-public', async () => {
    const server = await serve('127.0.0.1:0', ['--auth']);
    expect(
      (await rawRequest(`${server.url}/metrics`, { headers: { host: '127.0.0.1' } })).status,
    ).toBe(401);
    expect((await stopProcess(server)).code).toBe(0);
  });
});

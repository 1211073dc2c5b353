import { GopherQueueClient, isConnectionError } from '@gopherqueue/client';
import { describe, expect, it } from 'vitest';
import { CliError, noServerMessage, toCliError } from './cli-error.js';
import { closedPort } from '../test/helpers/closed-port.js';

describe('toCliError', () => {
  it('says there is no server, and how to start one, when the connection is refused', async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    const refused = await fetch(url).catch((err: unknown) => err);
    expect(isConnectionError(refused)).toBe(true);
    const err = toCliError(refused, url);
    expect(err.message).toBe(
      `no GopherQueue server at ${url}: start one with \`gq serve\` or pass --server`,
    );
    expect(err.exitCode).toBe(1);
    expect(noServerMessage('http://x')).toContain('gq serve');
  });

  it('gives an API error its code and status', () => {
    const apiError = Object.assign(new Error('job 1 not found'), {
      status: 404,
      code: 'not_found',
    });
    const err = toCliError(apiError, 'http://s');
    expect(err.message).toBe('job 1 not found (not_found, HTTP 404)');
    expect(err.exitCode).toBe(1);
  });

  it('keeps a CliError as it is', () => {
    const original = new CliError('usage', 2);
    expect(toCliError(original, 'http://s')).toBe(original);
  });
});

describe('toCliError for other fetch failures', () => {
  it('names the server and the cause', async () => {
    const failed = await fetch('http://127.0.0.1:1/').catch((err: unknown) => err);
    expect(toCliError(failed, 'http://127.0.0.1:1').message).toBe(
      'cannot reach http://127.0.0.1:1: bad port',
    );
    const client = new GopherQueueClient({ baseUrl: 'http://127.0.0.1:1' });
    const fromClient = await client.stats().catch((err: unknown) => err);
    expect(toCliError(fromClient, 'http://127.0.0.1:1').message).toBe(
      'cannot reach http://127.0.0.1:1: bad port',
    );
  });
});

import { PassThrough } from 'node:stream';
import { GqError } from '@gopherqueue/core';
import { describe, expect, it } from 'vitest';
import { createLogger, type LoggerOptions } from './create-logger.js';

function capture(options: Omit<LoggerOptions, 'stream'> = {}, tty = false) {
  const stream = new PassThrough();
  if (tty) Object.assign(stream, { isTTY: true });
  const chunks: string[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk.toString('utf8')));
  const logger = createLogger({ ...options, stream });
  const lines = async () => {
    await new Promise((resolve) => setImmediate(resolve));
    return chunks
      .join('')
      .split('\n')
      .filter((line) => line !== '');
  };
  return { logger, lines };
}

describe('createLogger', () => {
  it('writes one JSON object per line with the message, level, timestamp and fields', async () => {
    const { logger, lines } = capture({ format: 'json', defaultFields: { service: 'gq' } });
    logger.info('job completed', { jobId: 'j1', type: 'echo', attempt: 1, durationMs: 12 });
    const out = await lines();
    expect(out).toHaveLength(1);
    const record = JSON.parse(out[0]!) as Record<string, unknown>;
    expect(record).toMatchObject({
      level: 'info',
      message: 'job completed',
      service: 'gq',
      jobId: 'j1',
      type: 'echo',
      attempt: 1,
      durationMs: 12,
    });
    expect(new Date(record.timestamp as string).toISOString()).toBe(record.timestamp);
  });

  it('adds the fields of child loggers to every line, nearest fields winning', async () => {
    const { logger, lines } = capture({ format: 'json' });
    const job = logger.child({ jobId: 'j2', type: 'sleep', attempt: 1 });
    const retry = job.child({ attempt: 2 });
    job.warn('slow');
    retry.error('failed', { durationMs: 5, attempt: 3 });
    retry.child({ worker: 'w1' }).info('again');
    const [first, second, third] = (await lines()).map(
      (l) => JSON.parse(l) as Record<string, unknown>,
    );
    expect(first).toMatchObject({ level: 'warn', message: 'slow', jobId: 'j2', attempt: 1 });
    expect(second).toMatchObject({
      level: 'error',
      message: 'failed',
      jobId: 'j2',
      type: 'sleep',
      attempt: 3,
      durationMs: 5,
    });
    // A child's own field beats its parent's; a grandchild keeps both.
    expect(third).toMatchObject({ message: 'again', jobId: 'j2', attempt: 2, worker: 'w1' });
  });

  it('drops lines below the level', async () => {
    const { logger, lines } = capture({ format: 'json', level: 'warn' });
    logger.debug('d');
    logger.info('i');
    logger.warn('w');
    logger.error('e');
    expect((await lines()).map((l) => (JSON.parse(l) as { message: string }).message)).toEqual([
      'w',
      'e',
    ]);
  });

  it('writes errors as name, message, code and stack', async () => {
    const { logger, lines } = capture({ format: 'json' });
    logger.error('store failed', { err: new GqError('GQ_STORE_FAILED', 'disk full') });
    const record = JSON.parse((await lines())[0]!) as { err: Record<string, unknown> };
    expect(record.err).toMatchObject({
      name: 'GqError',
      message: 'disk full',
      code: 'GQ_STORE_FAILED',
    });
    expect(record.err.stack).toContain('disk full');
  });

  it('keeps fields when the message contains a percent sign', async () => {
    const { logger, lines } = capture({ format: 'json' });
    logger.info('progress 50%s done', { jobId: 'j3' });
    expect(JSON.parse((await lines())[0]!)).toMatchObject({
      message: 'progress 50%s done',
      jobId: 'j3',
    });
  });

  it('leads each JSON line with level and message, which fields never replace', async () => {
    const { logger, lines } = capture({ format: 'json' });
    logger.warn('disk low', { level: 'debug', message: 'other', freeBytes: 10 });
    const [line] = await lines();
    expect(line).toMatch(/^\{"level":"warn","message":"disk low","freeBytes":10,"timestamp":"/);
  });

  it('writes readable lines in pretty format', async () => {
    const { logger, lines } = capture({ format: 'pretty' });
    logger.child({ jobId: 'j4' }).info('job completed', { type: 'echo', note: 'two words' });
    const [line] = await lines();
    expect(line).toMatch(
      /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z info {2}job completed jobId=j4 type=echo note="two words"$/,
    );
  });

  it('escapes control characters of messages, fields and stacks in pretty lines', async () => {
    const { logger, lines } = capture({ format: 'pretty' });
    const red = '\u001b[31mred\u001b[0m';
    const err = new Error(`boom \u001b]0;title\u0007 \u009b2J`);
    logger.warn(`job failed ${red}\r\nfake line`, {
      error: red,
      raw: 'a\u001bb',
      obj: { m: '\u009b31m' },
      ['k\u001b']: 1,
      err,
    });
    const out = (await lines()).join('\n');
    const controls: number[] = [];
    for (let i = 0; i < out.length; i++) {
      const code = out.charCodeAt(i);
      if ((code < 0x20 && code !== 0x0a) || (code >= 0x7f && code <= 0x9f)) controls.push(code);
    }
    expect(controls).toEqual([]);
    const [line, stackHead] = await lines();
    expect(line).toMatch(
      /^\S+ warn {2}job failed \\u001b\[31mred\\u001b\[0m\\r\\nfake line error="\\u001b\[31mred\\u001b\[0m" raw="a\\u001bb" obj=\{"m":"\\u009b31m"\} k\\u001b=1 err="boom \\u001b\]0;title\\u0007 \\u009b2J"$/,
    );
    expect(stackHead).toBe('Error: boom \\u001b]0;title\\u0007 \\u009b2J');
  });

  it('picks pretty colourised lines for a terminal and JSON otherwise', async () => {
    const tty = capture({}, true);
    tty.logger.info('hello', { a: 1 });
    const [ttyLine] = await tty.lines();
    expect(ttyLine).toContain('\u001b[32minfo \u001b[0m hello');
    expect(() => JSON.parse(ttyLine!) as unknown).toThrow();

    const pipe = capture();
    pipe.logger.info('hello', { a: 1 });
    expect(JSON.parse((await pipe.lines())[0]!)).toMatchObject({ message: 'hello', a: 1 });
  });

  it('rejects an unknown level or format', () => {
    expect(() => createLogger({ level: 'verbose' as 'info' })).toThrow(RangeError);
    expect(() => createLogger({ format: 'xml' as 'json' })).toThrow(/format must be one of/);
  });
});

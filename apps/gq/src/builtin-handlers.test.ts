import type { Json } from '@gopherqueue/core';
import { describe, expect, it } from 'vitest';
import {
  BUILTIN_HANDLERS,
  echoHandler,
  errorHandler,
  sleepDuration,
  sleepHandler,
  type BuiltinContext,
} from './builtin-handlers.js';

function context(payload: Json, signal = new AbortController().signal) {
  const progress: Json[] = [];
  const ctx: BuiltinContext = {
    payload,
    signal,
    progress: (value) => {
      progress.push(value);
      return Promise.resolve();
    },
  };
  return { ctx, progress };
}

describe('built-in handlers', () => {
  it('registers echo, sleep and error', () => {
    expect(Object.keys(BUILTIN_HANDLERS).sort()).toEqual(['echo', 'error', 'sleep']);
  });

  it('echo returns its payload', async () => {
    expect(await echoHandler(context({ message: 'hi' }).ctx)).toEqual({ message: 'hi' });
  });

  it('sleep reads "2s", {"duration": "2s"} and milliseconds', () => {
    expect(sleepDuration('2s')).toBe(2000);
    expect(sleepDuration({ duration: '150ms' })).toBe(150);
    expect(sleepDuration(40)).toBe(40);
    expect(() => sleepDuration(null)).toThrow('sleep expects a duration like "2s"');
    expect(() => sleepDuration({ duration: 'x' })).toThrow(RangeError);
  });

  it('sleep waits, reports progress in percent, and returns what it slept', async () => {
    const { ctx, progress } = context('600ms');
    expect(await sleepHandler(ctx)).toEqual({ slept_ms: 600 });
    expect(progress.length).toBeGreaterThanOrEqual(1);
    for (const value of progress) {
      expect(typeof value).toBe('number');
      expect(value as number).toBeGreaterThanOrEqual(0);
      expect(value as number).toBeLessThan(100);
    }
  });

  it('sleep stops when the signal fires, with the signal reason', async () => {
    const controller = new AbortController();
    const { ctx } = context('1h', controller.signal);
    const running = sleepHandler(ctx);
    const reason = new Error('cancelled');
    controller.abort(reason);
    await expect(running).rejects.toBe(reason);
  });

  it('error fails with its payload as the message', async () => {
    await expect(errorHandler(context('disk full').ctx)).rejects.toThrow('disk full');
    await expect(errorHandler(context({ message: 'bad input' }).ctx)).rejects.toThrow('bad input');
    await expect(errorHandler(context({ code: 7 }).ctx)).rejects.toThrow('{"code":7}');
    await expect(errorHandler(context(null).ctx)).rejects.toThrow('error handler failed');
  });
});

import { describe, expect, it } from 'vitest';
import { readDeclaredSchedules } from './declared-schedules.js';

describe('readDeclaredSchedules', () => {
  it('reads an object of schedules by name and an array of named ones alike', () => {
    const job = { type: 'report', timeout: '10m', max_attempts: 2 };
    const fromObject = readDeclaredSchedules(
      { nightly: { cron: '30 2 * * *', timezone: 'Europe/Berlin', job } },
      './h.js',
    );
    const fromArray = readDeclaredSchedules(
      [{ name: 'nightly', cron: '30 2 * * *', timezone: 'Europe/Berlin', job }],
      './h.js',
    );
    expect(fromObject).toEqual([
      {
        name: 'nightly',
        definition: {
          cron: '30 2 * * *',
          timezone: 'Europe/Berlin',
          job: { type: 'report', timeoutMs: 600_000, maxAttempts: 2 },
        },
      },
    ]);
    expect(fromArray).toEqual(fromObject);
  });

  it('names the module, the schedule and the field of a bad declaration', () => {
    const cases: [unknown, string][] = [
      [
        { a: { every: 'soon', job: { type: 't' } } },
        '--handlers ./h.js: schedules.a.every: must be a duration',
      ],
      [[{ name: 'a', cron: '* *', job: { type: 't' } }], '--handlers ./h.js: schedules.0.cron: '],
      [{ a: { every: '1m', job: { type: 't' }, paused: true } }, 'schedules.a.paused'],
      [{ a: { name: 'b', every: '1m', job: { type: 't' } } }, 'schedule "a" names itself "b"'],
      [
        [
          { name: 'a', every: '1m', job: { type: 't' } },
          { name: 'a', every: '2m', job: { type: 't' } },
        ],
        'schedule "a" is declared twice',
      ],
      ['nightly', 'must be an array of schedules or an object of them by name'],
    ];
    for (const [value, message] of cases) {
      expect(() => readDeclaredSchedules(value, './h.js')).toThrow(message);
    }
  });
});

import { describe, expect, it } from 'vitest';
import { SCHEDULE_NAME, scheduleTickKey } from './schedule.js';

describe('SCHEDULE_NAME', () => {
  it('takes 1..128 letters, digits and _.:- with at least one that is not a dot', () => {
    const taken = ['nightly', 'a', 'reports.daily', 'v1.2:eu-west_3', '.hidden', 'x..', '..x'];
    for (const name of taken) expect(SCHEDULE_NAME.test(name), name).toBe(true);
    expect(SCHEDULE_NAME.test('x'.repeat(128))).toBe(true);
  });

  it('refuses names made only of dots, which a URL cannot carry as a path segment', () => {
    const refused = ['.', '..', '...', '.'.repeat(128), '', 'x'.repeat(129), 'a b', 'a/b', 'é'];
    for (const name of refused) expect(SCHEDULE_NAME.test(name), name).toBe(false);
  });
});

describe('scheduleTickKey', () => {
  it('names the schedule and the tick as an RFC 3339 time', () => {
    expect(scheduleTickKey('nightly', Date.UTC(2026, 0, 2, 3, 4, 5))).toBe(
      'schedule:nightly@2026-01-02T03:04:05.000Z',
    );
  });
});

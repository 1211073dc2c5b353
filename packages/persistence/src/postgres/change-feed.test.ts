import { describe, expect, it } from 'vitest';
import { noopLogger, type StoreChange } from '@gopherqueue/core';
import { ChangeFeed } from './change-feed.js';

describe('ChangeFeed.receive', () => {
  it('passes over payloads that are not its own format, whoever sent them, and reads the rest', () => {
    const feed = new ChangeFeed('gq_changes', 'me', noopLogger, () => Promise.resolve());
    const seen: StoreChange[] = [];
    feed.subscribe((change) => seen.push(change));
    const receive = (payload: string | undefined) =>
      feed.receive({ processId: 1, channel: 'gq_changes', payload });
    // Any client of the database may NOTIFY on the channel: `null` used to throw in the
    // connection's event handler.
    for (const payload of [
      undefined,
      'null',
      '5',
      '"x"',
      '[1]',
      '{',
      '{"c":null}',
      '{"c":[7,null]}',
    ]) {
      expect(() => receive(payload)).not.toThrow();
    }
    expect(seen).toEqual([]);
    receive('{"o":"me","c":[["updated","a","running"]]}');
    expect(seen).toEqual([]);
    receive('{"o":"other","c":[["updated","a","running","scheduled","q",5,1],["nope","b"],null]}');
    expect(seen).toEqual([
      {
        kind: 'updated',
        id: 'a',
        state: 'running',
        previous: 'scheduled',
        queue: 'q',
        runAt: 5,
        attempt: 1,
      },
    ]);
    // Its own payloads, as encode writes them, are passed over unparsed; an origin that only
    // begins like its own is another store's.
    for (const payload of feed.encode([{ kind: 'updated', id: 'b', state: 'completed' }], 'me')) {
      receive(payload);
    }
    receive('{"o":"me2","c":[["updated","c","completed"]]}');
    expect(seen.map((change) => [change.id, change.state])).toEqual([
      ['a', 'running'],
      ['c', 'completed'],
    ]);
  });
});

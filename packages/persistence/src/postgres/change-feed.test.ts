import { describe, expect, it } from 'vitest';
import { noopLogger, type StoreChange } from '@gopherqueue/core';
import pg from 'pg';
import { ChangeFeed } from './change-feed.js';
import { describeWithPostgres } from './describe-with-postgres.js';
import { TEST_POSTGRES_URL } from './test-database.js';

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

describeWithPostgres('ChangeFeed over NOTIFY', () => {
  it('delivers every change to another process, in order, whatever its text holds', async () => {
    const channel = `gq_feed_test_${process.pid}`;
    const listener = new pg.Client({ connectionString: TEST_POSTGRES_URL });
    const sender = new pg.Client({ connectionString: TEST_POSTGRES_URL });
    await Promise.all([listener.connect(), sender.connect()]);
    try {
      const other = new ChangeFeed(channel, 'other', noopLogger, () => Promise.resolve());
      const heard: StoreChange[] = [];
      other.subscribe((change) => heard.push(change));
      const notifications: string[] = [];
      listener.on('notification', (message) => {
        notifications.push(message.payload ?? '');
        other.receive(message);
      });
      await listener.query(`LISTEN ${channel}`);

      const feed = new ChangeFeed(channel, 'me', noopLogger, (text, values) =>
        sender.query(text, values),
      );
      // Queue names with newlines, quotes, backslashes, a line separator and a NUL escape,
      // and enough changes to fill several payloads.
      const queues = ['a\nb', `it's "q"`, 'back\\slash', 'ls\u2028ps', 'nul\u0000x', 'ümlaut'];
      const sent: StoreChange[] = Array.from({ length: 400 }, (_, i) => ({
        kind: 'updated',
        id: `job-${i}`,
        state: 'completed',
        previous: 'running',
        queue: queues[i % queues.length] as string,
        runAt: 1_700_000_000_000 + i,
        attempt: 1,
      }));
      feed.publish(sent.slice(0, 200));
      await feed.drain();
      await sender.query('BEGIN');
      await feed.notifyOwn(sender, sent.slice(200));
      await sender.query('COMMIT');
      const deadline = Date.now() + 5000;
      while (heard.length < sent.length && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      expect(notifications.length).toBeGreaterThan(2);
      expect(heard).toEqual(sent);
    } finally {
      await Promise.all([listener.end(), sender.end()]);
    }
  });
});

import { describe, expect, it } from 'vitest';
import { SseParser } from './sse-parser.js';

describe('SseParser', () => {
  it('parses events split across chunks, skipping comments', () => {
    const parser = new SseParser();
    expect(parser.push('event: connected\ndata: {"status":')).toEqual([]);
    expect(parser.push('"connected"}\n\n: keepalive\n\nevent: job.created\r\nid: 1\r\n')).toEqual([
      { event: 'connected', data: { status: 'connected' } },
    ]);
    expect(parser.push('data: {"id":"1"}\r\n\r\n')).toEqual([
      { event: 'job.created', id: '1', data: { id: '1' } },
    ]);
  });

  it('joins multi-line data and keeps text that is not JSON', () => {
    const parser = new SseParser();
    expect(parser.push('data: line one\ndata: line two\n\ndata:{"a":1}\n\n')).toEqual([
      { event: 'message', data: 'line one\nline two' },
      { event: 'message', data: { a: 1 } },
    ]);
  });

  it('keeps an event whole when a CRLF line end is split between chunks', () => {
    const parser = new SseParser();
    expect(parser.push('event: job.created\r')).toEqual([]);
    expect(parser.push('\ndata: {"id":"1"}\r')).toEqual([]);
    expect(parser.push('\n')).toEqual([]);
    expect(parser.push('\r\n')).toEqual([{ event: 'job.created', data: { id: '1' } }]);
  });

  it('reads a long line sent in many chunks, and refuses an event past its bound', () => {
    const parser = new SseParser({ maxEventChars: 10_000 });
    const text = 'x'.repeat(9_000);
    const events = [];
    events.push(...parser.push('data: '));
    for (let i = 0; i < text.length; i += 100) events.push(...parser.push(text.slice(i, i + 100)));
    events.push(...parser.push('\n\n'));
    expect(events).toEqual([{ event: 'message', data: text }]);
    // One line that never ends, and one event of many short lines.
    expect(() => parser.push('data: ' + 'y'.repeat(10_001))).toThrow(RangeError);
    const lines = new SseParser({ maxEventChars: 10_000 });
    expect(() => {
      for (let i = 0; i < 2_000; i++) lines.push('data: 12345\n');
    }).toThrow('an event of the stream passed 10000 characters; the stream is not read further');
  });
});

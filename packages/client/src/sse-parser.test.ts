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
});

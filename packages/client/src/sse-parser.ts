/** One Server-Sent Event as the client yields it. */
export interface SseEvent {
  /** The event name (`connected`, `job.completed`, ...); `message` when the server gave none. */
  event: string;
  /** The data, parsed as JSON when it is JSON, else the raw text. */
  data: unknown;
  /** The event id (the job id for job events). */
  id?: string;
}

/**
 * Incremental parser of a `text/event-stream`: feed it text chunks as they arrive and it returns
 * the events each chunk completed. Comment lines (keep-alives) are skipped.
 */
export class SseParser {
  #buffer = '';
  #event = '';
  #data: string[] = [];
  #id: string | undefined;

  /** Parses `chunk` and returns the events it completed. */
  push(chunk: string): SseEvent[] {
    this.#buffer += chunk;
    const events: SseEvent[] = [];
    for (;;) {
      const end = this.#buffer.search(/\r\n|\r|\n/);
      if (end === -1) break;
      const line = this.#buffer.slice(0, end);
      const eolLength = this.#buffer.startsWith('\r\n', end) ? 2 : 1;
      this.#buffer = this.#buffer.slice(end + eolLength);
      const event = this.#line(line);
      if (event !== undefined) events.push(event);
    }
    return events;
  }

  #line(line: string): SseEvent | undefined {
    if (line === '') return this.#dispatch();
    if (line.startsWith(':')) return undefined;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') this.#event = value;
    else if (field === 'data') this.#data.push(value);
    else if (field === 'id') this.#id = value;
    return undefined;
  }

  #dispatch(): SseEvent | undefined {
    if (this.#data.length === 0) {
      this.#event = '';
      this.#id = undefined;
      return undefined;
    }
    const text = this.#data.join('\n');
    let data: unknown = text;
    try {
      data = JSON.parse(text);
    } catch {
      // Not JSON: keep the text.
    }
    const event: SseEvent = { event: this.#event === '' ? 'message' : this.#event, data };
    if (this.#id !== undefined) event.id = this.#id;
    this.#event = '';
    this.#data = [];
    // Unlike a browser's EventSource, an id belongs to its own event only.
    this.#id = undefined;
    return event;
  }
}

/** One Server-Sent Event as the client yields it. */
export interface SseEvent {
  /** The event name (`connected`, `job.completed`, ...); `message` when the server gave none. */
  event: string;
  /** The data, parsed as JSON when it is JSON, else the raw text. */
  data: unknown;
  /** The event id (the job id for job events). */
  id?: string;
}

/** The most characters one event may take by default (its lines and a line still unfinished). */
export const MAX_SSE_EVENT_CHARS = 32 * 1024 * 1024;

const EOL = /\r\n|\r|\n/g;

/**
 * Incremental parser of a `text/event-stream`: feed it text chunks as they arrive and it returns
 * the events each chunk completed. Comment lines (keep-alives) are skipped. What it holds is
 * bounded: an event (or a line) longer than `maxEventChars` is refused with a RangeError, so a
 * stream that never ends its event cannot take the client's memory. Each chunk is read once: a
 * long line split over many chunks costs its length, not its length times the chunks.
 */
export class SseParser {
  readonly #max: number;
  #buffer = '';
  #event = '';
  #data: string[] = [];
  #dataChars = 0;
  #id: string | undefined;
  /** The last chunk ended a line with `\r`: a `\n` opening the next one belongs to it. */
  #skipLf = false;

  constructor(options: { maxEventChars?: number } = {}) {
    this.#max = options.maxEventChars ?? MAX_SSE_EVENT_CHARS;
  }

  /**
   * Parses `chunk` and returns the events it completed.
   * @throws RangeError when the event being read passes `maxEventChars`.
   */
  push(chunk: string): SseEvent[] {
    let text = chunk;
    if (this.#skipLf && text.startsWith('\n')) text = text.slice(1);
    if (chunk.length > 0) this.#skipLf = false;
    // What the buffer held before holds no line end: the search starts at the new text.
    EOL.lastIndex = this.#buffer.length;
    this.#buffer += text;
    const events: SseEvent[] = [];
    let start = 0;
    for (let match = EOL.exec(this.#buffer); match !== null; match = EOL.exec(this.#buffer)) {
      const line = this.#buffer.slice(start, match.index);
      start = match.index + match[0].length;
      if (match[0] === '\r' && start === this.#buffer.length) this.#skipLf = true;
      const event = this.#line(line);
      if (event !== undefined) events.push(event);
    }
    this.#buffer = this.#buffer.slice(start);
    if (this.#buffer.length + this.#dataChars > this.#max) {
      throw new RangeError(
        `an event of the stream passed ${this.#max} characters; the stream is not read further`,
      );
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
    else if (field === 'data') {
      this.#data.push(value);
      this.#dataChars += value.length + 1;
    } else if (field === 'id') this.#id = value;
    return undefined;
  }

  #dispatch(): SseEvent | undefined {
    if (this.#data.length === 0) {
      this.#dataChars = 0;
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
    this.#dataChars = 0;
    // Unlike a browser's EventSource, an id belongs to its own event only.
    this.#id = undefined;
    return event;
  }
}

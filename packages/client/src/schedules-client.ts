import type { RequestOptions } from './client-types.js';
import type { HttpTransport } from './http-transport.js';
import type { WireJob } from './wire-types.js';
import type {
  ScheduleFieldsInput,
  ScheduleInput,
  SchedulePage,
  SchedulePageQuery,
  WireSchedule,
} from './schedule-wire-types.js';

/** The recurring schedules of a server: `client.schedules`. */
export class SchedulesClient {
  readonly #http: HttpTransport;

  constructor(http: HttpTransport) {
    this.#http = http;
  }

  #path(name: string, action = ''): string {
    return `/api/v1/schedules/${encodeURIComponent(name)}${action}`;
  }

  /** Every schedule, by name: every page, one request per 1000. */
  async list(options: RequestOptions = {}): Promise<WireSchedule[]> {
    const all: WireSchedule[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.page(
        { limit: 1000, ...(cursor === undefined ? {} : { cursor }) },
        options,
      );
      all.push(...page.schedules);
      cursor = page.next_cursor;
    } while (cursor !== undefined);
    return all;
  }

  /** One page of schedules by name (`limit` 1..1000, default 100), after `cursor`. */
  page(query: SchedulePageQuery = {}, options: RequestOptions = {}): Promise<SchedulePage> {
    return this.#http.json<SchedulePage>('GET', '/api/v1/schedules', {
      ...options,
      query: { limit: query.limit, cursor: query.cursor },
    });
  }

  /** One schedule with its next run times. */
  get(name: string, options: RequestOptions = {}): Promise<WireSchedule> {
    return this.#http.json<WireSchedule>('GET', this.#path(name), options);
  }

  /** Creates a schedule (409 when the name exists). */
  create(input: ScheduleInput, options: RequestOptions = {}): Promise<WireSchedule> {
    return this.#http.json<WireSchedule>('POST', '/api/v1/schedules', { ...options, body: input });
  }

  /** Changes the given fields; `job` is replaced whole. */
  update(name: string, fields: ScheduleFieldsInput, options: RequestOptions = {}) {
    return this.#http.json<WireSchedule>('PATCH', this.#path(name), { ...options, body: fields });
  }

  /** Deletes a schedule; its jobs stay. */
  async delete(name: string, options: RequestOptions = {}): Promise<void> {
    await this.#http.request('DELETE', this.#path(name), options);
  }

  /** Creates a job from the schedule now, outside its ticks. */
  trigger(name: string, options: RequestOptions = {}): Promise<WireJob> {
    return this.#http.json<WireJob>('POST', this.#path(name, '/trigger'), options);
  }

  pause(name: string, options: RequestOptions = {}): Promise<WireSchedule> {
    return this.#http.json<WireSchedule>('POST', this.#path(name, '/pause'), options);
  }

  /** Resumes; the ticks that passed while paused do not run. */
  resume(name: string, options: RequestOptions = {}): Promise<WireSchedule> {
    return this.#http.json<WireSchedule>('POST', this.#path(name, '/resume'), options);
  }
}

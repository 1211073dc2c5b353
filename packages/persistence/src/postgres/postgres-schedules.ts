import {
  ErrorCode,
  GqError,
  type FireInput,
  type FireOutcome,
  type JobSpec,
  type NamedFireInput,
  type SchedulePage,
  type ScheduleDefinition,
  type ScheduleSource,
  type ScheduleStore,
  type ScheduleWrite,
  type StoredSchedule,
  type SubmitResult,
} from '@gopherqueue/core';
import type pg from 'pg';
import type { RunQuery } from './postgres-meta-store.js';
import type { PgExecutor } from './pg-executor.js';
import { submitJobs } from './submit-jobs.js';
import {
  checkFireBatch,
  checkScheduleName,
  checkSchedulePage,
  checkScheduleRoom,
  fireRefusal,
} from '../schedule-input.js';
import { checkSpecTimes } from '../time-bounds.js';
import { withSaneLastTick } from '../schedule-input.js';

/** A `schedules` row as `pg` returns it (bigint columns arrive as strings). */
interface ScheduleRow {
  name: string;
  definition: ScheduleDefinition;
  source: string;
  paused: boolean;
  last_tick: string;
  revision: number;
  created_at: string;
  updated_at: string;
}

/** A row as a schedule; a `last_tick` no Date can hold is read as {@link withSaneLastTick} says. */
function fromRow(row: ScheduleRow): StoredSchedule {
  return withSaneLastTick({
    name: row.name,
    definition: row.definition,
    source: (row.source === 'code' ? 'code' : 'api') satisfies ScheduleSource,
    paused: row.paused,
    lastTick: Number(row.last_tick),
    revision: row.revision,
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  });
}

/**
 * The PostgresStore's {@link ScheduleStore} over the `schedules` table (migration 7). `fire` and
 * `fireMany` lock the schedules' rows, check them, move `last_tick` and insert the jobs in one
 * transaction: of the nodes firing one tick, the first commits and the others, waiting on the row
 * lock, then find the tick done.
 */
export class PostgresSchedules implements ScheduleStore {
  readonly #table: string;
  readonly #s: string;
  readonly #query: RunQuery;
  readonly #exec: PgExecutor;
  readonly #now: () => number;

  constructor(schema: string, exec: PgExecutor, now: () => number) {
    this.#s = schema;
    this.#table = `${schema}.schedules`;
    this.#exec = exec;
    this.#query = exec.query.bind(exec);
    this.#now = now;
  }

  async list(page?: SchedulePage): Promise<StoredSchedule[]> {
    const { after, limit } = checkSchedulePage(page);
    const rows = await this.#query<ScheduleRow>(
      after === undefined
        ? `SELECT * FROM ${this.#table} ORDER BY name LIMIT $1`
        : `SELECT * FROM ${this.#table} WHERE name > $2 ORDER BY name LIMIT $1`,
      after === undefined ? [limit] : [limit, after],
    );
    return rows.map(fromRow);
  }

  async get(name: string): Promise<StoredSchedule | undefined> {
    const rows = await this.#query<ScheduleRow>(`SELECT * FROM ${this.#table} WHERE name = $1`, [
      name,
    ]);
    return rows[0] === undefined ? undefined : fromRow(rows[0]);
  }

  async put(write: ScheduleWrite): Promise<StoredSchedule> {
    checkScheduleName(write.name);
    const now = this.#now();
    return this.#exec.tx(async (c) => {
      const exists = await c.query(`SELECT 1 FROM ${this.#table} WHERE name = $1`, [write.name]);
      if (exists.rowCount === 0) {
        const { rows } = await c.query<{ n: string }>(`SELECT count(*) AS n FROM ${this.#table}`);
        checkScheduleRoom(Number(rows[0]?.n ?? 0));
      }
      const { rows } = await c.query<ScheduleRow>(
        `INSERT INTO ${this.#table}
           (name, definition, source, paused, last_tick, revision, created_at, updated_at)
         VALUES ($1, $2::jsonb, $3, false, $4, 1, $4, $4)
         ON CONFLICT (name) DO UPDATE SET definition = excluded.definition,
           source = excluded.source, revision = ${this.#table}.revision + 1,
           updated_at = excluded.updated_at
         WHERE ${this.#table}.definition IS DISTINCT FROM excluded.definition
           OR ${this.#table}.source IS DISTINCT FROM excluded.source
         RETURNING *`,
        [write.name, JSON.stringify(write.definition), write.source, now],
      );
      // No row: the same definition and source were stored; nothing changed.
      if (rows[0] !== undefined) return fromRow(rows[0]);
      return (await lockSchedule(c, this.#table, write.name)) as StoredSchedule;
    });
  }

  /** One transaction: `INSERT ... ON CONFLICT DO NOTHING`, so of two creates one inserts. */
  async create(write: ScheduleWrite & { paused?: boolean }): Promise<StoredSchedule> {
    checkScheduleName(write.name);
    const now = this.#now();
    const exists = (): GqError =>
      new GqError(ErrorCode.CONFLICT, `schedule ${JSON.stringify(write.name)} exists`, {
        details: { name: write.name },
      });
    return this.#exec.tx(async (c) => {
      const found = await c.query(`SELECT 1 FROM ${this.#table} WHERE name = $1`, [write.name]);
      if (found.rowCount !== 0) throw exists();
      const { rows: counted } = await c.query<{ n: string }>(
        `SELECT count(*) AS n FROM ${this.#table}`,
      );
      checkScheduleRoom(Number(counted[0]?.n ?? 0));
      const { rows } = await c.query<ScheduleRow>(
        `INSERT INTO ${this.#table}
           (name, definition, source, paused, last_tick, revision, created_at, updated_at)
         VALUES ($1, $2::jsonb, $3, $4, $5, 1, $5, $5)
         ON CONFLICT (name) DO NOTHING
         RETURNING *`,
        [write.name, JSON.stringify(write.definition), write.source, write.paused === true, now],
      );
      // No row: another create of this name committed first.
      if (rows[0] === undefined) throw exists();
      return fromRow(rows[0]);
    });
  }

  async setPaused(name: string, paused: boolean): Promise<StoredSchedule> {
    const now = this.#now();
    const rows = await this.#query<ScheduleRow>(
      `UPDATE ${this.#table} SET paused = $2, updated_at = $3,
         last_tick = CASE WHEN $2 THEN last_tick ELSE GREATEST(last_tick, $3) END
       WHERE name = $1 RETURNING *`,
      [name, paused, now],
    );
    if (rows[0] === undefined) {
      throw new GqError(ErrorCode.NOT_FOUND, `schedule ${JSON.stringify(name)} not found`, {
        details: { name },
      });
    }
    return fromRow(rows[0]);
  }

  async delete(name: string): Promise<boolean> {
    const rows = await this.#query(`DELETE FROM ${this.#table} WHERE name = $1 RETURNING name`, [
      name,
    ]);
    return rows.length > 0;
  }

  async fire(name: string, input: FireInput): Promise<FireOutcome> {
    const [outcome] = await this.fireMany([{ ...input, name }]);
    return outcome as FireOutcome;
  }

  /**
   * One transaction: locks the schedules' rows `FOR UPDATE` in name order (so two nodes firing
   * overlapping sets wait on each other rather than deadlock), decides each tick in order, then
   * moves every `last_tick` with one statement and inserts every job with one submit.
   */
  async fireMany(inputs: readonly NamedFireInput[]): Promise<FireOutcome[]> {
    checkFireBatch(inputs.length);
    if (inputs.length === 0) return [];
    checkSpecTimes(
      inputs.map((i) => i.spec),
      this.#now(),
    );
    const names = [...new Set(inputs.map((i) => i.name))].sort();
    return this.#exec.tx(async (c, changes) => {
      const { rows } = await c.query<ScheduleRow>(
        `SELECT * FROM ${this.#table} WHERE name = ANY($1::text[]) ORDER BY name FOR UPDATE`,
        [names],
      );
      const now = new Map(rows.map((row) => [row.name, fromRow(row)]));
      const outcomes: (FireOutcome | undefined)[] = [];
      const specs: JobSpec[] = [];
      const fired: StoredSchedule[] = [];
      for (const input of inputs) {
        const found = now.get(input.name);
        const refusal = fireRefusal(found, input);
        outcomes.push(refusal);
        if (refusal !== undefined) continue;
        const next = { ...(found as StoredSchedule), lastTick: input.tick };
        now.set(input.name, next);
        specs.push(input.spec);
        fired.push(next);
      }
      if (specs.length === 0) return outcomes as FireOutcome[];
      const last = new Map(fired.map((f) => [f.name, f.lastTick]));
      await c.query(
        `UPDATE ${this.#table} AS s SET last_tick = v.tick
         FROM unnest($1::text[], $2::bigint[]) AS v(name, tick) WHERE s.name = v.name`,
        [[...last.keys()], [...last.values()]],
      );
      const results = await submitJobs(c, this.#s, specs, this.#now(), changes);
      if (results.length !== specs.length) throw new Error('submit returned too few results');
      let r = 0;
      return outcomes.map((refusal) => {
        if (refusal !== undefined) return refusal;
        const schedule = fired[r] as StoredSchedule;
        return { status: 'fired', result: results[r++] as SubmitResult, schedule };
      });
    });
  }
}

async function lockSchedule(
  c: pg.ClientBase,
  table: string,
  name: string,
): Promise<StoredSchedule | undefined> {
  const { rows } = await c.query<ScheduleRow>(`SELECT * FROM ${table} WHERE name = $1 FOR UPDATE`, [
    name,
  ]);
  return rows[0] === undefined ? undefined : fromRow(rows[0]);
}

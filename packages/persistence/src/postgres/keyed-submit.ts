import {
  neverStarted,
  uniqueHolds,
  type Job,
  type JobSpec,
  type StoreChange,
  type SubmitResult,
} from '@gopherqueue/core';
import type pg from 'pg';
import { debouncedJob } from '../job-versions.js';
import { rowToJob, type JobRow } from './job-row.js';
import { updated } from './transition-sql.js';

/** Submits specs none of which has a unique or debounce key (the plain path). */
export type PlainSubmit = (specs: readonly JobSpec[]) => Promise<SubmitResult[]>;

type Kind = 'unique' | 'debounce';

interface KeyRef {
  kind: Kind;
  queue: string;
  key: string;
}

function keyOf(spec: JobSpec): KeyRef | undefined {
  if (spec.unique !== undefined) return { kind: 'unique', queue: spec.queue, key: spec.unique.key };
  if (spec.debounce !== undefined) {
    return { kind: 'debounce', queue: spec.queue, key: spec.debounce.key };
  }
  return undefined;
}

const refId = (ref: KeyRef): string => `${ref.kind}!${ref.queue}!${ref.key}`;

/** True when a spec carries a unique or debounce key. */
export function hasAdmissionKey(spec: JobSpec): boolean {
  return spec.unique !== undefined || spec.debounce !== undefined;
}

/**
 * Submits specs of which some carry a unique or debounce key, inside the caller's transaction.
 *
 * First every key's row in `job_keys` is locked, in key order (`INSERT ... ON CONFLICT DO
 * UPDATE`, which waits for a racing transaction of the same key, on any node, to commit), and
 * the jobs that hold them are read `FOR UPDATE` by a later statement, so they are seen as the
 * racing transaction left them and no claim changes them before this one commits. Then each
 * spec in order: a unique key still held returns its holder; a debounce key whose job never
 * started updates that job; any other spec is created (by `plain`) and takes its key.
 */
export async function submitKeyed(
  c: pg.ClientBase,
  s: string,
  specs: readonly JobSpec[],
  now: number,
  changes: StoreChange[],
  plain: PlainSubmit,
): Promise<SubmitResult[]> {
  const refs = new Map<string, KeyRef>();
  for (const spec of specs) {
    const ref = keyOf(spec);
    if (ref !== undefined) refs.set(refId(ref), ref);
  }
  const ordered = [...refs.values()].sort((a, b) => (refId(a) < refId(b) ? -1 : 1));
  const { rows: locked } = await c.query<{
    kind: Kind;
    queue: string;
    key: string;
    job_id: string;
  }>(
    `INSERT INTO ${s}.job_keys AS k (kind, queue, key, job_id)
     SELECT kind, queue, key, '' FROM unnest($1::text[], $2::text[], $3::text[])
       WITH ORDINALITY AS x(kind, queue, key, ord) ORDER BY ord
     ON CONFLICT (kind, queue, key) DO UPDATE SET job_id = k.job_id
     RETURNING kind, queue, key, job_id`,
    [ordered.map((r) => r.kind), ordered.map((r) => r.queue), ordered.map((r) => r.key)],
  );
  const heldIds = locked.map((row) => row.job_id).filter((id) => id !== '');
  const { rows: heldRows } =
    heldIds.length === 0
      ? { rows: [] as JobRow[] }
      : await c.query<JobRow>(
          `SELECT * FROM ${s}.jobs WHERE id = ANY($1::text[]) ORDER BY id FOR UPDATE`,
          [heldIds],
        );
  const byId = new Map(heldRows.map((row) => [row.id, rowToJob(row)]));
  /** Per key: the job holding it as this batch leaves it (a stored one, or a spec to create). */
  const holders = new Map<string, { job: Job; spec?: JobSpec }>();
  for (const row of locked) {
    const job = byId.get(row.job_id);
    if (job !== undefined) holders.set(refId(row), { job });
  }

  type Slot = { created: JobSpec } | { result: SubmitResult } | { holderOf: string; matched: Kind };
  const slots: Slot[] = [];
  const toCreate: JobSpec[] = [];
  const debounced = new Map<string, { before: Job; after: Job }>();
  for (const original of specs) {
    const ref = keyOf(original);
    const key = ref === undefined ? undefined : refId(ref);
    const holder = key === undefined ? undefined : holders.get(key);
    if (ref?.kind === 'unique' && holder !== undefined && uniqueHolds(holder.job, now)) {
      slots.push(
        holder.spec === undefined
          ? { result: { job: holder.job, deduplicated: true, matched: 'unique' } }
          : { holderOf: holder.spec.id, matched: 'unique' },
      );
      continue;
    }
    if (ref?.kind === 'debounce' && holder !== undefined && neverStarted(holder.job)) {
      const waitMs = original.debounce?.waitMs ?? 0;
      if (holder.spec !== undefined) {
        // Created by this batch at this time: the later payload is all that changes.
        holder.spec.payload = original.payload;
        slots.push({ holderOf: holder.spec.id, matched: 'debounce' });
      } else {
        const after = debouncedJob(holder.job, now, original.payload, waitMs);
        debounced.set(after.id, { before: debounced.get(after.id)?.before ?? holder.job, after });
        holder.job = after;
        slots.push({ holderOf: after.id, matched: 'debounce' });
      }
      continue;
    }
    const spec = { ...original };
    toCreate.push(spec);
    slots.push({ created: spec });
    if (key !== undefined) {
      // A stand-in for the window checks of later specs of the batch: new, never started.
      const standIn = { state: 'scheduled', createdAt: now } as Job;
      if (spec.unique !== undefined) standIn.unique = spec.unique;
      holders.set(key, { job: standIn, spec });
    }
  }

  const updatedJobs = new Map<string, Job>();
  for (const { before, after } of debounced.values()) {
    const { rows } = await c.query<JobRow>(
      `UPDATE ${s}.jobs SET payload = $2::jsonb, run_at = $3, state = $4, updated_at = $5
       WHERE id = $1 RETURNING *`,
      [after.id, JSON.stringify(after.payload), after.runAt, after.state, now],
    );
    const job = rowToJob(rows[0] as JobRow);
    updatedJobs.set(job.id, job);
    changes.push(updated(job, before.state));
  }
  const created = toCreate.length === 0 ? [] : await plain(toCreate);
  const createdById = new Map<string, Job>();
  toCreate.forEach((spec, i) => {
    const result = created[i];
    if (result !== undefined && !result.deduplicated) createdById.set(spec.id, result.job);
  });
  const taken = toCreate.flatMap((spec) => {
    const ref = keyOf(spec);
    const job = createdById.get(spec.id);
    return ref === undefined || job === undefined ? [] : [{ ref, id: job.id }];
  });
  if (taken.length > 0) {
    await c.query(
      `UPDATE ${s}.job_keys k SET job_id = x.id
       FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) AS x(kind, queue, key, id)
       WHERE k.kind = x.kind AND k.queue = x.queue AND k.key = x.key`,
      [
        taken.map((t) => t.ref.kind),
        taken.map((t) => t.ref.queue),
        taken.map((t) => t.ref.key),
        taken.map((t) => t.id),
      ],
    );
  }
  let next = 0;
  return slots.map((slot) => {
    if ('result' in slot) return slot.result;
    if ('created' in slot) return created[next++] as SubmitResult;
    const job = createdById.get(slot.holderOf) ?? updatedJobs.get(slot.holderOf);
    return { job: job as Job, deduplicated: true, matched: slot.matched };
  });
}

import type { WireJob, WireStats } from '@gopherqueue/client';
import { PRIORITY_NAMES } from '@gopherqueue/core';
import { formatFields, formatTable, type Column } from './table.js';

const JOB_COLUMNS: readonly Column<WireJob>[] = [
  { header: 'ID', value: (job) => job.id },
  { header: 'TYPE', value: (job) => job.type },
  { header: 'QUEUE', value: (job) => job.queue },
  { header: 'STATE', value: (job) => job.state },
  { header: 'PRIORITY', value: (job) => priorityName(job.priority) },
  { header: 'ATTEMPT', value: (job) => `${job.attempt}/${job.max_attempts}`, right: true },
  { header: 'CREATED', value: (job) => job.created_at },
];

/** A table of jobs, one per line, or a note when there are none. */
export function formatJobTable(jobs: readonly WireJob[]): string {
  return jobs.length === 0 ? 'no jobs\n' : formatTable(jobs, JOB_COLUMNS);
}

/** Everything about one job, one field per line. */
export function formatJob(job: WireJob): string {
  const fields: [string, string][] = [
    ['id', job.id],
    ['type', job.type],
    ['queue', job.queue],
    ['state', job.state],
    ['priority', `${job.priority} (${priorityName(job.priority)})`],
    ['attempt', `${job.attempt}/${job.max_attempts}`],
    ['created', job.created_at],
    ['updated', job.updated_at],
  ];
  const optional: [string, unknown][] = [
    ['scheduled', job.scheduled_at],
    ['group', job.group],
    ['waiting', job.waiting_reason],
    ['started', job.started_at],
    ['completed', job.completed_at],
    ['progress', job.progress ?? undefined],
    ['progress message', job.progress_message],
    ['cancel reason', job.cancel_reason],
    ['last error', job.last_error],
    ['idempotency key', job.idempotency_key],
  ];
  for (const [key, value] of optional) {
    if (value !== undefined && value !== null && value !== '') fields.push([key, text(value)]);
  }
  if (job.depends_on.length > 0) fields.push(['depends on', job.depends_on.join(', ')]);
  const tags = Object.entries(job.tags);
  if (tags.length > 0) fields.push(['tags', tags.map(([k, v]) => `${k}=${v}`).join(', ')]);
  // The API leaves a null payload out.
  fields.push(['payload', JSON.stringify(job.payload ?? null)]);
  if (job.result !== undefined) fields.push(['result', JSON.stringify(job.result)]);
  if (job.checkpoint !== undefined) fields.push(['checkpoint', JSON.stringify(job.checkpoint)]);
  for (const t of job.transitions ?? []) {
    fields.push([
      'transition',
      `${t.at} ${t.state}${t.state === 'running' ? `, attempt ${t.attempt}` : ''}`,
    ]);
  }
  return formatFields(fields);
}

/** Job counts by state, store size and worker use: the local pool and the remote workers. */
export function formatStats(stats: WireStats): string {
  const q = stats.queue;
  const fields: [string, string][] = [
    ['pending', String(q.pending)],
    ['delayed', String(q.delayed)],
    ['scheduled', String(q.scheduled)],
    ['running', String(q.running)],
    ['retrying', String(q.retrying)],
    ['completed', String(q.completed)],
    ['failed', String(q.failed)],
    ['dead_letter', String(q.dead_letter)],
    ['cancelled', String(q.cancelled)],
    ['total', String(q.total_jobs)],
    ['storage', formatBytes(q.storage_bytes)],
  ];
  const { busy, concurrency, local, remote } = stats.workers;
  const parts = [
    ...(local === null ? [] : [`local ${local.busy} of ${local.concurrency}`]),
    `${remote.workers} remote: ${remote.busy} of ${remote.concurrency}`,
  ];
  fields.push(['workers', `${busy} busy of ${concurrency} (${parts.join('; ')})`]);
  return formatFields(fields);
}

/** `1536` as `1.5 KiB`. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(1)} ${units[unit]}`;
}

function priorityName(priority: number): string {
  return PRIORITY_NAMES[priority] ?? String(priority);
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

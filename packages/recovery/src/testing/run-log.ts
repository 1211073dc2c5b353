/** One handler event of one job, as the crash child logged it. */
export interface RunEvent {
  /** The child process run (1-based) that wrote it. */
  run: number;
  kind: 'start' | 'done';
  /** The attempt, for `start`. */
  attempt?: number;
}

/**
 * Parses a crash log: `run <n>` lines written by the parent before each child starts, then the
 * child's `start <id> <attempt>` and `done <id>` lines. Returns each job's events in order.
 * @throws Error on a line it does not understand (a torn write would show up here).
 */
export function parseRunLog(text: string): Map<string, RunEvent[]> {
  const jobs = new Map<string, RunEvent[]>();
  let run = 0;
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const [kind, id, attempt, extra] = line.split(' ');
    if (kind === 'run' && id !== undefined && attempt === undefined) {
      run = Number(id);
      continue;
    }
    const events = id === undefined ? undefined : (jobs.get(id) ?? []);
    if (events === undefined || extra !== undefined || run === 0) {
      throw new Error(`unexpected log line ${JSON.stringify(line)}`);
    }
    if (kind === 'start' && attempt !== undefined && /^\d+$/.test(attempt)) {
      events.push({ run, kind, attempt: Number(attempt) });
    } else if (kind === 'done' && attempt === undefined) {
      events.push({ run, kind });
    } else {
      throw new Error(`unexpected log line ${JSON.stringify(line)}`);
    }
    jobs.set(id!, events);
  }
  return jobs;
}

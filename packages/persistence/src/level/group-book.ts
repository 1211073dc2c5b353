import { isTerminal, type GroupAtLimit, type Job } from '@gopherqueue/core';
import type { GroupCommit } from './group-commit.js';
import { padSeq } from './level-keys.js';

/** The prefix of the group index: `grp!<queue>!<group>!<seq, 15 digits>` -> id. */
export const GROUP_PREFIX = 'grp!';

/** The group-index key of an unfinished job with a group key, or undefined. */
export function groupKey(job: Job): string | undefined {
  if (job.group === undefined || isTerminal(job.state)) return undefined;
  return `${GROUP_PREFIX}${job.queue}!${job.group}!${padSeq(job.seq)}`;
}

/** One unfinished job of a key. */
interface Member {
  seq: number;
  id: string;
}

/** One key of one queue. */
interface Group {
  running: number;
  /** Its unfinished jobs by seq (the first is its head). */
  members: Member[];
}

/**
 * The `group` keys of a LevelStore's jobs: per queue and key, how many jobs run and which
 * unfinished jobs it has in submission order (so the head of an ordered key is known without a
 * read). Unfinished jobs with a key are also in the `grp!` index on disk, read back at open; a
 * key with neither is forgotten. Memory grows with the unfinished jobs that carry a key.
 */
export class GroupBook {
  readonly #groups = new Map<string, Map<string, Group>>();
  /** Called after a change that may let a held-back job of the key start. */
  onFreed: (queue: string, group: string) => void = () => undefined;

  #group(queue: string, group: string, create: boolean): Group | undefined {
    let groups = this.#groups.get(queue);
    if (groups === undefined) {
      if (!create) return undefined;
      this.#groups.set(queue, (groups = new Map<string, Group>()));
    }
    let entry = groups.get(group);
    if (entry === undefined && create) groups.set(group, (entry = { running: 0, members: [] }));
    return entry;
  }

  #forgetIfIdle(queue: string, group: string, entry: Group): void {
    if (entry.running > 0 || entry.members.length > 0) return;
    const groups = this.#groups.get(queue);
    groups?.delete(group);
    if (groups?.size === 0) this.#groups.delete(queue);
  }

  /** Knows an unfinished job (at open). */
  addMember(queue: string, group: string, seq: number, id: string): void {
    insertMember(this.#group(queue, group, true) as Group, { seq, id });
  }

  /** Knows a running job (at open). */
  addRunning(job: Job): void {
    if (job.group === undefined) return;
    (this.#group(job.queue, job.group, true) as Group).running++;
  }

  /** Follows a job change: the `grp!` entry into the batch, and the counts in memory. */
  write(commit: GroupCommit, before: Job | undefined, after: Job | undefined): void {
    if (before?.group === undefined && after?.group === undefined) return;
    const keyBefore = before === undefined ? undefined : groupKey(before);
    const keyAfter = after === undefined ? undefined : groupKey(after);
    if (keyBefore !== keyAfter) {
      if (keyBefore !== undefined) commit.del(keyBefore);
      if (keyAfter !== undefined) commit.put(keyAfter, (after as Job).id);
    }
    const freed = new Set<string>();
    if (before?.group !== undefined) {
      const entry = this.#group(before.queue, before.group, false);
      if (entry !== undefined) {
        if (before.state === 'running') {
          entry.running = Math.max(0, entry.running - 1);
          freed.add(`${before.queue}\u0000${before.group}`);
        }
        if (keyBefore !== undefined && keyBefore !== keyAfter) {
          if (removeMember(entry, before.seq) === 0)
            freed.add(`${before.queue}\u0000${before.group}`);
        }
        this.#forgetIfIdle(before.queue, before.group, entry);
      }
    }
    if (after?.group !== undefined) {
      const entry = this.#group(after.queue, after.group, true) as Group;
      if (after.state === 'running') {
        entry.running++;
        freed.delete(`${after.queue}\u0000${after.group}`);
      }
      if (keyAfter !== undefined && keyAfter !== keyBefore)
        insertMember(entry, { seq: after.seq, id: after.id });
      this.#forgetIfIdle(after.queue, after.group, entry);
    }
    for (const key of freed) {
      const at = key.indexOf('\u0000');
      this.onFreed(key.slice(0, at), key.slice(at + 1));
    }
  }

  /** Jobs of the key running now. */
  running(queue: string, group: string): number {
    return this.#group(queue, group, false)?.running ?? 0;
  }

  /** The key's unfinished job with the smallest seq. */
  head(queue: string, group: string): Member | undefined {
    return this.#group(queue, group, false)?.members[0];
  }

  /** Keys of the queue with at least `limit` running jobs, by key, at most `max`. */
  atLimit(queue: string, limit: number, max: number): GroupAtLimit[] {
    const found: GroupAtLimit[] = [];
    for (const [group, entry] of this.#groups.get(queue) ?? []) {
      if (entry.running >= limit) found.push({ group, running: entry.running });
    }
    found.sort((a, b) => (a.group < b.group ? -1 : a.group > b.group ? 1 : 0));
    return found.slice(0, max);
  }

  /** The keys of a queue that have jobs. */
  groupsOf(queue: string): string[] {
    return [...(this.#groups.get(queue)?.keys() ?? [])];
  }
}

function indexOf(members: readonly Member[], seq: number): number {
  let lo = 0;
  let hi = members.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((members[mid] as Member).seq < seq) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function insertMember(entry: Group, member: Member): void {
  const { members } = entry;
  const last = members[members.length - 1];
  if (last === undefined || last.seq < member.seq) {
    members.push(member);
    return;
  }
  const at = indexOf(members, member.seq);
  if (members[at]?.seq === member.seq) return;
  members.splice(at, 0, member);
}

/** Removes the member of `seq`; returns where it was (-1: not there). */
function removeMember(entry: Group, seq: number): number {
  const at = indexOf(entry.members, seq);
  if (entry.members[at]?.seq !== seq) return -1;
  if (at === 0) entry.members.shift();
  else entry.members.splice(at, 1);
  return at;
}

import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  createJob,
  JOB_STATES,
  type Job,
  type JobState,
  type Json,
  type PriorityLevel,
} from '@gopherqueue/core';
import { LevelStore } from './level-store.js';

const ROOT = fileURLToPath(new URL('../../../..', import.meta.url));
const CHILD = fileURLToPath(new URL('../testing/crash-child.ts', import.meta.url));
const ROUNDS = 20;
const BACKLOG = 200_000;

type Line =
  | { op: 'ready' }
  | { op: 'submit' | 'claim' | 'fail'; id: string }
  | { op: 'complete'; id: string; result: Json };

/** What the child acknowledged last for a job. */
type Acked = { op: 'submit' | 'claim' | 'fail' } | { op: 'complete'; result: Json };

/** States a job may be in after a crash, given its last acknowledged operation. */
const ALLOWED: Record<Acked['op'], readonly JobState[]> = {
  // A later claim, completion or failure may have been acknowledged but not yet printed.
  submit: ['scheduled', 'running', 'completed', 'failed'],
  // A claim may resolve before it is durable: after a crash its job may be runnable again.
  claim: ['scheduled', 'running', 'completed', 'failed'],
  complete: ['completed'],
  fail: ['failed'],
};

const RANK: Record<Acked['op'], number> = { submit: 0, claim: 1, complete: 2, fail: 2 };

/**
 * Runs the child on `dir`, kills it with SIGKILL `delayMs` after its first line, and returns the
 * complete lines it printed.
 */
function runAndKill(dir: string, delayMs: number, backlog = false): Promise<Line[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        '--conditions=@gopherqueue/source',
        '--import',
        'tsx',
        CHILD,
        dir,
        ...(backlog ? ['backlog'] : []),
      ],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    let killTimer: NodeJS.Timeout | undefined;
    const guard = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      if (killTimer === undefined && stdout.includes('\n')) {
        killTimer = setTimeout(() => child.kill('SIGKILL'), delayMs);
      }
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(guard);
      clearTimeout(killTimer);
      if (signal !== 'SIGKILL' || killTimer === undefined) {
        reject(new Error(`crash child ended with code ${code} signal ${signal}:\n${stderr}`));
        return;
      }
      // Only complete lines count: a line cut by the kill was not acknowledged to anyone.
      const complete = stdout.slice(0, stdout.lastIndexOf('\n') + 1);
      resolve(
        complete
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l) as Line),
      );
    });
  });
}

/** Reopens `dir` and checks every acknowledged operation and the counts against the jobs. */
async function verify(
  dir: string,
  acked: Map<string, Acked>,
  label: string,
  scan = true,
): Promise<void> {
  const store = await LevelStore.open({ location: dir });
  try {
    const ackedIds = [...acked.keys()];
    const jobs = await store.getMany(ackedIds);
    // Checked in plain code and asserted once: thousands of expect() calls per round are slow.
    const wrong: string[] = [];
    ackedIds.forEach((id, i) => {
      const want = acked.get(id)!;
      const job = jobs[i];
      const ok =
        job !== undefined &&
        ALLOWED[want.op].includes(job.state) &&
        (want.op !== 'complete' || JSON.stringify(job.result) === JSON.stringify(want.result)) &&
        (want.op !== 'fail' || job.errors.length === 1);
      if (!ok) wrong.push(`${id}: acked ${JSON.stringify(want)}, stored ${JSON.stringify(job)}`);
    });
    expect(wrong, label).toEqual([]);
    if (!scan) return;
    let total = 0;
    const byState = Object.fromEntries(JOB_STATES.map((s) => [s, 0])) as Record<JobState, number>;
    for await (const job of store.scan()) {
      total += 1;
      byState[job.state] += 1;
    }
    const counts = await store.counts();
    expect(counts.total, label).toBe(total);
    expect(counts.byState, label).toEqual(byState);
  } finally {
    await store.close();
  }
}

/** Records the child's lines: the furthest acknowledged operation per job. */
function record(acked: Map<string, Acked>, lines: Line[]): void {
  for (const line of lines) {
    // A claim acknowledges nothing: it may resolve before it is durable, even before the submit
    // of its job is.
    if (line.op === 'ready' || line.op === 'claim') continue;
    // One write may acknowledge a submit and the claim of the same job, and their lines then
    // print in either order: keep the furthest operation.
    if (RANK[line.op] < RANK[acked.get(line.id)?.op ?? 'submit']) continue;
    acked.set(
      line.id,
      line.op === 'complete' ? { op: 'complete', result: line.result } : { op: line.op },
    );
  }
}

/** Fills `dir` with `n` waiting `backlog` jobs; returns their ids in claim order. */
async function fillBacklog(dir: string, n: number): Promise<string[]> {
  const store = await LevelStore.open({ location: dir, durability: 'relaxed' });
  const jobs: Job[] = [];
  try {
    const now = Date.now();
    for (let i = 0; i < n; i += 1000) {
      const specs = Array.from({ length: Math.min(1000, n - i) }, (_, k) =>
        createJob('backlog', null, { priority: ((i + k) % 5) as PriorityLevel }, now - (k % 7)),
      );
      for (const result of await store.submitBatch(specs)) jobs.push(result.job);
    }
  } finally {
    await store.close();
  }
  jobs.sort((a, b) => a.priority - b.priority || a.runAt - b.runAt || a.seq - b.seq);
  return jobs.map((job) => job.id);
}

/**
 * The backlog jobs no longer waiting are exactly a prefix of the backlog in claim order: claims
 * took them in strict order, and a claim lost in a crash lost every claim after it too.
 */
async function expectClaimedPrefix(dir: string, order: string[], label: string): Promise<number> {
  const store = await LevelStore.open({ location: dir });
  try {
    const states: JobState[] = [];
    for (let at = 0; at < order.length; at += 10_000) {
      const jobs = await store.getMany(order.slice(at, at + 10_000));
      for (const job of jobs) states.push(job?.state ?? 'cancelled');
    }
    const taken = states.findIndex((state) => state === 'scheduled');
    const prefix = taken < 0 ? states.length : taken;
    const outOfOrder = states
      .map((state, i) => [state, i] as const)
      .filter(([state, i]) => (i < prefix ? state === 'scheduled' : state !== 'scheduled'))
      .slice(0, 5)
      .map(([state, i]) => `#${i} ${order[i]} is ${state}`);
    expect(outOfOrder, label).toEqual([]);
    return prefix;
  } finally {
    await store.close();
  }
}

describe('LevelStore crash safety', () => {
  it(`finds every acknowledged submit and transition after SIGKILL, ${ROUNDS} times`, async () => {
    // One directory for all rounds: each round reopens a store that already survived crashes.
    const dir = await mkdtemp(join(tmpdir(), 'gq-crash-'));
    const acked = new Map<string, Acked>();
    try {
      for (let round = 0; round < ROUNDS; round++) {
        const delayMs = 200 + Math.floor(Math.random() * 1000);
        const label = `round ${round}, killed ${delayMs} ms after the first line`;
        const lines = await runAndKill(dir, delayMs);
        expect(lines[0], label).toEqual({ op: 'ready' });
        record(acked, lines);
        await verify(dir, acked, label);
      }
      const ops = [...acked.values()].map((a) => a.op);
      expect(ops.filter((op) => op === 'complete').length).toBeGreaterThan(0);
      expect(ops.filter((op) => op === 'fail').length).toBeGreaterThan(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 240_000);

  it('keeps every acknowledged write and strict claim order with 200,000 waiting jobs, 8 SIGKILLs', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gq-crash-backlog-'));
    const acked = new Map<string, Acked>();
    try {
      const order = await fillBacklog(dir, BACKLOG);
      let claimed = 0;
      for (let round = 0; round < 8; round++) {
        const delayMs = 300 + Math.floor(Math.random() * 1000);
        const label = `backlog round ${round}, killed ${delayMs} ms after the first line`;
        const lines = await runAndKill(dir, delayMs, true);
        record(acked, lines);
        await verify(dir, acked, label, false);
        claimed = await expectClaimedPrefix(dir, order, label);
      }
      // The backlog was really being drained, through many refills of the ready heads.
      expect(claimed).toBeGreaterThan(1_000);
      expect(claimed).toBeLessThan(BACKLOG);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 300_000);
});

import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { JOB_STATES, type JobState, type Json } from '@gopherqueue/core';
import { LevelStore } from './level-store.js';

const ROOT = fileURLToPath(new URL('../../../..', import.meta.url));
const CHILD = fileURLToPath(new URL('../testing/crash-child.ts', import.meta.url));
const ROUNDS = 20;

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
  claim: ['running', 'completed', 'failed'],
  complete: ['completed'],
  fail: ['failed'],
};

const RANK: Record<Acked['op'], number> = { submit: 0, claim: 1, complete: 2, fail: 2 };

/**
 * Runs the child on `dir`, kills it with SIGKILL `delayMs` after its first line, and returns the
 * complete lines it printed.
 */
function runAndKill(dir: string, delayMs: number): Promise<Line[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--conditions=@gopherqueue/source', '--import', 'tsx', CHILD, dir],
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
async function verify(dir: string, acked: Map<string, Acked>, label: string): Promise<void> {
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
        for (const line of lines) {
          if (line.op === 'ready') continue;
          // One write may acknowledge a submit and the claim of the same job, and their lines then
          // print in either order: keep the furthest operation.
          if (RANK[line.op] < RANK[acked.get(line.id)?.op ?? 'submit']) continue;
          acked.set(
            line.id,
            line.op === 'complete' ? { op: 'complete', result: line.result } : { op: line.op },
          );
        }
        await verify(dir, acked, label);
      }
      const ops = [...acked.values()].map((a) => a.op);
      expect(ops.filter((op) => op === 'complete').length).toBeGreaterThan(0);
      expect(ops.filter((op) => op === 'fail').length).toBeGreaterThan(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 240_000);
});

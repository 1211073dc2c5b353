import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { MAX_SCHEDULES, type Store } from '@gopherqueue/core';
import { LevelStore } from '@gopherqueue/persistence';
import {
  SCHEDULE_LEAD_MS,
  SCHEDULED_FOR_TAG,
  ScheduleTicker,
  Scheduler,
} from '@gopherqueue/scheduler';
import { WorkerPool } from '@gopherqueue/worker';
import { until } from './latency-probe.js';
import { inParallel, percentile, type BenchRow } from './table.js';

/** Which shapes of due times to run. */
export type ScheduleShape = 'aligned' | 'spread';

/** Options of {@link scheduleBench}. */
export interface ScheduleBenchOptions {
  /** 1..MAX_SCHEDULES. */
  schedules: number;
  shapes: readonly ScheduleShape[];
  /** Minutes of ticks of the spread shape (1..60). */
  minutes: number;
  /** Ticks of the aligned shape (1..60). */
  ticks: number;
}

/** The aligned shape's period: every schedule due at seconds 0, 20 and 40 of each minute. */
const ALIGNED_CRON = '*/20 * * * * *';
const ALIGNED_PERIOD_MS = 20_000;

/** One handler start: the job's tick, when the store created it, when the handler began. */
interface Start {
  tick: number;
  createdAt: number;
  startedAt: number;
}

/** The parts of a run: the store, a scheduler, a pool of 64 no-op handlers noting each start. */
interface Engine {
  starts: Start[];
  /** Starts by tick, counted as they come (cheap to poll). */
  byTick: Map<number, number>;
  /** Starts whose tick is in [from, to), counted as they come. */
  window: { from: number; to: number; count: number };
  ticker: ScheduleTicker;
  stop(): Promise<void>;
}

async function startEngine(store: Store): Promise<Engine> {
  const starts: Start[] = [];
  const byTick = new Map<number, number>();
  const window = { from: Infinity, to: Infinity, count: 0 };
  const scheduler = new Scheduler({ store });
  await scheduler.start();
  const pool = new WorkerPool({ store, scheduler, concurrency: 64 });
  pool.register('noop', (ctx) => {
    const startedAt = Date.now();
    const tick = Date.parse(ctx.tags[SCHEDULED_FOR_TAG] ?? 'missing');
    starts.push({ tick, createdAt: ctx.job.createdAt, startedAt });
    byTick.set(tick, (byTick.get(tick) ?? 0) + 1);
    if (tick >= window.from && tick < window.to) window.count++;
    return null;
  });
  pool.start();
  // The ticker as `gq serve` runs it.
  const ticker = new ScheduleTicker({ store, leadMs: SCHEDULE_LEAD_MS });
  return {
    starts,
    byTick,
    window,
    ticker,
    stop: async () => {
      await ticker.stop();
      await pool.stop();
      await scheduler.stop();
    },
  };
}

async function putSchedules(store: Store, schedules: number, cron: (i: number) => string) {
  await inParallel(schedules, 64, async (i) => {
    await store.schedules.put({
      name: `bench-${String(i).padStart(5, '0')}`,
      definition: { cron: cron(i), job: { type: 'noop' } },
      source: 'api',
    });
  });
}

/**
 * Starts the ticker and waits for its first pass (every schedule new to it: its misfire policy
 * looks at the ticks since its last one); answers how long that took, in ms.
 */
async function startTicker(engine: Engine): Promise<number> {
  const t0 = Date.now();
  await engine.ticker.start();
  await engine.ticker.settled();
  return Date.now() - t0;
}

/** Waits until `at` (ms since the epoch) on the system clock. */
async function sleepUntil(at: number): Promise<void> {
  const left = at - Date.now();
  if (left > 0) await sleep(left);
}

function cpuMicros(since: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(since);
  return used.user + used.system;
}

/** The lateness columns of a set of starts (start minus tick). */
function lateness(starts: readonly Start[]): Record<string, string> {
  const late = starts.map((s) => s.startedAt - s.tick).sort((a, b) => a - b);
  return {
    'late p50 ms': String(percentile(late, 50)),
    'late p99 ms': String(percentile(late, 99)),
    'late max ms': String(late[late.length - 1] ?? 0),
  };
}

/**
 * Shape (a): every schedule due at the same instant (every 20 s, ALIGNED_CRON), `ticks` ticks. The
 * last start of a tick is as late as it takes to create and start all of its jobs, so `jobs/s` is
 * that rate: schedules divided by the time from the tick to its last start.
 */
async function alignedRow(store: Store, o: ScheduleBenchOptions): Promise<BenchRow> {
  await putSchedules(store, o.schedules, () => ALIGNED_CRON);
  const engine = await startEngine(store);
  try {
    // Starts just after a tick (ticks before it are skipped: misfire `skip`).
    await sleepUntil(Math.ceil(Date.now() / ALIGNED_PERIOD_MS) * ALIGNED_PERIOD_MS + 50);
    const startMs = await startTicker(engine);
    const first = Math.ceil(Date.now() / ALIGNED_PERIOD_MS) * ALIGNED_PERIOD_MS;
    let cpu = 0;
    const lastStarts: number[] = [];
    const created: number[] = [];
    for (let k = 0; k < o.ticks; k++) {
      const tick = first + k * ALIGNED_PERIOD_MS;
      await sleepUntil(tick - 200);
      const cpu0 = process.cpuUsage();
      await until(() => (engine.byTick.get(tick) ?? 0) >= o.schedules);
      cpu += cpuMicros(cpu0);
      const mine = engine.starts.filter((s) => s.tick === tick);
      lastStarts.push(Math.max(...mine.map((s) => s.startedAt)) - tick);
      created.push(Math.max(...mine.map((s) => s.createdAt)) - tick);
    }
    const mine = engine.starts.filter((s) => s.tick >= first);
    if (mine.length !== o.schedules * o.ticks) {
      throw new Error(`expected ${o.schedules * o.ticks} starts; got ${mine.length}`);
    }
    const worst = Math.max(...lastStarts);
    return {
      suite: 'schedules',
      workload: `(a) ${o.schedules} due at once (cron ${ALIGNED_CRON}), ${o.ticks} ticks, 64 handlers`,
      variant: 'LevelStore, disk, durable',
      jobs: mine.length,
      seconds: (worst / 1000) * o.ticks,
      extra: {
        'ticker start ms': String(startMs),
        'cpu µs/fire': (cpu / mine.length).toFixed(0),
        ...lateness(mine),
        'last created ms': created.join(', '),
        'last start ms': lastStarts.join(', '),
      },
      target: 'late p99 <= 50 ms',
    };
  } finally {
    await engine.stop();
  }
}

/**
 * Shape (b): each schedule due once a minute, at second `i mod 60` (cron `S * * * * *`), so about
 * schedules/60 are due each second; `minutes` whole minutes of ticks are measured.
 */
async function spreadRow(store: Store, o: ScheduleBenchOptions): Promise<BenchRow> {
  await putSchedules(store, o.schedules, (i) => `${i % 60} * * * * *`);
  const engine = await startEngine(store);
  try {
    const startMs = await startTicker(engine);
    // The first whole minute after the ticker is running.
    const from = Math.ceil((Date.now() + 1000) / 60_000) * 60_000;
    const to = from + o.minutes * 60_000;
    engine.window.from = from;
    engine.window.to = to;
    await sleepUntil(from - 100);
    const cpu0 = process.cpuUsage();
    await sleepUntil(to - 1000);
    await until(() => engine.window.count >= o.schedules * o.minutes);
    const cpu = cpuMicros(cpu0);
    const mine = engine.starts.filter((s) => s.tick >= from && s.tick < to);
    if (mine.length !== o.schedules * o.minutes) {
      throw new Error(`expected ${o.schedules * o.minutes} starts; got ${mine.length}`);
    }
    return {
      suite: 'schedules',
      workload: `(b) ${o.schedules} each every minute, spread over its 60 s, ${o.minutes} min, 64 handlers`,
      variant: 'LevelStore, disk, durable',
      jobs: mine.length,
      seconds: o.minutes * 60,
      extra: {
        'ticker start ms': String(startMs),
        'cpu µs/fire': (cpu / mine.length).toFixed(0),
        ...lateness(mine),
        'last created ms': '-',
        'last start ms': '-',
      },
      target: 'late p99 <= 50 ms',
    };
  } finally {
    await engine.stop();
  }
}

/** The shapes on LevelStore, on disk, durable, each on a fresh store. */
export async function scheduleBench(o: ScheduleBenchOptions): Promise<BenchRow[]> {
  const { schedules, minutes, ticks } = o;
  if (!Number.isInteger(schedules) || schedules < 1 || schedules > MAX_SCHEDULES) {
    throw new RangeError(
      `--schedules must be a whole number from 1 to ${MAX_SCHEDULES} (a store's limit); got ${schedules}`,
    );
  }
  for (const [flag, value] of [
    ['--minutes', minutes],
    ['--ticks', ticks],
  ] as const) {
    if (!Number.isInteger(value) || value < 1 || value > 60) {
      throw new RangeError(`${flag} must be a whole number from 1 to 60; got ${value}`);
    }
  }
  const rows: BenchRow[] = [];
  for (const shape of o.shapes) {
    const dir = await mkdtemp(join(tmpdir(), 'gq-bench-schedules-'));
    const level = await LevelStore.open({ location: dir });
    try {
      rows.push(await (shape === 'aligned' ? alignedRow(level, o) : spreadRow(level, o)));
    } finally {
      await level.close();
      await rm(dir, { recursive: true, force: true });
    }
  }
  return rows;
}

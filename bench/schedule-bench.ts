import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { MAX_SCHEDULES, type FireInput, type ScheduleStore, type Store } from '@gopherqueue/core';
import { LevelStore } from '@gopherqueue/persistence';
import { SCHEDULED_FOR_TAG, ScheduleTicker, Scheduler } from '@gopherqueue/scheduler';
import { WorkerPool } from '@gopherqueue/worker';
import { until } from './latency-probe.js';
import { inParallel, percentile, type BenchRow } from './table.js';

/** Every 10 s (6 fields, with seconds), so the bench waits at most one such period for a tick. */
const CRON = '*/10 * * * * *';
const PERIOD_MS = 10_000;

/** A store whose `schedules.fire` notes when each call resolved. */
function timedFires(store: Store, resolved: number[]): Store {
  const inner = store.schedules;
  const schedules: ScheduleStore = {
    list: () => inner.list(),
    get: (name) => inner.get(name),
    put: (write) => inner.put(write),
    setPaused: (name, paused) => inner.setPaused(name, paused),
    delete: (name) => inner.delete(name),
    fire: async (name: string, input: FireInput) => {
      const outcome = await inner.fire(name, input);
      resolved.push(Date.now());
      return outcome;
    },
  };
  return new Proxy(store, {
    get(target, key) {
      if (key === 'schedules') return schedules;
      const value: unknown = Reflect.get(target, key, target);
      return typeof value === 'function' ? (value as () => unknown).bind(target) : value;
    },
  });
}

/**
 * `schedules` schedules on one cron that ticks every 10 s, a real {@link ScheduleTicker},
 * {@link Scheduler} and {@link WorkerPool} (64 no-op handlers): waits for one tick at which every
 * schedule is due and reports the lateness of each job's start (the handler's start minus the
 * job's `scheduled_for` tag), how long the ticker took to fire them all (from the tick to the
 * last `fire` resolved; `jobs/s` is fires per second), and the process's CPU from just before the
 * tick to the last start or fire, per schedule.
 */
async function scheduleRow(variant: string, store: Store, schedules: number): Promise<BenchRow> {
  await inParallel(schedules, 64, async (i) => {
    await store.schedules.put({
      name: `bench-${String(i).padStart(5, '0')}`,
      definition: { cron: CRON, job: { type: 'noop' } },
      source: 'api',
    });
  });
  const late: number[] = [];
  const resolved: number[] = [];
  const scheduler = new Scheduler({ store });
  await scheduler.start();
  const pool = new WorkerPool({ store, scheduler, concurrency: 64 });
  pool.register('noop', (ctx) => {
    late.push(Date.now() - Date.parse(ctx.tags[SCHEDULED_FOR_TAG] ?? 'missing'));
    return null;
  });
  const ticker = new ScheduleTicker({ store: timedFires(store, resolved) });
  try {
    pool.start();
    // Starts the ticker just after a tick (the ticks before it are skipped: misfire `skip`), so
    // the next one is the first it fires, a whole period later.
    const start = Math.ceil(Date.now() / PERIOD_MS) * PERIOD_MS + 50;
    await sleep(start - Date.now());
    await ticker.start();
    const tick = start - 50 + PERIOD_MS;
    await sleep(tick - Date.now() - 200);
    const cpu0 = process.cpuUsage();
    const fired = (): number[] => resolved.filter((at) => at >= tick);
    await until(() => late.length >= schedules && fired().length >= schedules);
    const cpu = process.cpuUsage(cpu0);
    if (late.length !== schedules || fired().length !== schedules) {
      throw new Error(
        `expected ${schedules} fires and starts; got ${fired().length}, ${late.length}`,
      );
    }
    late.sort((a, b) => a - b);
    const seconds = (Math.max(...fired()) - tick) / 1000;
    return {
      suite: 'schedules',
      workload: `${schedules} schedules due at one tick (cron ${CRON}), 64 handlers`,
      variant,
      jobs: schedules,
      seconds,
      extra: {
        'cpu µs/schedule': ((cpu.user + cpu.system) / schedules).toFixed(0),
        'late p50 ms': String(percentile(late, 50)),
        'late p99 ms': String(percentile(late, 99)),
        'late max ms': String(late[late.length - 1]),
        'tick fired in ms': String(Math.round(seconds * 1000)),
      },
      target: 'late p99 <= 50 ms',
    };
  } finally {
    await ticker.stop();
    await pool.stop();
    await scheduler.stop();
  }
}

/** One tick of `schedules` (1..MAX_SCHEDULES) schedules on LevelStore, on disk, durable. */
export async function scheduleBench(schedules: number): Promise<BenchRow[]> {
  if (!Number.isInteger(schedules) || schedules < 1 || schedules > MAX_SCHEDULES) {
    throw new RangeError(
      `--schedules must be a whole number from 1 to ${MAX_SCHEDULES} (a store's limit); got ${schedules}`,
    );
  }
  const dir = await mkdtemp(join(tmpdir(), 'gq-bench-schedules-'));
  const level = await LevelStore.open({ location: dir });
  try {
    return [await scheduleRow('LevelStore, disk, durable', level, schedules)];
  } finally {
    await level.close();
    await rm(dir, { recursive: true, force: true });
  }
}

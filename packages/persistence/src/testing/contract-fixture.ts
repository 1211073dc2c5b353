import { afterEach, beforeEach, expect } from 'vitest';
import {
  createJob,
  JOB_STATES,
  type ErrorCodeValue,
  type Job,
  type JobOptions,
  type JobSpec,
  type JobState,
  type Store,
} from '@gopherqueue/core';
import { ManualClock } from '@gopherqueue/core/testing';

/** How the contract suite gets a fresh store for each test and disposes of it. */
export interface StoreContractHarness {
  /** Opens a fresh, empty store whose timestamps come from `clock`. */
  create(clock: ManualClock): Promise<Store>;
  /**
   * Releases everything the store used (closes it, removes its files or tables). Called after
   * every test, including tests that already closed the store.
   */
  destroy(store: Store): Promise<void>;
}

/** Lease length used by the suite unless a test needs another. */
export const LEASE_MS = 30_000;

/** Worker id used by the suite's claims. */
export const WORKER = 'contract-worker';

/** The store and clock of the running test, plus shortcuts. */
export interface StoreFixture {
  readonly store: Store;
  readonly clock: ManualClock;
  /** A job spec built at the clock's current time. */
  spec(type: string, options?: JobOptions, payload?: unknown): JobSpec;
  /** Submits one new job (built at the clock's current time) and returns it as stored. */
  submit(type: string, options?: JobOptions, payload?: unknown): Promise<Job>;
  /** Claims exactly one job (failing the test otherwise). */
  claimOne(options?: { types?: string[]; queues?: string[]; leaseMs?: number }): Promise<Job>;
  /** The stored job, failing the test when it is missing. */
  get(id: string): Promise<Job>;
}

/**
 * Registers `beforeEach`/`afterEach` hooks that give every test a fresh store on a fresh
 * {@link ManualClock}; call it inside a `describe`.
 */
export function useStore(harness: StoreContractHarness): StoreFixture {
  let current: { store: Store; clock: ManualClock } | undefined;
  beforeEach(async () => {
    const clock = new ManualClock();
    current = { store: await harness.create(clock), clock };
  });
  afterEach(async () => {
    const done = current;
    current = undefined;
    if (done) await harness.destroy(done.store);
  });
  const now = (): { store: Store; clock: ManualClock } => {
    if (!current) throw new Error('the store fixture is only available inside a test');
    return current;
  };
  const fixture: StoreFixture = {
    get store() {
      return now().store;
    },
    get clock() {
      return now().clock;
    },
    spec(type, options = {}, payload = null) {
      return createJob(type, payload, options, now().clock.now());
    },
    async submit(type, options = {}, payload = null) {
      const result = await now().store.submit(fixture.spec(type, options, payload));
      return result.job;
    },
    async claimOne(options = {}) {
      const jobs = await now().store.claim({
        workerId: WORKER,
        limit: 1,
        leaseMs: options.leaseMs ?? LEASE_MS,
        ...(options.types ? { types: options.types } : {}),
        ...(options.queues ? { queues: options.queues } : {}),
      });
      expect(jobs).toHaveLength(1);
      return jobs[0]!;
    },
    async get(id) {
      const job = await now().store.get(id);
      expect(job, `job ${id} should be stored`).toBeDefined();
      return job!;
    },
  };
  return fixture;
}

/** Asserts that `promise` rejects with a `GqError` of the given code. */
export async function expectCode(promise: Promise<unknown>, code: ErrorCodeValue): Promise<void> {
  await expect(promise).rejects.toMatchObject({ name: 'GqError', code });
}

/** A count of zero for every state, with `overrides` applied. */
export function stateCounts(
  overrides: Partial<Record<JobState, number>> = {},
): Record<JobState, number> {
  const counts = Object.fromEntries(JOB_STATES.map((s) => [s, 0])) as Record<JobState, number>;
  return { ...counts, ...overrides };
}

type PriorityCounts = [number, number, number, number, number];

/** Five zeros per state, with `overrides` applied. */
export function priorityCounts(
  overrides: Partial<Record<JobState, PriorityCounts>> = {},
): Record<JobState, PriorityCounts> {
  const counts = Object.fromEntries(
    JOB_STATES.map((s) => [s, [0, 0, 0, 0, 0] as PriorityCounts]),
  ) as Record<JobState, PriorityCounts>;
  return { ...counts, ...overrides };
}

/** The ids of `jobs`, in order. */
export function ids(jobs: readonly { id: string }[]): string[] {
  return jobs.map((j) => j.id);
}

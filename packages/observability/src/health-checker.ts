import { performance } from 'node:perf_hooks';
import { type Clock, systemClock } from '@gopherqueue/core';

/** Overall health: every check passed, only non-critical ones failed, or a critical one failed. */
export type HealthStatus = 'healthy' | 'degraded' | 'unhealthy';

/** One component's result. */
export interface ComponentHealth {
  status: 'healthy' | 'unhealthy';
  /** How long the check took (up to the timeout), in milliseconds. */
  latencyMs: number;
  /** Why it failed. */
  error?: string;
}

/** What {@link HealthChecker.check} reports (`/health`). */
export interface HealthReport {
  status: HealthStatus;
  components: Record<string, ComponentHealth>;
  /** Whether the service is ready (see {@link HealthChecker.markReady}). */
  ready: boolean;
  uptimeMs: number;
  /** RFC 3339. */
  timestamp: string;
}

/** A check: resolves when the component is healthy, rejects (or times out) when it is not. */
export type HealthCheck = () => Promise<void>;

/** Options of {@link HealthChecker.register}. */
export interface HealthCheckOptions {
  /**
   * A failing critical check makes the report `unhealthy`; a failing non-critical one only
   * `degraded`.
   * @defaultValue true
   */
  critical?: boolean;
}

/** Options of {@link HealthChecker}. */
export interface HealthCheckerOptions {
  /** A check that has not settled after this long fails as timed out. @defaultValue 2000 */
  timeoutMs?: number;
  /** Time for uptime, the timestamp and the timeouts. @defaultValue `systemClock` */
  clock?: Clock;
}

interface Registered {
  check: HealthCheck;
  critical: boolean;
}

/** Health checks with latency and timeouts (`/health`), plus readiness (`/ready`). */
export class HealthChecker {
  readonly #checks = new Map<string, Registered>();
  readonly #timeoutMs: number;
  readonly #clock: Clock;
  readonly #startedAt: number;
  #ready = false;
  #notReadyReason: string | undefined = 'starting';

  /** @throws RangeError for a timeout that is not a positive number */
  constructor(options: HealthCheckerOptions = {}) {
    const timeoutMs = options.timeoutMs ?? 2000;
    if (typeof timeoutMs !== 'number' || !Number.isFinite(timeoutMs) || timeoutMs <= 0) {
      throw new RangeError(`timeoutMs must be a positive number; got ${String(timeoutMs)}`);
    }
    this.#timeoutMs = timeoutMs;
    this.#clock = options.clock ?? systemClock;
    this.#startedAt = this.#clock.now();
  }

  /**
   * Adds a named check, run by every {@link HealthChecker.check}.
   * @throws TypeError for a non-function check or an empty name; RangeError for a name in use
   */
  register(name: string, check: HealthCheck, options: HealthCheckOptions = {}): void {
    if (typeof name !== 'string' || name === '') {
      throw new TypeError('name must be a non-empty string');
    }
    if (typeof check !== 'function') throw new TypeError(`check ${name} must be a function`);
    if (this.#checks.has(name)) throw new RangeError(`a check named ${name} is registered already`);
    this.#checks.set(name, { check, critical: options.critical ?? true });
  }

  /** The service is ready (store open, startup recovery done). */
  markReady(): void {
    this.#ready = true;
    this.#notReadyReason = undefined;
  }

  /** The service is not ready, for `reason` (starting, shutting down, ...). */
  markNotReady(reason: string): void {
    this.#ready = false;
    this.#notReadyReason = reason;
  }

  /** True after {@link HealthChecker.markReady} until {@link HealthChecker.markNotReady}. */
  isReady(): boolean {
    return this.#ready;
  }

  /** Why the service is not ready (`'starting'` until first marked ready), or undefined. */
  get notReadyReason(): string | undefined {
    return this.#notReadyReason;
  }

  /** Runs every check at once, each bounded by the timeout, and reports them. */
  async check(): Promise<HealthReport> {
    const entries = [...this.#checks];
    const results = await Promise.all(entries.map(([, reg]) => this.#run(reg.check)));
    const components: Record<string, ComponentHealth> = {};
    let status: HealthStatus = 'healthy';
    entries.forEach(([name, reg], i) => {
      const result = results[i] as ComponentHealth;
      components[name] = result;
      if (result.status === 'unhealthy') {
        status = reg.critical ? 'unhealthy' : status === 'unhealthy' ? status : 'degraded';
      }
    });
    const now = this.#clock.now();
    return {
      status,
      components,
      ready: this.#ready,
      uptimeMs: now - this.#startedAt,
      timestamp: new Date(now).toISOString(),
    };
  }

  async #run(check: HealthCheck): Promise<ComponentHealth> {
    const started = performance.now();
    let cancelTimer: (() => void) | undefined;
    const timeout = new Promise<never>((_, reject) => {
      cancelTimer = this.#clock.setTimer(() => {
        reject(new Error(`timed out after ${String(this.#timeoutMs)}ms`));
      }, this.#timeoutMs);
    });
    try {
      // A check that throws synchronously counts as a failure too.
      await Promise.race([Promise.resolve().then(check), timeout]);
      return { status: 'healthy', latencyMs: elapsed(started) };
    } catch (err) {
      return {
        status: 'unhealthy',
        latencyMs: elapsed(started),
        error: err instanceof Error ? err.message : String(err),
      };
    } finally {
      cancelTimer?.();
    }
  }
}

function elapsed(started: number): number {
  return Math.round((performance.now() - started) * 1000) / 1000;
}

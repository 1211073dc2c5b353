import { ManualClock } from '@gopherqueue/core/testing';
import { describe, expect, it } from 'vitest';
import { HealthChecker } from './health-checker.js';

const never = () => new Promise<void>(() => {});

describe('HealthChecker', () => {
  it('reports healthy components with their latency, uptime and time', async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    const health = new HealthChecker({ clock });
    health.register('store', () => Promise.resolve());
    health.register('scheduler', async () => {});
    clock.advance(5000);
    const report = await health.check();
    expect(report.status).toBe('healthy');
    expect(Object.keys(report.components)).toEqual(['store', 'scheduler']);
    expect(report.components.store?.status).toBe('healthy');
    expect(report.components.store?.error).toBeUndefined();
    expect(report.components.store?.latencyMs).toBeGreaterThanOrEqual(0);
    expect(report.uptimeMs).toBe(5000);
    expect(report.timestamp).toBe('2026-01-01T00:00:05.000Z');
    expect(report.ready).toBe(false);
  });

  it('reports a failing critical check as unhealthy with its error', async () => {
    const health = new HealthChecker();
    health.register('store', () => Promise.reject(new Error('store is closed')));
    health.register('workers', () => Promise.resolve());
    const report = await health.check();
    expect(report.status).toBe('unhealthy');
    expect(report.components.store).toMatchObject({
      status: 'unhealthy',
      error: 'store is closed',
    });
    expect(report.components.workers?.status).toBe('healthy');
  });

  it('reports a failing non-critical check as degraded', async () => {
    const health = new HealthChecker();
    health.register('store', () => Promise.resolve());
    health.register(
      'webhook',
      () => {
        throw new Error('unreachable');
      },
      { critical: false },
    );
    const report = await health.check();
    expect(report.status).toBe('degraded');
    expect(report.components.webhook).toMatchObject({ status: 'unhealthy', error: 'unreachable' });
  });

  it('fails a check that does not settle within the timeout', async () => {
    const clock = new ManualClock();
    const health = new HealthChecker({ clock, timeoutMs: 2000 });
    health.register('store', never);
    health.register('fast', () => Promise.resolve());
    const pending = health.check();
    await Promise.resolve();
    clock.advance(1999);
    let settled = false;
    void pending.then(() => (settled = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(settled).toBe(false);
    clock.advance(1);
    const report = await pending;
    expect(report.status).toBe('unhealthy');
    expect(report.components.store).toMatchObject({
      status: 'unhealthy',
      error: 'timed out after 2000ms',
    });
    expect(report.components.fast?.status).toBe('healthy');
  });

  it('times out on the real clock too', async () => {
    const health = new HealthChecker({ timeoutMs: 20 });
    health.register('slow', never);
    expect((await health.check()).components.slow?.error).toBe('timed out after 20ms');
  });

  it('is not ready until marked ready, and again when marked not ready', () => {
    const health = new HealthChecker();
    expect(health.isReady()).toBe(false);
    expect(health.notReadyReason).toBe('starting');
    health.markReady();
    expect(health.isReady()).toBe(true);
    expect(health.notReadyReason).toBeUndefined();
    health.markNotReady('shutting down');
    expect(health.isReady()).toBe(false);
    expect(health.notReadyReason).toBe('shutting down');
  });

  it('rejects a duplicate name and invalid options', () => {
    const health = new HealthChecker();
    health.register('store', () => Promise.resolve());
    expect(() => health.register('store', () => Promise.resolve())).toThrow(RangeError);
    expect(() => new HealthChecker({ timeoutMs: 0 })).toThrow(RangeError);
  });
});

import { describe, expect, it } from 'vitest';
import { metricKey, parsePrometheus } from './parse-prometheus.js';

describe('parsePrometheus', () => {
  it('keys samples by name and sorted labels, unescaping label values', () => {
    const samples = parsePrometheus(
      [
        '# HELP gq_jobs_completed_total Jobs that completed.',
        '# TYPE gq_jobs_completed_total counter',
        'gq_jobs_completed_total{type="echo",queue="a\\"b"} 3',
        'gq_job_run_seconds_bucket{le="+Inf",type="echo"} 2',
        'process_start_time_seconds 1767225600 1767225600000',
        'nodejs_eventloop_lag_mean_seconds Nan',
        'up +Inf',
        '',
      ].join('\n'),
    );
    expect(samples.get(metricKey('gq_jobs_completed_total', { type: 'echo', queue: 'a"b' }))).toBe(
      3,
    );
    expect(samples.get('gq_job_run_seconds_bucket{le="+Inf",type="echo"}')).toBe(2);
    expect(samples.get('process_start_time_seconds')).toBe(1767225600);
    expect(samples.get('nodejs_eventloop_lag_mean_seconds')).toBeNaN();
    expect(samples.get('up')).toBe(Infinity);
    expect(samples.size).toBe(5);
  });

  it('rejects text that is not the Prometheus format', () => {
    expect(() => parsePrometheus('{"jobs_enqueued": 1}')).toThrow(SyntaxError);
    expect(() => parsePrometheus('gq_up yes')).toThrow(/not a Prometheus value/);
  });
});

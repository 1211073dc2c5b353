import { parseTraceparent, type Job } from '@gopherqueue/core';
import {
  context,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Context,
  type Span,
  type Tracer,
  type TracerProvider,
} from '@opentelemetry/api';
import type { AttemptOutcome, Settled } from './attempt-end.js';

const TRACER_NAME = '@gopherqueue/worker';
let cached: { provider: TracerProvider; tracer: Tracer } | undefined;

/**
 * Tracing of attempts through `@opentelemetry/api` alone: a no-op until the application (or
 * `gq serve --otel`) registers an SDK. The tracer is looked up again whenever the registered
 * provider changes, not kept from module load: another copy of the API (its CommonJS build,
 * which an SDK loads) registers its own provider, which a tracer taken earlier from this copy's
 * placeholder would never reach.
 */
function tracer(): Tracer {
  const provider = trace.getTracerProvider();
  if (cached?.provider !== provider) cached = { provider, tracer: provider.getTracer(TRACER_NAME) };
  return cached.tracer;
}

/**
 * One attempt's span: `process <type>`, a consumer span whose parent is the job's stored
 * `traceparent` (the submitting span, so the attempt joins that trace), else a root. The handler
 * runs inside it ({@link AttemptSpan.run}), so spans it starts and jobs it submits are its
 * children.
 */
export class AttemptSpan {
  readonly #span: Span;
  readonly #context: Context;

  constructor(job: Job) {
    const remote = job.traceparent === undefined ? undefined : parseTraceparent(job.traceparent);
    const parent = remote === undefined ? ROOT_CONTEXT : trace.setSpanContext(ROOT_CONTEXT, remote);
    this.#span = tracer().startSpan(`process ${job.type}`, { kind: SpanKind.CONSUMER }, parent);
    // Set after the start, and only when recorded: without an SDK no attribute object is made.
    if (this.#span.isRecording()) {
      this.#span.setAttributes({
        'messaging.system': 'gopherqueue',
        'messaging.operation.type': 'process',
        'messaging.destination.name': job.queue,
        'messaging.message.id': job.id,
        'gq.job.id': job.id,
        'gq.job.type': job.type,
        'gq.job.queue': job.queue,
        'gq.job.attempt': job.attempt,
      });
    }
    this.#context = trace.setSpan(context.active(), this.#span);
  }

  /** Calls `fn` with this span active. */
  run<T>(fn: () => T): T {
    return context.with(this.#context, fn);
  }

  /**
   * Ends the span with the attempt's outcome (`gq.job.outcome`) and, for a handler that threw,
   * the error recorded and the status set to ERROR.
   */
  end(settled: Settled, outcome: AttemptOutcome): void {
    const span = this.#span;
    if (!span.isRecording()) {
      span.end();
      return;
    }
    span.setAttribute('gq.job.outcome', outcome);
    if (!settled.ok) {
      if ('error' in settled) {
        const error = settled.error;
        span.recordException(error instanceof Error ? error : String(error));
        span.setStatus({
          code: SpanStatusCode.ERROR,
          message: error instanceof Error ? error.message : String(error),
        });
      } else {
        span.setStatus({ code: SpanStatusCode.ERROR, message: 'the handler was abandoned' });
      }
    } else if (outcome === 'failed' || outcome === 'dropped') {
      span.setStatus({ code: SpanStatusCode.ERROR, message: `attempt ${outcome}` });
    }
    span.end();
  }
}

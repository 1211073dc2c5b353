import {
  context,
  isSpanContextValid,
  trace,
  TraceFlags,
  type SpanContext,
} from '@opentelemetry/api';

/**
 * W3C Trace Context (`traceparent`) of a job: the span that submitted it, kept with the job so that
 * every attempt's span joins that trace. Version 00 only: `00-<32 hex trace id>-<16 hex parent
 * span id>-<2 hex flags>`, lowercase, neither id all zeros.
 */
const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/** The length of every valid `traceparent`. */
export const TRACEPARENT_LENGTH = 55;

/** True for a valid version-00 `traceparent` whose ids are not all zeros. */
export function isTraceparent(value: unknown): value is string {
  return typeof value === 'string' && parseTraceparent(value) !== undefined;
}

/** The span context a `traceparent` names (marked remote), or undefined when it is not valid. */
export function parseTraceparent(value: string): SpanContext | undefined {
  const match = TRACEPARENT.exec(value);
  if (match === null) return undefined;
  const spanContext: SpanContext = {
    traceId: match[1] as string,
    spanId: match[2] as string,
    traceFlags: Number.parseInt(match[3] as string, 16) & TraceFlags.SAMPLED,
    isRemote: true,
  };
  return isSpanContextValid(spanContext) ? spanContext : undefined;
}

/** The `traceparent` of a span context. */
export function formatTraceparent(spanContext: SpanContext): string {
  const flags = (spanContext.traceFlags & 0xff).toString(16).padStart(2, '0');
  return `00-${spanContext.traceId}-${spanContext.spanId}-${flags}`;
}

/**
 * The `traceparent` of the span active where this is called, or undefined when there is none (as
 * always until the application registers an OpenTelemetry SDK: the API alone records nothing).
 */
export function activeTraceparent(): string | undefined {
  const spanContext = trace.getSpanContext(context.active());
  return spanContext !== undefined && isSpanContextValid(spanContext)
    ? formatTraceparent(spanContext)
    : undefined;
}

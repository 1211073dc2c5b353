import type { Logger } from '@gopherqueue/core';
import { UsageError } from './cli-error.js';

/** `gq serve` and `gq work` with tracing on: stop flushes the spans not yet exported. */
export interface Tracing {
  stop(): Promise<void>;
}

/** How long a stop waits for the last spans to be exported. */
const FLUSH_TIMEOUT_MS = 5_000;

/**
 * True when attempts' spans should be exported: `--otel`, or (without `--otel=false`) the standard
 * `OTEL_TRACES_EXPORTER` naming `otlp`. `OTEL_SDK_DISABLED=true` wins over both.
 */
export function tracingWanted(
  flag: boolean | undefined,
  env: Readonly<Record<string, string | undefined>>,
): boolean {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return false;
  if (flag !== undefined) return flag;
  const exporters = (env.OTEL_TRACES_EXPORTER ?? '').split(',').map((e) => e.trim().toLowerCase());
  return exporters.includes('otlp');
}

/**
 * Registers an OpenTelemetry SDK for this process: a span per attempt (and whatever handlers
 * trace) goes in batches to an OTLP/HTTP collector, configured by the standard variables
 * (`OTEL_EXPORTER_OTLP_ENDPOINT` or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`, default
 * `http://localhost:4318`; `OTEL_EXPORTER_OTLP_HEADERS`; `OTEL_SERVICE_NAME`, default `gq`;
 * `OTEL_RESOURCE_ATTRIBUTES`; the `OTEL_BSP_*` batch settings). The SDK is loaded only here, so a
 * process without tracing never loads it.
 */
export async function startTracing(serviceName: string, logger: Logger): Promise<Tracing> {
  const [node, base, otlp, resources] = await Promise.all([
    import('@opentelemetry/sdk-trace-node'),
    import('@opentelemetry/sdk-trace-base'),
    import('@opentelemetry/exporter-trace-otlp-http'),
    import('@opentelemetry/resources'),
  ]);
  let exporter;
  try {
    exporter = new otlp.OTLPTraceExporter();
  } catch (err) {
    throw new UsageError(`--otel: ${(err as Error).message}; check OTEL_EXPORTER_OTLP_* settings`);
  }
  const resource = resources
    .resourceFromAttributes({ 'service.name': serviceName })
    .merge(resources.detectResources({ detectors: [resources.envDetector] }));
  const provider = new node.NodeTracerProvider({
    resource,
    spanProcessors: [new base.BatchSpanProcessor(exporter)],
  });
  provider.register();
  logger.info('tracing: exporting a span per attempt over OTLP/HTTP', {
    endpoint:
      process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ??
      process.env.OTEL_EXPORTER_OTLP_ENDPOINT ??
      'http://localhost:4318',
  });
  return {
    async stop() {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<void>((resolve) => {
        timer = setTimeout(() => {
          logger.warn('tracing: spans not exported within the shutdown bound were dropped', {
            timeoutMs: FLUSH_TIMEOUT_MS,
          });
          resolve();
        }, FLUSH_TIMEOUT_MS);
      });
      try {
        await Promise.race([provider.shutdown(), timeout]);
      } catch (err) {
        logger.warn('tracing: could not export the last spans', { error: String(err) });
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

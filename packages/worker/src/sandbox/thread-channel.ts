import { Worker } from 'node:worker_threads';
import {
  SANDBOX_MAIN,
  type ChannelOptions,
  type SandboxChannel,
  type SandboxEvents,
} from './sandbox-channel.js';

/**
 * A sandbox in a worker thread, its heap bounded by `resourceLimits`. A thread that runs out of
 * heap, throws an uncaught error or calls `process.exit` ends alone; `kill` stops even a thread
 * stuck in a loop (`worker.terminate()`). The thread does not keep the process alive on its own.
 */
export function openThreadChannel(options: ChannelOptions, events: SandboxEvents): SandboxChannel {
  const worker = new Worker(SANDBOX_MAIN, {
    ...(options.execArgv === undefined ? {} : { execArgv: [...options.execArgv] }),
    ...(options.memoryMb === undefined
      ? {}
      : { resourceLimits: { maxOldGenerationSizeMb: options.memoryMb } }),
  });
  worker.unref();
  let error: unknown;
  worker.on('message', (batch: unknown) => {
    events.message(batch);
  });
  worker.on('error', (err) => {
    error = err;
  });
  worker.on('exit', (code) => {
    events.exit({
      code,
      error,
      outOfMemory: (error as { code?: unknown } | undefined)?.code === 'ERR_WORKER_OUT_OF_MEMORY',
    });
  });
  return {
    name: `thread ${worker.threadId}`,
    send(batch) {
      worker.postMessage(batch);
    },
    kill() {
      // The exit event reports the end; terminate() only says when it happened.
      worker.terminate().catch(() => undefined);
    },
  };
}

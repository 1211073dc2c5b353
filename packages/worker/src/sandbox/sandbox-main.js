// The entry of a sandbox: a worker thread or a child process that runs one job type's handler for
// a WorkerPool. It is plain JavaScript importing nothing but Node and its two siblings
// (sandbox-context.js, sandbox-wire.js), so it starts the same way from the TypeScript sources and
// after a build. The messages are described in sandbox-protocol.ts:
// every message is a batch (an array of items); items going out are gathered until the event
// loop is idle (setImmediate), so the ends of many jobs cross in one message.
import process from 'node:process';
import { setImmediate, setTimeout } from 'node:timers';
import { parentPort } from 'node:worker_threads';
import { SandboxContext } from './sandbox-context.js';
import { fromWire, jsonCopy, toWire } from './sandbox-wire.js';

const post =
  parentPort === null ? (batch) => process.send(batch) : (batch) => parentPort.postMessage(batch);

/** The handler, once loaded. */
let handler;
/** Resolves once the handler is loaded (never, if it cannot be). */
let loaded;
/** Runs whose handler has not settled, by id. */
const runs = new Map();
/** `ctx.checkpoint` and `ctx.progress` calls waiting for the pool's reply, by call id. */
const calls = new Map();
let lastCall = 0;
let outbox = [];
let flushQueued = false;
let exiting = false;

function send(item) {
  outbox.push(item);
  if (!flushQueued) {
    flushQueued = true;
    setImmediate(flush);
  }
}

function flush() {
  flushQueued = false;
  const batch = outbox;
  outbox = [];
  if (batch.length === 0 || exiting) return;
  try {
    post(batch);
  } catch {
    // Some value does not clone (a function, a class instance with private state): send the
    // items one by one, turning the values of those that fail into JSON, as the pool would.
    for (const item of batch) postAlone(item);
  }
}

function postAlone(item) {
  try {
    post([item]);
    return;
  } catch {
    // falls through to the JSON form
  }
  const fallback = asJson(item);
  if (fallback !== undefined) post([fallback]);
}

/** The item with its value as JSON; undefined when the item was answered here instead. */
function asJson(item) {
  switch (item.t) {
    case 'done':
      try {
        return { ...item, value: jsonCopy(item.value) };
      } catch (err) {
        const error = new TypeError(`the handler result must be JSON-serialisable: ${err.message}`);
        return { t: 'threw', id: item.id, error: toWire(error) };
      }
    case 'call':
      try {
        return { ...item, value: jsonCopy(item.value) };
      } catch (err) {
        const waiting = calls.get(item.call);
        calls.delete(item.call);
        const what = item.kind === 'checkpoint' ? 'a checkpoint' : 'progress';
        waiting?.reject(new TypeError(`${what} must be JSON-serialisable: ${err.message}`));
        return undefined;
      }
    case 'log': {
      let fields;
      try {
        fields = jsonCopy(item.fields);
      } catch {
        fields = { fields: '(not serialisable)' };
      }
      return { ...item, fields };
    }
    default:
      return { t: 'uncaught', error: toWire(new TypeError(`cannot send a ${item.t} message`)) };
  }
}

/** The module's default export, unwrapping CommonJS compiled from `export default`. */
function defaultExport(namespace) {
  const value = namespace?.default;
  if (
    value !== null &&
    typeof value === 'object' &&
    value.__esModule === true &&
    'default' in value
  ) {
    return value.default;
  }
  return value;
}

async function load(init) {
  try {
    let importModule = (specifier) => import(specifier);
    if (init.loader !== undefined) {
      const loader = await import(init.loader);
      if (typeof loader.importModule !== 'function') {
        throw new TypeError(`the sandbox loader ${init.loader} exports no importModule function`);
      }
      importModule = loader.importModule;
    }
    const namespace = await importModule(init.module);
    let value = init.export === 'default' ? defaultExport(namespace) : namespace?.[init.export];
    let where = `the export "${init.export}" of ${init.module}`;
    if (init.key !== undefined) {
      const map = value;
      value =
        map !== null && typeof map === 'object' && Object.hasOwn(map, init.key)
          ? map[init.key]
          : undefined;
      where = `"${init.key}" in ${where}`;
    }
    if (value !== null && typeof value === 'object' && typeof value.handler === 'function') {
      value = value.handler;
    }
    if (typeof value !== 'function') {
      throw new TypeError(`${where} is not a handler function (it is ${typeof value})`);
    }
    handler = value;
    send({ t: 'ready' });
  } catch (err) {
    send({ t: 'load_failed', error: toWire(err) });
    // Never resolves: runs waiting for the handler stay waiting until the pool ends the sandbox.
    await new Promise(() => {});
  }
}

/** Relays `ctx.checkpoint` and `ctx.progress` to the pool; settles on its reply. */
function call(id, kind, value, message) {
  const callId = ++lastCall;
  return new Promise((resolve, reject) => {
    calls.set(callId, { resolve, reject });
    const item = { t: 'call', id, call: callId, kind, value };
    if (message !== undefined) item.message = String(message);
    send(item);
  });
}

/** What a SandboxContext sends through. */
const port = { send, call };

function start(item) {
  const run = { id: item.id, controller: undefined, reason: undefined };
  runs.set(item.id, run);
  if (handler === undefined) {
    void loaded.then(() => invoke(run, item));
  } else {
    invoke(run, item);
  }
}

function invoke(run, item) {
  if (run.reason !== undefined) {
    finish(run, false, run.reason);
    return;
  }
  let value;
  try {
    value = handler(new SandboxContext(port, run, item.job, item.dependencies ?? []));
  } catch (err) {
    finish(run, false, err);
    return;
  }
  if (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof value.then === 'function'
  ) {
    Promise.resolve(value).then(
      (result) => finish(run, true, result),
      (err) => finish(run, false, err),
    );
  } else {
    finish(run, true, value);
  }
}

function finish(run, ok, value) {
  runs.delete(run.id);
  send(ok ? { t: 'done', id: run.id, value } : { t: 'threw', id: run.id, error: toWire(value) });
}

function abort(item) {
  const run = runs.get(item.id);
  if (run === undefined || run.reason !== undefined) return;
  run.reason = fromWire(item.reason);
  run.controller?.abort(run.reason);
}

function reply(item) {
  const waiting = calls.get(item.call);
  if (waiting === undefined) return;
  calls.delete(item.call);
  if (item.error === undefined) waiting.resolve();
  else waiting.reject(fromWire(item.error));
}

function onBatch(batch) {
  for (const item of batch) {
    switch (item.t) {
      case 'init':
        loaded = load(item);
        break;
      case 'run':
        start(item);
        break;
      case 'abort':
        abort(item);
        break;
      case 'reply':
        reply(item);
        break;
    }
  }
}

if (parentPort === null) {
  process.on('message', onBatch);
  // The pool went away (it was killed): nothing will ask for work or read results any more.
  process.on('disconnect', () => process.exit(0));
  // Say why before dying, as a worker thread's 'error' event says it for a thread.
  process.on('uncaughtException', (err) => {
    if (exiting) return;
    exiting = true;
    const die = () => process.exit(1);
    setTimeout(die, 1_000).unref();
    try {
      process.send([{ t: 'uncaught', error: toWire(err) }], die);
    } catch {
      die();
    }
  });
} else {
  parentPort.on('message', onBatch);
}

// The entry of a sandbox: a worker thread or a child process that runs one job type's handler for
// a WorkerPool. It is plain JavaScript importing nothing but Node, so it starts the same way from
// the TypeScript sources and after a build. The messages are described in sandbox-protocol.ts:
// every message is a batch (an array of items); items going out are gathered until the event
// loop is idle (setImmediate), so the ends of many jobs cross in one message.
/* global AbortController -- Node has it global, and no module exports it */
import process from 'node:process';
import { setImmediate, setTimeout } from 'node:timers';
import { parentPort } from 'node:worker_threads';

/** Marks a PermanentError of any copy of @gopherqueue/core (see its isPermanentError). */
const PERMANENT = Symbol.for('gopherqueue.PermanentError');

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

function jsonCopy(value) {
  const text = JSON.stringify(value);
  return text === undefined ? null : JSON.parse(text);
}

/** An error (or anything thrown) as it crosses to the pool. */
function toWire(thrown) {
  try {
    if (thrown instanceof Error) {
      const wire = {
        kind: 'error',
        name: String(thrown.name),
        message: String(thrown.message),
        permanent: thrown[PERMANENT] === true,
      };
      if (typeof thrown.stack === 'string') wire.stack = thrown.stack;
      if (typeof thrown.code === 'string') wire.code = thrown.code;
      return wire;
    }
    return { kind: 'value', text: String(thrown) };
  } catch {
    // An object without a prototype has no toString; an error may have throwing getters.
    return { kind: 'value', text: Object.prototype.toString.call(thrown) };
  }
}

/** An error (an abort reason, a rejected call) as the pool sent it. */
function fromWire(wire) {
  if (wire.kind === 'value') return wire.text;
  const error = new Error(wire.message);
  Object.defineProperty(error, 'name', { value: wire.name, configurable: true, writable: true });
  if (wire.stack !== undefined) error.stack = wire.stack;
  if (wire.code !== undefined) error.code = wire.code;
  return error;
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

/** The `ctx.logger` of one run: each line crosses to the pool's logger for the job. */
class RunLogger {
  #id;
  #fields;

  constructor(id, fields) {
    this.#id = id;
    this.#fields = fields;
  }

  debug(message, fields) {
    this.#log('debug', message, fields);
  }

  info(message, fields) {
    this.#log('info', message, fields);
  }

  warn(message, fields) {
    this.#log('warn', message, fields);
  }

  error(message, fields) {
    this.#log('error', message, fields);
  }

  child(fields) {
    return new RunLogger(this.#id, { ...this.#fields, ...fields });
  }

  #log(level, message, fields) {
    const merged = this.#fields === undefined ? fields : { ...this.#fields, ...fields };
    const item = { t: 'log', id: this.#id, level, message: String(message) };
    if (merged !== undefined) item.fields = merged;
    send(item);
  }
}

function call(id, kind, value, message) {
  const callId = ++lastCall;
  return new Promise((resolve, reject) => {
    calls.set(callId, { resolve, reject });
    const item = { t: 'call', id, call: callId, kind, value };
    if (message !== undefined) item.message = String(message);
    send(item);
  });
}

/** The JobContext of a run inside the sandbox: the same fields and functions as inline. */
class SandboxContext {
  #run;
  #logger;
  #checkpoint;
  #progress;

  constructor(run, job, dependencies) {
    this.job = job;
    this.id = job.id;
    this.type = job.type;
    this.payload = job.payload;
    this.attempt = job.attempt;
    this.tags = job.tags;
    this.lastCheckpoint = job.checkpoint;
    this.dependencies = dependencies;
    this.#run = run;
  }

  get signal() {
    const run = this.#run;
    if (run.controller === undefined) {
      run.controller = new AbortController();
      if (run.reason !== undefined) run.controller.abort(run.reason);
    }
    return run.controller.signal;
  }

  get logger() {
    return (this.#logger ??= new RunLogger(this.#run.id, undefined));
  }

  get checkpoint() {
    return (this.#checkpoint ??= (state) => call(this.#run.id, 'checkpoint', state));
  }

  get progress() {
    return (this.#progress ??= (value, message) => call(this.#run.id, 'progress', value, message));
  }
}

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
    value = handler(new SandboxContext(run, item.job, item.dependencies ?? []));
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

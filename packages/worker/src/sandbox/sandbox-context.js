// The JobContext a handler gets inside a sandbox (see sandbox-main.js): the job's fields as they
// crossed, the run's signal, and `logger`, `checkpoint` and `progress` relayed to the pool
// through `port` ({ send(item), call(id, kind, value, message) }).
/* global AbortController -- Node has it global, and no module exports it */
import { snoozeError } from './sandbox-wire.js';

/** The `ctx.logger` of one run: each line crosses to the pool's logger for the job. */
class RunLogger {
  #port;
  #id;
  #fields;

  constructor(port, id, fields) {
    this.#port = port;
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
    return new RunLogger(this.#port, this.#id, { ...this.#fields, ...fields });
  }

  #log(level, message, fields) {
    const merged = this.#fields === undefined ? fields : { ...this.#fields, ...fields };
    const item = { t: 'log', id: this.#id, level, message: String(message) };
    if (merged !== undefined) item.fields = merged;
    this.#port.send(item);
  }
}

/**
 * The context of one run, with the same fields and functions as inline; `run` is
 * `{ id, controller, reason }`, its abort state. The signal, the logger and the functions are
 * made on first use (most handlers never touch them); the functions are bound.
 */
export class SandboxContext {
  #port;
  #run;
  #logger;
  #checkpoint;
  #progress;

  constructor(port, run, job, dependencies) {
    this.job = job;
    this.id = job.id;
    this.type = job.type;
    this.payload = job.payload;
    this.attempt = job.attempt;
    this.tags = job.tags;
    this.lastCheckpoint = job.checkpoint;
    this.dependencies = dependencies;
    this.#port = port;
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
    return (this.#logger ??= new RunLogger(this.#port, this.#run.id, undefined));
  }

  get checkpoint() {
    return (this.#checkpoint ??= (state) => this.#port.call(this.#run.id, 'checkpoint', state));
  }

  get progress() {
    return (this.#progress ??= (value, message) =>
      this.#port.call(this.#run.id, 'progress', value, message));
  }

  /** Throws a SnoozeError; the pool checks the delay and gives the job back for that long. */
  snooze(delay) {
    throw snoozeError(delay);
  }
}

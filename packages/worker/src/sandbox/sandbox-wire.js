// How values and errors cross between a sandbox and its pool (see sandbox-main.js).

/** Marks a PermanentError of any copy of @gopherqueue/core (see its isPermanentError). */
const PERMANENT = Symbol.for('gopherqueue.PermanentError');
/** Marks a SnoozeError of any copy of @gopherqueue/core (see its snoozeOf). */
const SNOOZE = Symbol.for('gopherqueue.SnoozeError');

/**
 * What `ctx.snooze(delay)` throws in a sandbox: a SnoozeError as the pool recognises it, with the
 * delay as given (the pool checks it, as it does for an inline handler).
 */
export function snoozeError(delay) {
  const error = new Error(`snoozed for ${String(delay)}`);
  Object.defineProperty(error, 'name', {
    value: 'SnoozeError',
    configurable: true,
    writable: true,
  });
  Object.defineProperty(error, SNOOZE, { value: true });
  error.snoozeDelay = delay;
  return error;
}

/** A JSON copy of a value (undefined becomes null). */
export function jsonCopy(value) {
  const text = JSON.stringify(value);
  return text === undefined ? null : JSON.parse(text);
}

/** An error (or anything thrown) as it crosses to the pool. */
export function toWire(thrown) {
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
      if (thrown[SNOOZE] === true) {
        const delay = typeof thrown.snoozeMs === 'number' ? thrown.snoozeMs : thrown.snoozeDelay;
        wire.snooze = typeof delay === 'number' ? delay : String(delay);
      }
      const retryAfter = thrown.retryAfter;
      if (typeof retryAfter === 'number' || typeof retryAfter === 'string') {
        wire.retryAfter = retryAfter;
      }
      if (thrown.retry === false) wire.noRetry = true;
      return wire;
    }
    return { kind: 'value', text: String(thrown) };
  } catch {
    // An object without a prototype has no toString; an error may have throwing getters.
    return { kind: 'value', text: Object.prototype.toString.call(thrown) };
  }
}

/** An error (an abort reason, a rejected call) as the pool sent it. */
export function fromWire(wire) {
  if (wire.kind === 'value') return wire.text;
  const error = new Error(wire.message);
  Object.defineProperty(error, 'name', { value: wire.name, configurable: true, writable: true });
  if (wire.stack !== undefined) error.stack = wire.stack;
  if (wire.code !== undefined) error.code = wire.code;
  return error;
}

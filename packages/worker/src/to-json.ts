import { jsonValueProblem, type Json } from '@gopherqueue/core';

/**
 * The JSON form of a handler's value, as the store will keep it (undefined becomes null).
 * @throws TypeError when the value cannot be written as JSON (a cycle, a BigInt), RangeError
 * when it nests deeper than `MAX_JSON_DEPTH`.
 */
export function toJson(value: unknown, what: string): Json {
  // Values JSON keeps as they are need no round trip (most handlers return one).
  switch (typeof value) {
    case 'undefined':
      return null;
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      return Number.isFinite(value) ? value + 0 : null;
  }
  if (value === null) return null;
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (cause) {
    throw new TypeError(`${what} must be JSON-serialisable: ${(cause as Error).message}`, {
      cause,
    });
  }
  if (text === undefined) return null;
  const copy = JSON.parse(text) as Json;
  const problem = jsonValueProblem(what, copy);
  if (problem !== undefined) throw new RangeError(problem);
  return copy;
}

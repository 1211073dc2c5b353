import { isUuid } from '@gopherqueue/core';
import type { Context } from 'hono';
import type { z } from 'zod';
import { HttpError, validationError } from './errors.js';

/** Dotted path of a zod issue (`jobs.3.type`), or `body` for the root. */
function fieldOf(path: readonly PropertyKey[]): string {
  return path.length === 0 ? 'body' : path.map(String).join('.');
}

/**
 * Validates `value` with `schema`.
 * @param prefix - prepended to the field path (`jobs.3`).
 * @throws HttpError `validation_error` naming the first offending field.
 */
export function validate<S extends z.ZodType>(
  schema: S,
  value: unknown,
  prefix?: string,
): z.output<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  // An unknown field of a strict object is named itself, not its parent.
  const unknownKey = issue?.code === 'unrecognized_keys' ? issue.keys[0] : undefined;
  const path = [
    ...(prefix === undefined ? [] : [prefix]),
    ...(issue?.path ?? []),
    ...(unknownKey === undefined ? [] : [unknownKey]),
  ];
  const field = fieldOf(path);
  const message = issue?.message ?? 'invalid value';
  throw validationError(field, message.startsWith(field) ? message : `${field}: ${message}`);
}

/**
 * Reads and validates a JSON body. An empty body counts as `{}` when `emptyOk` (every field of
 * the schema is optional), else it is an `invalid_request`.
 * @throws HttpError `invalid_request` for a body that is not JSON, `validation_error` for a bad field.
 */
export async function readBody<S extends z.ZodType>(
  c: Context,
  schema: S,
  emptyOk = false,
): Promise<z.output<S>> {
  const text = await c.req.text();
  let value: unknown;
  if (text.trim() === '') {
    if (!emptyOk) throw new HttpError('invalid_request', 'request body is required (JSON)');
    value = {};
  } else {
    try {
      value = JSON.parse(text);
    } catch {
      throw new HttpError('invalid_request', 'invalid JSON body');
    }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new HttpError('invalid_request', 'request body must be a JSON object');
  }
  return validate(schema, value);
}

/** Reads and validates the query string. */
export function readQuery<S extends z.ZodType>(c: Context, schema: S): z.output<S> {
  // A parameter given twice (`?state=failed&state=dead_letter`) would be read as its first value
  // alone: refused, rather than answering a question the caller did not ask.
  for (const [name, values] of Object.entries(c.req.queries())) {
    if (values.length > 1) {
      throw validationError(name, `${name}: give it once (it was given ${values.length} times)`);
    }
  }
  return validate(schema, c.req.query());
}

/**
 * The `:id` path parameter as a job id.
 * @throws HttpError `invalid_request` (400) when it is not a UUID.
 */
export function jobIdParam(c: Context): string {
  const id = c.req.param('id') ?? '';
  if ((id === 'batch' || id === 'bulk') && c.req.path.endsWith(`/jobs/${id}`)) {
    // `/jobs/batch` and `/jobs/bulk` only take POST; other methods land on `/jobs/:id`.
    throw new HttpError('method_not_allowed', `method ${c.req.method} not allowed`, {
      allowed: ['POST'],
    });
  }
  if (!isUuid(id)) {
    throw new HttpError('invalid_request', 'invalid job ID format', { field: 'id', value: id });
  }
  return id.toLowerCase();
}

/** A 404 for a job id. */
export function jobNotFound(id: string): HttpError {
  return new HttpError('not_found', `job ${id} not found`, { id });
}

import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Readable } from 'node:stream';
import type { Json } from '@gopherqueue/core';
import { UsageError } from './cli-error.js';

/** Where {@link readPayload} reads `@file` and `-` from. */
export interface PayloadSource {
  cwd: string;
  stdin: Readable;
}

/**
 * Reads `--payload`: inline JSON, `@path` for a JSON file, or `-` for JSON on standard input.
 * No value gives `null`.
 * @throws UsageError when the text is not JSON or the file cannot be read.
 */
export async function readPayload(value: string | undefined, source: PayloadSource): Promise<Json> {
  if (value === undefined) return null;
  let text: string;
  let origin: string;
  if (value === '-') {
    text = await readAll(source.stdin);
    origin = 'standard input';
  } else if (value.startsWith('@')) {
    const path = resolve(source.cwd, value.slice(1));
    try {
      text = await readFile(path, 'utf8');
    } catch (cause) {
      throw new UsageError(`cannot read --payload file ${path}: ${(cause as Error).message}`);
    }
    origin = path;
  } else {
    text = value;
    origin = '--payload';
  }
  try {
    return JSON.parse(text) as Json;
  } catch {
    throw new UsageError(
      `${origin} is not JSON (strings need quotes: --payload '"2s"'); got ${JSON.stringify(text.slice(0, 80))}`,
    );
  }
}

/**
 * Reads `--tag key=value` flags into a tag map.
 * @throws UsageError for a flag without `=` or with an empty key.
 */
export function parseTags(values: readonly string[] | undefined): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const value of values ?? []) {
    const eq = value.indexOf('=');
    if (eq <= 0) throw new UsageError(`--tag must be key=value; got ${JSON.stringify(value)}`);
    tags[value.slice(0, eq)] = value.slice(eq + 1);
  }
  return tags;
}

async function readAll(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) {
    chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  }
  return Buffer.concat(chunks).toString('utf8');
}

const UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

const PART = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/y;

/**
 * Parses a Go-style duration (`"500ms"`, `"1h30m"`, `"1.5s"`) or a number of milliseconds, into
 * whole milliseconds: a fraction (`"1.5ms"`, `"2500us"`, `0.5`) rounds up, so a positive duration
 * stays positive and every time the engine computes from it is a whole millisecond, as the stores
 * keep them. A bare numeric string is read as milliseconds.
 * @throws TypeError when the value is neither a string nor a number.
 * @throws RangeError when the string is not a duration, or the value is negative or not finite.
 */
export function parseDuration(value: string | number): number {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0) {
      throw new RangeError(`duration must be a non-negative number of milliseconds; got ${value}`);
    }
    return Math.ceil(value);
  }
  if (typeof value !== 'string') {
    throw new TypeError(`duration must be a string like "30s" or a number of milliseconds`);
  }
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return finite(Number(text), value);
  if (text === '' || text.startsWith('-')) {
    throw new RangeError(
      `invalid duration ${JSON.stringify(value)}: expected e.g. "500ms", "30s", "1h30m"`,
    );
  }
  let total = 0;
  PART.lastIndex = 0;
  let pos = 0;
  while (pos < text.length) {
    PART.lastIndex = pos;
    const match = PART.exec(text);
    if (!match) {
      throw new RangeError(
        `invalid duration ${JSON.stringify(value)}: expected e.g. "500ms", "30s", "1h30m"`,
      );
    }
    total += Number(match[1]) * (UNIT_MS[match[2] as string] as number);
    pos = PART.lastIndex;
  }
  return finite(total, value);
}

/** `ms` rounded up to a whole millisecond, unless a string of absurd length made it infinite. */
function finite(ms: number, value: string): number {
  if (!Number.isFinite(ms)) {
    throw new RangeError(`duration ${JSON.stringify(value)} is too long to be a number`);
  }
  return Math.ceil(ms);
}

/** Formats milliseconds as a Go-style duration (`90_000` becomes `"1m30s"`). */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  if (ms < 1000) return `${ms}ms`;
  let rest = Math.round(ms);
  const h = Math.floor(rest / 3_600_000);
  rest -= h * 3_600_000;
  const m = Math.floor(rest / 60_000);
  rest -= m * 60_000;
  const s = rest / 1000;
  return `${h ? `${h}h` : ''}${h || m ? `${m}m` : ''}${s ? `${s}s` : h || m ? '' : '0s'}`;
}

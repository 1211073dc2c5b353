/** Priority levels: lower numbers run first. */
export const Priority = {
  critical: 0,
  high: 1,
  normal: 2,
  low: 3,
  bulk: 4,
} as const;

/** A priority as a number, 0 (critical) to 4 (bulk). */
export type PriorityLevel = 0 | 1 | 2 | 3 | 4;

/** A priority's name. */
export type PriorityName = keyof typeof Priority;

/** Names by level, index = level. */
export const PRIORITY_NAMES: readonly PriorityName[] = [
  'critical',
  'high',
  'normal',
  'low',
  'bulk',
];

/**
 * Reads a priority given as a level (0..4), a name (`"high"`, case-insensitive) or a numeric string.
 * @throws RangeError for anything else, naming what was accepted.
 */
export function parsePriority(value: unknown): PriorityLevel {
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 4) {
    return value as PriorityLevel;
  }
  if (typeof value === 'string') {
    const name = value.trim().toLowerCase();
    if (name in Priority) return Priority[name as PriorityName];
    if (/^[0-4]$/.test(name)) return Number(name) as PriorityLevel;
  }
  throw new RangeError(
    `priority must be 0..4 or one of ${PRIORITY_NAMES.join(', ')}; got ${JSON.stringify(value)}`,
  );
}

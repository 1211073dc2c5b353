/**
 * True when a key may touch `queue`: keys without a queue list may touch every queue, others only
 * the queues listed.
 */
export function canAccessQueue(record: { queues?: readonly string[] }, queue: string): boolean {
  return record.queues === undefined || record.queues.includes(queue);
}

/**
 * True when a key limited to `allowed` (undefined: every queue) covers something that concerns
 * `queues` (undefined or empty: every queue, or none in particular): an unrestricted key covers
 * everything; a restricted one only what concerns some queues, all of them its own. This decides
 * which keys a restricted admin may create, list and revoke, and which audit entries it reads.
 */
export function coversQueues(
  allowed: readonly string[] | undefined,
  queues: readonly string[] | undefined,
): boolean {
  if (allowed === undefined) return true;
  return queues !== undefined && queues.length > 0 && queues.every((q) => allowed.includes(q));
}

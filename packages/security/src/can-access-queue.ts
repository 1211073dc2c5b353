/**
 * True when a key may touch `queue`: keys without a queue list may touch every queue, others only
 * the queues listed.
 */
export function canAccessQueue(record: { queues?: readonly string[] }, queue: string): boolean {
  return record.queues === undefined || record.queues.includes(queue);
}

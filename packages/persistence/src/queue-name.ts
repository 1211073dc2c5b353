/** @throws TypeError when `name` is not a non-empty string. */
export function checkQueueName(name: string): void {
  if (typeof name !== 'string' || name === '') {
    throw new TypeError(`queue name must be a non-empty string; got ${JSON.stringify(name)}`);
  }
}

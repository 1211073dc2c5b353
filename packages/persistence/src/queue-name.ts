import { groupProblem } from '@gopherqueue/core';

/** @throws TypeError when `name` is not a non-empty string. */
export function checkQueueName(name: string): void {
  if (typeof name !== 'string' || name === '') {
    throw new TypeError(`queue name must be a non-empty string; got ${JSON.stringify(name)}`);
  }
}

/** @throws TypeError when `group` is not a valid group key (see `groupProblem`). */
export function checkGroupName(group: string): void {
  const problem = groupProblem(group);
  if (problem !== undefined) throw new TypeError(problem);
}

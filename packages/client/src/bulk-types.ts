import type { JobState } from '@gopherqueue/core';
import type { RequestOptions } from './client-types.js';

/** What `POST /api/v1/jobs/bulk` does to each job. */
export type BulkAction = 'retry' | 'cancel' | 'delete';

/** Which jobs a bulk action takes: those a filter matches, or the given ids. */
export type BulkInput = {
  action: BulkAction;
  /** At most this many jobs of the filter (1..10000). @defaultValue 1000 */
  limit?: number;
  /** The `next_cursor` of the previous answer, to go on with the same filter. */
  cursor?: string;
  /** A cancel's reason. */
  reason?: string;
  /** A retry gives each job its full max attempts again. */
  resetAttempts?: boolean;
} & (
  | { filter: { state?: JobState; type?: string; queue?: string; tag?: string }; ids?: never }
  | { ids: string[]; filter?: never }
) &
  RequestOptions;

/** The answer of a bulk action. */
export interface WireBulkResult {
  action: BulkAction;
  /** Jobs the filter or the ids named. */
  matched: number;
  /** Jobs the action changed. */
  succeeded: number;
  /** Jobs left as they were: in a state the action does not apply to, or not found. */
  skipped: { invalid_state: number; not_found: number };
  /** More jobs may match: send it as `cursor` with the same filter. */
  next_cursor?: string;
}

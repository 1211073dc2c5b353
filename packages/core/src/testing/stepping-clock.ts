import type { Clock } from '../clock.js';
import { ManualClock } from './manual-clock.js';

/** A {@link ManualClock} that remembers when its latest timer is due, so a test can step to it. */
export class SteppingClock implements Clock {
  readonly manual: ManualClock;
  timerAt: number | undefined;

  constructor(start: number) {
    this.manual = new ManualClock(start);
  }

  now(): number {
    return this.manual.now();
  }

  setTimer(fn: () => void, ms: number): () => void {
    const at = this.manual.now() + Math.max(0, ms);
    this.timerAt = at;
    const cancel = this.manual.setTimer(fn, ms);
    return () => {
      if (this.timerAt === at) this.timerAt = undefined;
      cancel();
    };
  }
}

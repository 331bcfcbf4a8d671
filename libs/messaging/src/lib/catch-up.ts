import { setTimeout as sleep } from 'node:timers/promises';

import { type EventBus } from './event-bus.port';

export interface CatchUpOptions {
  timeoutMs?: number;
  /** How often the lag is checked. Default 100 ms. */
  pollMs?: number;
}

/**
 * Resolves once the group has consumed everything its topics held (lag 0 on every partition); rejects after
 * `timeoutMs` (default 30 s) naming the lag. What a replica waits for before it serves.
 */
export async function waitForCatchUp(
  bus: EventBus,
  groupId: string,
  topics: readonly string[],
  options: CatchUpOptions = {},
): Promise<void> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const lag = await bus.consumerLag(groupId, topics);
    const behind = lag.reduce((sum, p) => sum + p.lag, 0);
    if (lag.length > 0 && behind === 0) return;
    if (Date.now() > deadline)
      throw new Error(
        `group ${groupId} still ${behind} messages behind ${topics.join(', ')} after ${timeoutMs} ms`,
      );
    await sleep(options.pollMs ?? 100);
  }
}

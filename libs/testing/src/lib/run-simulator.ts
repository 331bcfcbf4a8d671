import { type MarketplaceSimulator } from './marketplace-simulator';
import { type SimulatedItem } from './simulated-item';

export interface RealTimeRunOptions {
  simulator: MarketplaceSimulator;
  /** Receives each tick's items; the next tick waits for it (backpressure). */
  emit(items: SimulatedItem[]): void | Promise<void>;
  /** Virtual time per tick follows real elapsed time; ticks are this far apart. Default 100 ms. */
  tickMs?: number;
  signal?: AbortSignal;
  /** Real clock, for tests. */
  now?: () => number;
}

/**
 * Runs the simulator against the wall clock: every tick it advances by the real time elapsed since the
 * last one (at most 5 s, so a paused process does not burst) and emits what happened. Resolves on abort.
 */
export async function runSimulatorInRealTime(options: RealTimeRunOptions): Promise<void> {
  const tickMs = options.tickMs ?? 100;
  const now = options.now ?? Date.now;
  let last = now();
  while (!options.signal?.aborted) {
    await sleep(tickMs, options.signal);
    if (options.signal?.aborted) break;
    const current = now();
    const elapsed = Math.min(current - last, 5_000);
    last = current;
    const items = options.simulator.advance(elapsed);
    if (items.length > 0) await options.emit(items);
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

import { MarketplaceSimulator } from './marketplace-simulator';
import { runSimulatorInRealTime } from './run-simulator';

describe('runSimulatorInRealTime', () => {
  it('advances with the clock, emits what happened, and stops on abort', async () => {
    let clock = Date.parse('2026-01-01T00:00:00.000Z');
    const simulator = new MarketplaceSimulator({ seed: 1, eventsPerSecond: 1_000, startTime: clock });
    const controller = new AbortController();
    let emitted = 0;
    let ticks = 0;
    await runSimulatorInRealTime({
      simulator,
      tickMs: 1,
      signal: controller.signal,
      now: () => (clock += 200),
      emit: (items) => {
        emitted += items.length;
        if (++ticks === 5) controller.abort();
      },
    });
    // The fake clock moves 200 ms per read, so five ticks cover one virtual second: 1,000 events.
    expect(emitted).toBe(1_000);
    expect(simulator.now()).toBe(Date.parse('2026-01-01T00:00:01.000Z'));
  });
});

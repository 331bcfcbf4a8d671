import { MarketplaceSimulator } from './marketplace-simulator';
import { runSimulatorInRealTime } from './run-simulator';

const START = Date.parse('2026-01-01T00:00:00.000Z');

describe('runSimulatorInRealTime', () => {
  it('advances by the clock, emits what happened, and stops on abort', async () => {
    let clock = START;
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

  it('runs on the real clock, waits for each emit before the next, and resolves on abort', async () => {
    const simulator = new MarketplaceSimulator({ seed: 2, eventsPerSecond: 10_000, startTime: START });
    const controller = new AbortController();
    let emitted = 0;
    let inFlight = 0;
    let overlapped = false;
    const started = Date.now();
    setTimeout(() => controller.abort(), 300);
    await runSimulatorInRealTime({
      simulator,
      tickMs: 20,
      signal: controller.signal,
      emit: async (items) => {
        overlapped ||= inFlight > 0;
        inFlight++;
        emitted += items.length;
        await new Promise((resolve) => setTimeout(resolve, 30));
        inFlight--;
      },
    });
    const elapsed = Date.now() - started;
    expect(overlapped).toBe(false);
    expect(emitted).toBeGreaterThan(0);
    // Virtual time followed real time, emits included, at about 10 events per virtual ms.
    const virtualMs = simulator.now() - START;
    expect(virtualMs).toBeGreaterThan(150);
    expect(virtualMs).toBeLessThanOrEqual(elapsed);
    expect(Math.abs(emitted - virtualMs * 10)).toBeLessThan(virtualMs);
  });

  it('resolves at once when the signal is already aborted', async () => {
    const simulator = new MarketplaceSimulator({ startTime: START });
    const emit = jest.fn();
    await runSimulatorInRealTime({ simulator, emit, signal: AbortSignal.abort() });
    expect(emit).not.toHaveBeenCalled();
    expect(simulator.now()).toBe(START);
  });
});

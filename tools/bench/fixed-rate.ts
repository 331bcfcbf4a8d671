/**
 * An open-loop load: `rate` calls per second for `seconds`, each sent at its scheduled time whether or not
 * earlier ones answered, and timed from that scheduled time, so a slow server cannot hide its queue
 * (no coordinated omission).
 */
export async function fixedRateLoad(options: {
  rate: number;
  seconds: number;
  /** One call; resolves true when it succeeded. */
  send: (index: number) => Promise<boolean>;
  /** Each call's outcome, with its latency from its scheduled send time. */
  onResult: (ok: boolean, latencyMs: number, index: number) => void;
}): Promise<{ sent: number; elapsedSeconds: number }> {
  const total = Math.round(options.rate * options.seconds);
  const interval = 1000 / options.rate;
  const started = performance.now();
  const inFlight = new Set<Promise<void>>();
  for (let i = 0; i < total; i++) {
    const scheduled = started + i * interval;
    const wait = scheduled - performance.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    const call: Promise<void> = options
      .send(i)
      .catch(() => false)
      .then((ok) => options.onResult(ok, performance.now() - scheduled, i))
      .finally(() => inFlight.delete(call));
    inFlight.add(call);
  }
  await Promise.all(inFlight);
  return { sent: total, elapsedSeconds: (performance.now() - started) / 1000 };
}

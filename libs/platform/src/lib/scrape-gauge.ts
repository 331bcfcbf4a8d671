import { Gauge, type Registry } from 'prom-client';

/**
 * A Prometheus gauge read at scrape time: for counts kept elsewhere (a pipeline's counters, a library's
 * stats), so they are exported as they are, without a second copy to keep in step.
 */
export function scrapeGauge(registry: Registry, name: string, help: string, read: () => number): Gauge {
  return new Gauge({
    name,
    help,
    registers: [registry],
    collect() {
      this.set(read());
    },
  });
}

import { type ExposureLogStats } from '@crest/experiments';
import { scrapeGauge } from '@crest/platform';
import { type Registry } from 'prom-client';

/**
 * The exposure log's counts on /metrics, so exposures held back or dropped while Kafka is away show (an
 * alert on `crest_exposures_dropped_total` rising), instead of living only in the process.
 */
export function registerExposureMetrics(registry: Registry, stats: ExposureLogStats): void {
  const gauge = (name: string, help: string, read: () => number) => scrapeGauge(registry, name, help, read);
  gauge(
    'crest_exposures_recorded_total',
    'Experiment exposures recorded (first of a user, experiment and session)',
    () => stats.recorded,
  );
  gauge(
    'crest_exposures_duplicates_total',
    'Exposures not logged again: the session already had them',
    () => stats.duplicates,
  );
  gauge('crest_exposures_published_total', 'Exposures published to Kafka', () => stats.published);
  gauge(
    'crest_exposures_buffered',
    'Exposures waiting to be published (held while Kafka is unreachable)',
    () => stats.buffered,
  );
  gauge(
    'crest_exposures_dropped_total',
    'Exposures dropped because the buffer was full while publishing failed',
    () => stats.dropped,
  );
  gauge('crest_exposures_publish_failures_total', 'Failed publish attempts', () => stats.publishFailures);
}

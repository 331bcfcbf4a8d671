import { createTestApp } from '@crest/platform/testing';
import { type NestFastifyApplication } from '@nestjs/platform-fastify';

import { AppModule } from './app.module';
import { loadEventIngestorConfig } from './event-ingestor.config';

describe('event-ingestor', () => {
  let app: NestFastifyApplication;

  beforeAll(async () => {
    app = await createTestApp(AppModule.forRoot(loadEventIngestorConfig({})));
  });

  afterAll(() => app.close());

  it('answers the health endpoint', async () => {
    const response = await app.inject({ method: 'GET', url: '/health' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({
      status: 'ok',
      service: 'event-ingestor',
      mode: 'in-process bus',
    });
  });

  it('is ready and serves Prometheus metrics', async () => {
    expect((await app.inject({ method: 'GET', url: '/ready' })).json()).toEqual({ ready: true, streams: 0 });
    const metrics = await app.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.headers['content-type']).toContain('text/plain');
    expect(metrics.body).toContain('crest_ingest_freshness_seconds_bucket');
    expect(metrics.body).toContain('crest_ingest_late_dropped_total 0');
    expect(metrics.body).toContain('crest_ingest_events_applied_total 0');
    expect(metrics.body).toContain(
      'crest_ingest_consumer_lag{topic="marketplace.livestream.v1",partition="0"} 0',
    );
    expect(metrics.body).toMatch(/crest_ingest_rebuild_seconds_count 1\b/);
  });

  it('defaults to port 3001 and refuses a bad one by name', () => {
    expect(loadEventIngestorConfig({}).PORT).toBe(3001);
    expect(() => loadEventIngestorConfig({ PORT: '70000', LOG_LEVEL: 'chatty' })).toThrow(
      'Invalid configuration for event-ingestor:\n' +
        '  - LOG_LEVEL: LOG_LEVEL must be one of: fatal, error, warn, log, debug, verbose (got "chatty")\n' +
        '  - PORT: PORT must not be greater than 65535 (got "70000")',
    );
  });

  it('takes a Kafka session timeout within what a broker accepts', () => {
    expect(loadEventIngestorConfig({}).KAFKA_SESSION_TIMEOUT_MS).toBe(10_000);
    expect(loadEventIngestorConfig({ KAFKA_SESSION_TIMEOUT_MS: '6000' }).KAFKA_SESSION_TIMEOUT_MS).toBe(
      6_000,
    );
    expect(() => loadEventIngestorConfig({ KAFKA_SESSION_TIMEOUT_MS: '1000' })).toThrow(
      'KAFKA_SESSION_TIMEOUT_MS must not be less than 6000 (got "1000")',
    );
    expect(() => loadEventIngestorConfig({ KAFKA_SESSION_TIMEOUT_MS: 'soon' })).toThrow(
      'KAFKA_SESSION_TIMEOUT_MS must be an integer',
    );
  });
});

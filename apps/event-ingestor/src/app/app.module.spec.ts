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
    expect(response.json()).toMatchObject({ status: 'ok', service: 'event-ingestor', mode: 'embedded' });
  });

  it('defaults to port 3001 and refuses a bad one by name', () => {
    expect(loadEventIngestorConfig({}).PORT).toBe(3001);
    expect(() => loadEventIngestorConfig({ PORT: '70000', LOG_LEVEL: 'chatty' })).toThrow(
      'Invalid configuration for event-ingestor:\n' +
        '  - LOG_LEVEL: LOG_LEVEL must be one of: fatal, error, warn, log, debug, verbose (got "chatty")\n' +
        '  - PORT: PORT must not be greater than 65535 (got "70000")',
    );
  });
});

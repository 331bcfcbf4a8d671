import { createTestApp } from '@crest/platform/testing';
import { type NestFastifyApplication } from '@nestjs/platform-fastify';

import { AppModule } from './app.module';
import { loadRankingServiceConfig } from './ranking-service.config';

describe('ranking-service', () => {
  let app: NestFastifyApplication;

  beforeAll(async () => {
    app = await createTestApp(AppModule.forRoot(loadRankingServiceConfig({})));
  });

  afterAll(() => app.close());

  it('answers the health endpoint', async () => {
    const response = await app.inject({ method: 'GET', url: '/health' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ status: 'ok', service: 'ranking-service', mode: 'embedded' });
  });

  it('defaults to port 3002 and refuses a bad one by name', () => {
    expect(loadRankingServiceConfig({}).PORT).toBe(3002);
    expect(() => loadRankingServiceConfig({ PORT: '70000', LOG_LEVEL: 'chatty' })).toThrow(
      'Invalid configuration for ranking-service:\n' +
        '  - LOG_LEVEL: LOG_LEVEL must be one of: fatal, error, warn, log, debug, verbose (got "chatty")\n' +
        '  - PORT: PORT must not be greater than 65535 (got "70000")',
    );
  });
});

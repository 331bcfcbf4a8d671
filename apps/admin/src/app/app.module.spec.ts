import { createTestApp } from '@crest/platform/testing';
import { type NestFastifyApplication } from '@nestjs/platform-fastify';

import { loadAdminConfig } from './admin.config';
import { AppModule } from './app.module';

describe('admin', () => {
  let app: NestFastifyApplication;

  beforeAll(async () => {
    app = await createTestApp(AppModule.forRoot(loadAdminConfig({})));
  });

  afterAll(() => app.close());

  it('answers the health endpoint', async () => {
    const response = await app.inject({ method: 'GET', url: '/health' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ status: 'ok', service: 'admin', mode: 'embedded' });
  });

  it('defaults to port 3003 and refuses a bad one by name', () => {
    expect(loadAdminConfig({}).PORT).toBe(3003);
    expect(() => loadAdminConfig({ PORT: '70000', LOG_LEVEL: 'chatty' })).toThrow(
      'Invalid configuration for admin:\n' +
        '  - LOG_LEVEL: LOG_LEVEL must be one of: fatal, error, warn, log, debug, verbose (got "chatty")\n' +
        '  - PORT: PORT must not be greater than 65535 (got "70000")',
    );
  });
});

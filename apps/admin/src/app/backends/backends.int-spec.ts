import { randomUUID } from 'node:crypto';

import { BACKEND_SWITCHES_TOPIC, parseBackendSwitch } from '@crest/event-schemas';
import { type ConsumedMessage, InProcessEventBus } from '@crest/messaging';
import { createTestApp } from '@crest/platform/testing';
import { type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Pool } from 'pg';

import { loadAdminConfig } from '../admin.config';
import { configureAdminHttp } from '../admin-http';
import { AppModule } from '../app.module';

const databaseUrl = process.env['PULL_MODEL_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const OPERATOR = 'operator-token-0123456789abcdef';

describe('the kill switch: audited, then published for every feed-api', () => {
  const schema = `crest_admin_${randomUUID().slice(0, 8)}`;
  const bus = new InProcessEventBus({ defaultPartitions: 1 });
  let app: NestFastifyApplication;

  beforeAll(async () => {
    const config = loadAdminConfig({
      ADMIN_VIEWER_TOKEN: 'viewer-token-0123456789abcdef',
      ADMIN_OPERATOR_TOKEN: OPERATOR,
      ADMIN_DATABASE_URL: databaseUrl,
      ADMIN_DATABASE_SCHEMA: schema,
    });
    app = await createTestApp(AppModule.forRoot(config, { eventBus: bus }), configureAdminHttp);
  });
  afterAll(async () => {
    await app.close();
    const pool = new Pool({ connectionString: databaseUrl });
    await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await pool.end();
  });

  it('records the switch in the audit log and publishes it keyed by backend', async () => {
    const published: ConsumedMessage[] = [];
    await bus.subscribe({
      groupId: 'reader',
      topics: [BACKEND_SWITCHES_TOPIC],
      fromBeginning: true,
      eachMessage: async (message, context) => {
        published.push(message);
        context.ack();
      },
    });
    const response = await app.inject({
      method: 'POST',
      url: '/api/backends/elasticsearch/switch',
      headers: { authorization: `Bearer ${OPERATOR}` },
      payload: { state: 'off', reason: 'cluster red' },
    });
    expect(response.statusCode).toBe(200);
    const { switch: change } = response.json() as { switch: { auditId: number; actor: string } };

    const audit = await app.inject({
      method: 'GET',
      url: '/api/audit?action=backend.kill-switch',
      headers: { authorization: `Bearer ${OPERATOR}` },
    });
    expect(audit.json().entries).toEqual([
      expect.objectContaining({
        id: change.auditId,
        actor: change.actor,
        role: 'operator',
        target: 'elasticsearch',
        detail: { state: 'off', reason: 'cluster red' },
      }),
    ]);

    for (let i = 0; i < 100 && published.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(published).toHaveLength(1);
    expect(published[0]!.key).toBe('elasticsearch');
    expect(parseBackendSwitch(published[0]!.value)).toEqual(change);
  });
});

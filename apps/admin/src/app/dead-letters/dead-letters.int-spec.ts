import { randomUUID } from 'node:crypto';

import { Topic } from '@crest/event-schemas';
import {
  type ConsumedMessage,
  DECODE_ERROR_CODE_HEADER,
  InProcessEventBus,
  toDeadLetter,
} from '@crest/messaging';
import { createTestApp } from '@crest/platform/testing';
import { type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Pool } from 'pg';

import { loadAdminConfig } from '../admin.config';
import { configureAdminHttp } from '../admin-http';
import { AppModule } from '../app.module';
import { REPLAY_OF_HEADER } from './dead-letters.controller';

const databaseUrl = process.env['PULL_MODEL_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const VIEWER = 'viewer-token-0123456789abcdef';
const OPERATOR = 'operator-token-0123456789abcdef';

const failed = (offset: number, value: string): ConsumedMessage => ({
  topic: Topic.Commerce,
  partition: 0,
  offset: String(offset),
  key: `stream-${offset}`,
  value: Buffer.from(value),
  tombstone: false,
  headers: { 'trace-id': `t${offset}` },
  timestamp: Date.now(),
});

describe('dead letters: browse, view, replay once ever (audited)', () => {
  const schema = `crest_admin_${randomUUID().slice(0, 8)}`;
  const bus = new InProcessEventBus({ defaultPartitions: 1 });
  const replayed: ConsumedMessage[] = [];
  let app: NestFastifyApplication;
  const as = (token: string) => ({ authorization: `Bearer ${token}` });

  beforeAll(async () => {
    await bus.publish([
      toDeadLetter(
        failed(7, '{"type":"bid.placed","amountMinor":"ten"}'),
        'SCHEMA_VIOLATION: amountMinor must be an integer',
        {
          [DECODE_ERROR_CODE_HEADER]: 'SCHEMA_VIOLATION',
        },
      ),
      toDeadLetter(failed(8, 'not json'), 'INVALID_JSON: Unexpected token', {
        [DECODE_ERROR_CODE_HEADER]: 'INVALID_JSON',
      }),
      toDeadLetter(failed(9, '{"type":"bid.placed"}'), 'SCHEMA_VIOLATION: livestreamId is required', {
        [DECODE_ERROR_CODE_HEADER]: 'SCHEMA_VIOLATION',
      }),
    ]);
    await bus.subscribe({
      groupId: 'source-reader',
      topics: [Topic.Commerce],
      fromBeginning: true,
      eachMessage: async (message, context) => {
        replayed.push(message);
        context.ack();
      },
    });
    const config = loadAdminConfig({
      ADMIN_VIEWER_TOKEN: VIEWER,
      ADMIN_OPERATOR_TOKEN: OPERATOR,
      ADMIN_DATABASE_URL: databaseUrl,
      ADMIN_DATABASE_SCHEMA: schema,
    });
    app = await createTestApp(AppModule.forRoot(config, { eventBus: bus }), configureAdminHttp);
    for (let i = 0; i < 200; i++) {
      const list = await app.inject({ method: 'GET', url: '/api/dead-letters', headers: as(VIEWER) });
      if (list.statusCode === 200 && list.json().letters.length === 3) break;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  });
  afterAll(async () => {
    await app.close();
    const pool = new Pool({ connectionString: databaseUrl });
    await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await pool.end();
  });

  it('lists dead letters with counts per topic and code, filtered by code and reason', async () => {
    const all = (await app.inject({ method: 'GET', url: '/api/dead-letters', headers: as(VIEWER) })).json();
    expect(all.counts.find((c: { sourceTopic: string }) => c.sourceTopic === Topic.Commerce)).toEqual({
      sourceTopic: Topic.Commerce,
      dlqTopic: `${Topic.Commerce}.dlq`,
      total: 3,
      kept: 3,
      byCode: { SCHEMA_VIOLATION: 2, INVALID_JSON: 1 },
    });
    const filtered = await app.inject({
      method: 'GET',
      url: `/api/dead-letters?topic=${Topic.Commerce}&code=SCHEMA_VIOLATION&reason=LIVESTREAMID`,
      headers: as(VIEWER),
    });
    expect(filtered.json().letters).toEqual([
      expect.objectContaining({
        sourceTopic: Topic.Commerce,
        sourceOffset: '9',
        code: 'SCHEMA_VIOLATION',
        reason: 'SCHEMA_VIOLATION: livestreamId is required',
        headers: { 'trace-id': 't9' },
        preview: '{"type":"bid.placed"}',
        replayed: null,
      }),
    ]);
    const badTopic = await app.inject({
      method: 'GET',
      url: '/api/dead-letters?topic=nope',
      headers: as(VIEWER),
    });
    expect(badTopic.statusCode).toBe(400);
  });

  it('shows one dead letter’s payload, and 404s an unknown one', async () => {
    const id = `${Topic.Commerce}.dlq:0:1`;
    const one = await app.inject({
      method: 'GET',
      url: `/api/dead-letters/${encodeURIComponent(id)}`,
      headers: as(VIEWER),
    });
    expect(one.json()).toMatchObject({
      id,
      sourceOffset: '8',
      payload: { encoding: 'utf8', text: 'not json' },
    });
    const missing = await app.inject({
      method: 'GET',
      url: '/api/dead-letters/nope:0:1',
      headers: as(VIEWER),
    });
    expect(missing.statusCode).toBe(404);
  });

  it('replays a dead letter into its source topic once, even when asked twice at the same time', async () => {
    const id = `${Topic.Commerce}.dlq:0:0`;
    const replay = () =>
      app.inject({
        method: 'POST',
        url: '/api/dead-letters/replay',
        headers: as(OPERATOR),
        payload: { ids: [id], reason: 'schema fixed in #123' },
      });
    const viewer = await app.inject({
      method: 'POST',
      url: '/api/dead-letters/replay',
      headers: as(VIEWER),
      payload: { ids: [id], reason: 'x' },
    });
    expect(viewer.statusCode).toBe(403);
    const [first, second] = await Promise.all([replay(), replay()]);
    const outcomes = [first.json(), second.json()].map((r) => r.results[0].outcome).sort();
    expect(outcomes).toEqual(['already-replayed', 'replayed']);
    expect((await replay()).json()).toMatchObject({ replayed: 0, alreadyReplayed: 1, failed: 0 });

    for (let i = 0; i < 100 && replayed.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(replayed).toHaveLength(1);
    expect(replayed[0]).toMatchObject({
      key: 'stream-7',
      headers: { 'trace-id': 't7', [REPLAY_OF_HEADER]: id },
    });
    expect(replayed[0]!.value.toString()).toBe('{"type":"bid.placed","amountMinor":"ten"}');

    const audit = await app.inject({
      method: 'GET',
      url: '/api/audit?action=dead-letter.replay',
      headers: as(VIEWER),
    });
    expect(audit.json().entries).toEqual([
      expect.objectContaining({
        role: 'operator',
        target: id,
        detail: { sourceTopic: Topic.Commerce, code: 'SCHEMA_VIOLATION', reason: 'schema fixed in #123' },
      }),
    ]);
    const shown = await app.inject({
      method: 'GET',
      url: `/api/dead-letters/${encodeURIComponent(id)}`,
      headers: as(VIEWER),
    });
    expect(shown.json().replayed).toMatchObject({ actor: expect.stringMatching(/^operator:/) });
  });

  it('replays every dead letter matching a filter, skipping those already replayed', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/api/dead-letters/replay',
      headers: as(OPERATOR),
      payload: { all: { code: 'SCHEMA_VIOLATION' }, reason: 'schema fixed' },
    });
    expect(response.json()).toMatchObject({ replayed: 1, alreadyReplayed: 1, failed: 0 });
    for (let i = 0; i < 100 && replayed.length < 2; i++) await new Promise((r) => setTimeout(r, 10));
    expect(replayed.map((m) => m.key)).toEqual(['stream-7', 'stream-9']);
  });

  it('refuses a replay without a reason or with unknown ids, naming the problem', async () => {
    const post = (payload: object) =>
      app.inject({ method: 'POST', url: '/api/dead-letters/replay', headers: as(OPERATOR), payload });
    expect((await post({ ids: ['x'] })).json().message).toBe(
      'reason must say why (the fix), in 1 to 500 characters',
    );
    expect((await post({ reason: 'r' })).json().message).toContain('send ids');
    const unknown = await post({ ids: ['nope:0:0'], reason: 'r' });
    expect([unknown.statusCode, unknown.json().message]).toEqual([404, 'no dead letter held for: nope:0:0']);
  });
});

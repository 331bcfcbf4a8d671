import { randomUUID } from 'node:crypto';

import { Pool } from 'pg';

import { AuditLog, AuditLogUnavailableError } from './audit-log';

const databaseUrl = process.env['PULL_MODEL_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';

describe('the audit log on PostgreSQL', () => {
  const schema = `crest_audit_${randomUUID().slice(0, 8)}`;
  const audit = new AuditLog(databaseUrl, schema);
  const operator = { role: 'operator' as const, actor: 'operator:0123456789ab' };

  afterAll(async () => {
    await audit.close();
    const pool = new Pool({ connectionString: databaseUrl });
    await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await pool.end();
  });

  it('creates its table and lists entries newest first, filtered by action', async () => {
    const first = await audit.record(operator, 'backend.kill-switch', 'elasticsearch', { state: 'off' });
    const second = await audit.record(operator, 'dead-letter.replay', 'discovery.events.v1.dlq:0:12');
    expect(second).toBeGreaterThan(first);

    const entries = await audit.list(10);
    expect(entries.map((e) => e.id)).toEqual([second, first]);
    expect(entries[1]).toMatchObject({
      actor: 'operator:0123456789ab',
      role: 'operator',
      action: 'backend.kill-switch',
      target: 'elasticsearch',
      detail: { state: 'off' },
    });
    expect(Date.parse(entries[1]!.at)).toBeGreaterThan(Date.now() - 60_000);
    expect((await audit.list(10, 'dead-letter.replay')).map((e) => e.id)).toEqual([second]);
  });

  it('refuses to record without a database rather than lose the entry', async () => {
    const unconfigured = new AuditLog(undefined, schema);
    expect(unconfigured.available).toBe(false);
    await expect(unconfigured.record(operator, 'backend.kill-switch', 'memory')).rejects.toBeInstanceOf(
      AuditLogUnavailableError,
    );
  });
});

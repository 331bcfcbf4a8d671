import { Pool } from 'pg';

import { type Principal } from '../auth/admin-credentials';

export interface AuditEntry {
  id: number;
  at: string;
  actor: string;
  role: string;
  action: string;
  target: string | null;
  detail: Record<string, unknown>;
}

/** A replay carried out now, or the earlier one that makes this one a no-op. */
export type ReplayOutcome<T> =
  | { replayed: true; auditId: number; result: T }
  | { replayed: false; previous: { at: string; actor: string; auditId: number } };

export class AuditLogUnavailableError extends Error {
  constructor() {
    super('the audit log is not configured (ADMIN_DATABASE_URL): operator actions are refused unaudited');
    this.name = 'AuditLogUnavailableError';
  }
}

/**
 * Operator actions, append-only in PostgreSQL (`<schema>.admin_audit`). An action is recorded before it
 * is carried out, so none happens unaudited; one that then fails is recorded with its outcome.
 */
export class AuditLog {
  private readonly pool: Pool | null;
  private ready: Promise<void> | null = null;

  constructor(
    databaseUrl: string | undefined,
    private readonly schema: string,
  ) {
    this.pool = databaseUrl ? new Pool({ connectionString: databaseUrl, max: 4 }) : null;
  }

  get available(): boolean {
    return this.pool !== null;
  }

  /** Records an action; resolves to its entry id. */
  async record(
    principal: Principal,
    action: string,
    target: string | null,
    detail: Record<string, unknown> = {},
  ): Promise<number> {
    return this.insert(await this.open(), principal, { action, target, detail });
  }

  /**
   * Carries out `action` once per `key` ever (a dead letter's replay): the key is claimed and the audit
   * entry written in one transaction that commits only after `action` resolved, so a failed action leaves
   * no claim (it can be tried again) and a concurrent second attempt waits, then finds the first's claim.
   */
  async once<T>(
    principal: Principal,
    key: string,
    entry: { action: string; target: string | null; detail: Record<string, unknown> },
    action: () => Promise<T>,
  ): Promise<ReplayOutcome<T>> {
    const pool = await this.open();
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      const claimed = await client.query(
        `INSERT INTO ${this.schema}.admin_once (key, actor) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING RETURNING key`,
        [key, principal.actor],
      );
      if (claimed.rowCount === 0) {
        await client.query('ROLLBACK');
        const previous = await pool.query<{ at: Date; actor: string; audit_id: string }>(
          `SELECT at, actor, audit_id FROM ${this.schema}.admin_once WHERE key = $1`,
          [key],
        );
        const row = previous.rows[0]!;
        return {
          replayed: false,
          previous: { at: row.at.toISOString(), actor: row.actor, auditId: Number(row.audit_id) },
        };
      }
      const auditId = await this.insert(client, principal, entry);
      await client.query(`UPDATE ${this.schema}.admin_once SET audit_id = $2 WHERE key = $1`, [key, auditId]);
      const result = await action();
      await client.query('COMMIT');
      return { replayed: true, auditId, result };
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  /** The claims `once` made for these keys. */
  async claims(
    keys: readonly string[],
  ): Promise<Map<string, { at: string; actor: string; auditId: number }>> {
    const found = new Map<string, { at: string; actor: string; auditId: number }>();
    if (keys.length === 0 || !this.pool) return found;
    const pool = await this.open();
    const result = await pool.query<{ key: string; at: Date; actor: string; audit_id: string }>(
      `SELECT key, at, actor, audit_id FROM ${this.schema}.admin_once WHERE key = ANY($1)`,
      [keys],
    );
    for (const row of result.rows)
      found.set(row.key, { at: row.at.toISOString(), actor: row.actor, auditId: Number(row.audit_id) });
    return found;
  }

  /** Newest first. */
  async list(limit: number, action?: string): Promise<AuditEntry[]> {
    const pool = await this.open();
    const result = await pool.query<AuditEntry & { id: string; at: Date }>(
      `SELECT id, at, actor, role, action, target, detail FROM ${this.schema}.admin_audit
       WHERE ($2::text IS NULL OR action = $2) ORDER BY id DESC LIMIT $1`,
      [limit, action ?? null],
    );
    return result.rows.map((row) => ({ ...row, id: Number(row.id), at: new Date(row.at).toISOString() }));
  }

  async close(): Promise<void> {
    await this.pool?.end();
  }

  /** One entry, on the pool or inside a transaction's client; resolves to its id. */
  private async insert(
    db: Pick<Pool, 'query'>,
    principal: Principal,
    entry: { action: string; target: string | null; detail: Record<string, unknown> },
  ): Promise<number> {
    const result = await db.query<{ id: string }>(
      `INSERT INTO ${this.schema}.admin_audit (actor, role, action, target, detail)
       VALUES ($1, $2, $3, $4, $5) RETURNING id`,
      [principal.actor, principal.role, entry.action, entry.target, JSON.stringify(entry.detail)],
    );
    return Number(result.rows[0]!.id);
  }

  private async open(): Promise<Pool> {
    const pool = this.pool;
    if (!pool) throw new AuditLogUnavailableError();
    this.ready ??= (async () => {
      await pool.query(`CREATE SCHEMA IF NOT EXISTS ${this.schema}`);
      await pool.query(`CREATE TABLE IF NOT EXISTS ${this.schema}.admin_audit (
        id     bigserial PRIMARY KEY,
        at     timestamptz NOT NULL DEFAULT now(),
        actor  text NOT NULL,
        role   text NOT NULL,
        action text NOT NULL,
        target text,
        detail jsonb NOT NULL DEFAULT '{}'
      )`);
      await pool.query(`CREATE TABLE IF NOT EXISTS ${this.schema}.admin_once (
        key      text PRIMARY KEY,
        at       timestamptz NOT NULL DEFAULT now(),
        actor    text NOT NULL,
        audit_id bigint
      )`);
    })().catch((error: unknown) => {
      this.ready = null;
      throw error;
    });
    await this.ready;
    return pool;
  }
}

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
    const pool = await this.open();
    const result = await pool.query<{ id: string }>(
      `INSERT INTO ${this.schema}.admin_audit (actor, role, action, target, detail)
       VALUES ($1, $2, $3, $4, $5) RETURNING id`,
      [principal.actor, principal.role, action, target, JSON.stringify(detail)],
    );
    return Number(result.rows[0]!.id);
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
    })().catch((error: unknown) => {
      this.ready = null;
      throw error;
    });
    await this.ready;
    return pool;
  }
}

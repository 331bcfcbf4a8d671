import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { Pool, type PoolClient, type PoolConfig } from 'pg';

export interface SqlStoreOptions {
  /** `postgres://user@host:port/db` (any PostgreSQL 14+). */
  connectionString: string;
  /** The schema holding Crest's tables (created if missing). Default `crest`. */
  schema?: string;
  /** Pool size. Default 10. */
  maxConnections?: number;
}

/** A migration file `NNNN_name.sql` of `sql/migrations`. */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/**
 * Where the SQL files shipped with this library are: next to the compiled code when it runs from source
 * (tests, tsx), else under the repository root (a bundled app started from the root, as `nx serve` does).
 * `CREST_SQL_DIR` overrides both (a deployment that copies `libs/retrieval/src/lib/sql` elsewhere).
 */
export function sqlResourceDir(name: 'migrations' | 'lambdas'): string {
  const candidates = [
    process.env['CREST_SQL_DIR'] && join(process.env['CREST_SQL_DIR'], name),
    join(__dirname, name),
    join(process.cwd(), 'libs/retrieval/src/lib/sql', name),
  ].filter((dir): dir is string => typeof dir === 'string');
  const found = candidates.find((dir) => existsSync(dir));
  if (!found) throw new Error(`Crest SQL ${name} not found; looked in ${candidates.join(', ')}`);
  return found;
}

export function loadMigrations(dir = sqlResourceDir('migrations')): Migration[] {
  return readdirSync(dir)
    .filter((file) => file.endsWith('.sql'))
    .map((file) => {
      const match = /^(\d+)_([a-z0-9_]+)\.sql$/.exec(file);
      if (!match) throw new Error(`migration file ${file} is not NNNN_name.sql`);
      return { version: Number(match[1]), name: match[2]!, sql: readFileSync(join(dir, file), 'utf8') };
    })
    .sort((a, b) => a.version - b.version);
}

/**
 * Crest's PostgreSQL store: a pool whose connections use Crest's schema, and the versioned migrations of
 * `sql/migrations`, applied in order, each in its own transaction, recorded in `schema_migrations`, under
 * an advisory lock so instances starting together apply each once.
 */
export class SqlStore {
  readonly pool: Pool;
  readonly schema: string;

  constructor(options: SqlStoreOptions) {
    const schema = options.schema ?? 'crest';
    if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema))
      throw new Error(`schema "${schema}" must be a lowercase SQL identifier`);
    this.schema = schema;
    const config: PoolConfig = {
      connectionString: options.connectionString,
      max: options.maxConnections ?? 10,
      // Every connection reads and writes Crest's schema (lambdas name tables without one); `public` after
      // it holds the extensions the lambdas use (cube).
      options: `-c search_path=${schema},public`,
    };
    this.pool = new Pool(config);
  }

  /** Runs `work` in one transaction on one connection: committed if it resolves, rolled back if it throws. */
  async transaction<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  /** Applies the migrations not yet applied; returns the versions it applied. */
  async migrate(migrations: readonly Migration[] = loadMigrations()): Promise<number[]> {
    const client = await this.pool.connect();
    try {
      await client.query(`CREATE SCHEMA IF NOT EXISTS ${this.schema}`);
      await client.query('SELECT pg_advisory_lock(hashtext($1))', [`crest-migrations:${this.schema}`]);
      try {
        await client.query(
          `CREATE TABLE IF NOT EXISTS schema_migrations (
             version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
        );
        const done = new Set(
          (await client.query<{ version: number }>('SELECT version FROM schema_migrations')).rows.map(
            (r) => r.version,
          ),
        );
        const applied: number[] = [];
        for (const migration of migrations) {
          if (done.has(migration.version)) continue;
          await client.query('BEGIN');
          try {
            await client.query(migration.sql);
            await client.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [
              migration.version,
              migration.name,
            ]);
            await client.query('COMMIT');
          } catch (error) {
            await client.query('ROLLBACK');
            throw new Error(
              `migration ${migration.version}_${migration.name} failed: ${(error as Error).message}`,
            );
          }
          applied.push(migration.version);
        }
        return applied;
      } finally {
        await client.query('SELECT pg_advisory_unlock(hashtext($1))', [`crest-migrations:${this.schema}`]);
      }
    } finally {
      client.release();
    }
  }

  /** Drops the schema and everything in it (tests). */
  async dropSchema(): Promise<void> {
    await this.pool.query(`DROP SCHEMA IF EXISTS ${this.schema} CASCADE`);
  }

  close(): Promise<void> {
    return this.pool.end();
  }
}

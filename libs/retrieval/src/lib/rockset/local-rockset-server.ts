import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import {
  BIGINT,
  BOOLEAN,
  type DuckDBConnection,
  DuckDBInstance,
  type DuckDBType,
  type DuckDBValue,
  FLOAT,
  VARCHAR,
} from '@duckdb/node-api';

/** Where the Query Lambdas live: one folder per lambda, `v<version>.sql` per version, and the manifest. */
export const ROCKSET_LAMBDAS_DIR = join(__dirname, 'lambdas');

/** Rockset's query parameter types this server accepts (the scalars the lambdas use). */
export type LambdaParameterType = 'string' | 'int' | 'float' | 'bool';

interface LambdaManifest {
  collections: Record<string, { structure: Record<string, unknown> }>;
  lambdas: Record<
    string,
    { tags: Record<string, number>; versions: Record<string, Record<string, LambdaParameterType>> }
  >;
}

/** Rockset's ErrorModel: the body of every non-2xx answer. */
export interface RocksetErrorBody {
  message: string;
  type: string;
  error_id: string;
  trace_id: string;
  query_id?: string;
}

export interface LocalRocksetServerOptions {
  /** Requests must carry `Authorization: ApiKey <apiKey>`. */
  apiKey: string;
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  lambdasDir?: string;
  /** How long the pages of a paginated query stay readable. Default 60 s. */
  pageTtlMs?: number;
}

/** Faults a test sets to see how a client copes. */
export interface LocalRocksetFaults {
  /** Every lambda execution waits this long first (cancelled if the client goes away). */
  delayMs: number;
  /** The next executions answer these errors, in order. */
  failures: Array<{ status: number; type: string; message: string }>;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
    readonly queryId?: string,
  ) {
    super(message);
  }
}

interface StoredQuery {
  results: unknown[];
  expiresAt: number;
}

const MAX_BODY_BYTES = 10 * 1024 * 1024;
const DEFAULT_PAGE_DOCS = 100;
const PARAMETER_TYPES: Record<LambdaParameterType, DuckDBType> = {
  string: VARCHAR,
  int: BIGINT,
  float: FLOAT,
  bool: BOOLEAN,
};

/**
 * A local stand-in for Rockset's REST API, for tests and local runs: hosted Rockset no longer exists.
 * It serves what Crest uses, shaped as Rockset documents it: Query Lambda execution by tag and by version
 * (`POST /v1/orgs/self/ws/{ws}/lambdas/{lambda}/tags/{tag}` and `.../versions/{version}`, `QueryResponse`),
 * result pages (`GET /v1/orgs/self/queries/{queryId}/pages?cursor&docs&offset`, `QueryPaginationResponse`),
 * and the write API (`POST`/`DELETE /v1/orgs/self/ws/{ws}/collections/{c}/docs`); errors are `ErrorModel`
 * bodies with Rockset's status codes and types. The lambdas' SQL runs on DuckDB (in-process, in memory):
 * `:name` parameters are bound by type, never spliced into the SQL. A workspace is a DuckDB schema; a
 * collection is a table with the manifest's typed columns plus `_id` and the whole doc (`_doc`).
 */
export class LocalRocksetServer {
  readonly faults: LocalRocksetFaults = { delayMs: 0, failures: [] };
  /** Lambda executions answered, and those the client abandoned (its request aborted) before the answer. */
  readonly counters = { executed: 0, aborted: 0 };
  private readonly manifest: LambdaManifest;
  private readonly sqlCache = new Map<string, string>();
  private readonly queries = new Map<string, StoredQuery>();
  private readonly workspaces = new Set<string>();
  private server: Server | null = null;
  private instance: DuckDBInstance | null = null;
  private admin: DuckDBConnection | null = null;
  url = '';

  private constructor(private readonly options: LocalRocksetServerOptions) {
    this.manifest = JSON.parse(
      readFileSync(join(options.lambdasDir ?? ROCKSET_LAMBDAS_DIR, 'manifest.json'), 'utf8'),
    ) as LambdaManifest;
  }

  static async start(options: LocalRocksetServerOptions): Promise<LocalRocksetServer> {
    const server = new LocalRocksetServer(options);
    await server.listen();
    return server;
  }

  private async listen(): Promise<void> {
    this.instance = await DuckDBInstance.create(':memory:');
    this.admin = await this.instance.connect();
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(this.options.port ?? 0, this.options.host ?? '127.0.0.1', resolve);
    });
    const address = this.server.address() as AddressInfo;
    this.url = `http://${address.address}:${address.port}`;
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server?.close(() => resolve());
      this.server?.closeAllConnections();
    });
    this.admin?.closeSync();
    this.instance?.closeSync();
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const abandoned = new AbortController();
    // The client went away before we answered: stop the work.
    res.on('close', () => {
      if (!res.writableFinished) abandoned.abort();
    });
    try {
      if (req.headers.authorization !== `ApiKey ${this.options.apiKey}`)
        throw new HttpError(401, 'AUTHEXCEPTION', 'The API key is missing or not valid');
      const url = new URL(req.url ?? '/', 'http://local');
      const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
      const route = `${req.method} ${parts.slice(0, 3).join('/')}`;
      let body: unknown;
      if (
        route === 'POST v1/orgs/self' &&
        parts[3] === 'ws' &&
        parts[5] === 'lambdas' &&
        parts.length === 9
      ) {
        const [, , , , workspace, , lambda, kind, versionOrTag] = parts as [
          string,
          string,
          string,
          string,
          string,
          string,
          string,
          string,
          string,
        ];
        if (kind !== 'tags' && kind !== 'versions') throw notFound(url.pathname);
        body = await this.execute(
          workspace,
          lambda,
          kind,
          versionOrTag,
          await readJson(req),
          abandoned.signal,
        );
      } else if (
        route === 'GET v1/orgs/self' &&
        parts[3] === 'queries' &&
        parts[5] === 'pages' &&
        parts.length === 6
      ) {
        body = this.page(parts[4]!, url.searchParams);
      } else if (
        parts[3] === 'ws' &&
        parts[5] === 'collections' &&
        parts[7] === 'docs' &&
        parts.length === 8
      ) {
        const [workspace, collection] = [parts[4]!, parts[6]!];
        if (req.method === 'POST') body = await this.addDocuments(workspace, collection, await readJson(req));
        else if (req.method === 'DELETE')
          body = await this.deleteDocuments(workspace, collection, await readJson(req));
        else throw new HttpError(405, 'METHODNOTALLOWED', `${req.method} is not allowed on ${url.pathname}`);
      } else {
        throw notFound(url.pathname);
      }
      send(res, 200, body);
    } catch (error) {
      if (abandoned.signal.aborted) {
        this.counters.aborted++;
        return;
      }
      const http =
        error instanceof HttpError ? error : new HttpError(500, 'INTERNALERROR', (error as Error).message);
      const errorBody: RocksetErrorBody = {
        message: http.message,
        type: http.type,
        error_id: randomUUID(),
        trace_id: randomUUID(),
      };
      if (http.queryId) errorBody.query_id = http.queryId;
      send(res, http.status, errorBody);
    }
  }

  private async execute(
    workspace: string,
    lambda: string,
    kind: 'tags' | 'versions',
    versionOrTag: string,
    request: unknown,
    signal: AbortSignal,
  ): Promise<object> {
    const definition = this.manifest.lambdas[lambda];
    if (!definition || !this.workspaces.has(workspace))
      throw new HttpError(404, 'NOTFOUND', `Query Lambda ${workspace}.${lambda} not found`);
    const version = kind === 'tags' ? definition.tags[versionOrTag] : Number(versionOrTag);
    if (version === undefined)
      throw new HttpError(404, 'NOTFOUND', `Query Lambda ${lambda} has no tag "${versionOrTag}"`);
    const declared = definition.versions[String(version)];
    if (!declared)
      throw new HttpError(404, 'NOTFOUND', `Query Lambda ${lambda} has no version "${versionOrTag}"`);
    const { values, types } = bindParameters(lambda, version, declared, request);
    const queryId = randomUUID();

    if (this.faults.delayMs > 0)
      await sleep(this.faults.delayMs, undefined, { signal }).catch(() => undefined);
    signal.throwIfAborted();
    const failure = this.faults.failures.shift();
    if (failure) throw new HttpError(failure.status, failure.type, failure.message, queryId);

    const started = performance.now();
    const connection = await this.instance!.connect();
    const interrupt = () => connection.interrupt();
    signal.addEventListener('abort', interrupt, { once: true });
    let rows: Record<string, unknown>[];
    try {
      await connection.run(`SET search_path = '${workspace}'`);
      const reader = await connection.runAndReadAll(this.sqlOf(lambda, version), values, types);
      rows = reader.getRowObjectsJS() as Record<string, unknown>[];
    } catch (error) {
      signal.throwIfAborted();
      throw new HttpError(400, 'QUERYERROR', (error as Error).message, queryId);
    } finally {
      signal.removeEventListener('abort', interrupt);
      connection.closeSync();
    }
    signal.throwIfAborted();
    this.counters.executed++;
    const results = rows.map((row) => ({
      ...row,
      _doc: row['_doc'] === undefined ? undefined : JSON.parse(String(row['_doc'])),
    }));
    const options = (request ?? {}) as { paginate?: boolean; initial_paginate_response_doc_count?: number };
    const response: Record<string, unknown> = {
      query_id: queryId,
      query_lambda_path: `${workspace}.${lambda}:${version}`,
      collections: [`${workspace}.livestreams`],
      results_total_doc_count: results.length,
      column_fields: Object.keys(results[0] ?? {}).map((name) => ({ name, type: '' })),
      stats: { elapsed_time_ms: Math.round(performance.now() - started) },
      status: 'COMPLETED',
      warnings: [],
      query_errors: [],
      results,
    };
    if (options.paginate) {
      const first = Math.max(0, Math.floor(options.initial_paginate_response_doc_count ?? DEFAULT_PAGE_DOCS));
      this.queries.set(queryId, { results, expiresAt: Date.now() + (this.options.pageTtlMs ?? 60_000) });
      response['results'] = results.slice(0, first);
      response['pagination'] = {
        start_cursor: cursorOf(queryId, 0),
        current_page_doc_count: Math.min(first, results.length),
        next_cursor: first < results.length ? cursorOf(queryId, first) : null,
      };
    }
    return response;
  }

  private page(queryId: string, search: URLSearchParams): object {
    this.expireQueries();
    const stored = this.queries.get(queryId);
    if (!stored)
      throw new HttpError(404, 'NOTFOUND', `Query ${queryId} has no results (unknown or expired)`, queryId);
    const cursor = search.get('cursor');
    let start = 0;
    if (cursor !== null) {
      const decoded = decodeCursor(cursor);
      if (!decoded || decoded.queryId !== queryId)
        throw new HttpError(
          400,
          'INVALIDINPUT',
          `Cursor "${cursor}" does not belong to query ${queryId}`,
          queryId,
        );
      start = decoded.offset;
    }
    const docs = integerParam(search, 'docs', DEFAULT_PAGE_DOCS, 1, 100_000, queryId);
    start += integerParam(search, 'offset', 0, 0, Number.MAX_SAFE_INTEGER, queryId);
    const results = stored.results.slice(start, start + docs);
    const next = start + results.length;
    return {
      results,
      results_total_doc_count: stored.results.length,
      pagination: {
        start_cursor: cursorOf(queryId, start),
        current_page_doc_count: results.length,
        next_cursor: next < stored.results.length ? cursorOf(queryId, next) : null,
      },
    };
  }

  private async addDocuments(workspace: string, collection: string, body: unknown): Promise<object> {
    const structure = this.collectionStructure(collection);
    const data = (body as { data?: unknown } | null)?.data;
    if (!Array.isArray(data))
      throw new HttpError(400, 'INVALIDINPUT', 'body.data must be an array of documents');
    await this.ensureCollection(workspace, collection, structure);
    const statuses = [];
    for (const doc of data) {
      const id = (doc as { _id?: unknown } | null)?._id;
      if (typeof id !== 'string' || id.length === 0) {
        statuses.push({
          _collection: collection,
          status: 'ERROR',
          error: { type: 'INVALIDINPUT', message: 'a document needs a string _id' },
        });
        continue;
      }
      // Rockset's write API replaces by _id without a version check; this server keeps the newer doc
      // (by `version`) so a redelivered older doc cannot win, like the other sinks.
      await this.admin!.run(
        `INSERT INTO "${workspace}"."${collection}"
         SELECT $id, $doc::JSON, t.* FROM (SELECT unnest(json_transform($doc, '${JSON.stringify(structure).replaceAll("'", "''")}'))) t
         ON CONFLICT (_id) DO UPDATE SET ${this.updateColumns(structure)}
         WHERE excluded.version IS NULL OR "${collection}".version IS NULL OR excluded.version >= "${collection}".version`,
        { id, doc: JSON.stringify(doc) },
        { id: VARCHAR, doc: VARCHAR },
      );
      statuses.push({ _id: id, _collection: collection, status: 'ADDED', error: null });
    }
    return { data: statuses, last_offset: `f1:${Date.now()}` };
  }

  private async deleteDocuments(workspace: string, collection: string, body: unknown): Promise<object> {
    this.collectionStructure(collection);
    const data = (body as { data?: unknown } | null)?.data;
    if (!Array.isArray(data)) throw new HttpError(400, 'INVALIDINPUT', 'body.data must be an array of {_id}');
    if (!this.workspaces.has(workspace))
      throw new HttpError(404, 'NOTFOUND', `Workspace ${workspace} not found`);
    const statuses = [];
    for (const item of data) {
      const id = String((item as { _id?: unknown } | null)?._id ?? '');
      await this.admin!.run(
        `DELETE FROM "${workspace}"."${collection}" WHERE _id = $id`,
        { id },
        { id: VARCHAR },
      );
      statuses.push({ _id: id, _collection: collection, status: 'DELETED', error: null });
    }
    return { data: statuses, last_offset: `f1:${Date.now()}` };
  }

  private collectionStructure(collection: string): Record<string, unknown> {
    const definition = this.manifest.collections[collection];
    if (!definition) throw new HttpError(404, 'NOTFOUND', `Collection ${collection} not found`);
    return definition.structure;
  }

  private async ensureCollection(workspace: string, collection: string, structure: Record<string, unknown>) {
    if (!/^[A-Za-z][A-Za-z0-9_-]{0,63}$/.test(workspace))
      throw new HttpError(400, 'INVALIDINPUT', `Workspace name "${workspace}" is not valid`);
    if (this.workspaces.has(workspace)) return;
    await this.admin!.run(`CREATE SCHEMA IF NOT EXISTS "${workspace}"`);
    const columns = Object.entries(structure).map(([name, type]) => `"${name}" ${duckType(type)}`);
    await this.admin!.run(
      `CREATE TABLE IF NOT EXISTS "${workspace}"."${collection}" (_id VARCHAR PRIMARY KEY, _doc JSON, ${columns.join(', ')})`,
    );
    this.workspaces.add(workspace);
  }

  private updateColumns(structure: Record<string, unknown>): string {
    return ['_doc', ...Object.keys(structure)].map((name) => `"${name}" = excluded."${name}"`).join(', ');
  }

  private sqlOf(lambda: string, version: number): string {
    const key = `${lambda}@${version}`;
    let sql = this.sqlCache.get(key);
    if (sql === undefined) {
      const text = readFileSync(
        join(this.options.lambdasDir ?? ROCKSET_LAMBDAS_DIR, lambda, `v${version}.sql`),
        'utf8',
      );
      sql = namedParametersToDuckDb(text);
      this.sqlCache.set(key, sql);
    }
    return sql;
  }

  private expireQueries(): void {
    const now = Date.now();
    for (const [id, query] of this.queries) if (query.expiresAt < now) this.queries.delete(id);
  }
}

/** Rockset's `:name` parameters as DuckDB's `$name`, leaving string literals, comments and `::` casts alone. */
export function namedParametersToDuckDb(sql: string): string {
  let out = '';
  for (let i = 0; i < sql.length; i++) {
    const c = sql[i]!;
    if (c === "'" || c === '"') {
      const end = sql.indexOf(c, i + 1);
      const stop = end === -1 ? sql.length : end + 1;
      out += sql.slice(i, stop);
      i = stop - 1;
    } else if (c === '-' && sql[i + 1] === '-') {
      const end = sql.indexOf('\n', i);
      const stop = end === -1 ? sql.length : end;
      out += sql.slice(i, stop);
      i = stop - 1;
    } else if (c === ':' && sql[i + 1] === ':') {
      out += '::';
      i++;
    } else if (c === ':' && /[A-Za-z_]/.test(sql[i + 1] ?? '')) {
      out += '$';
    } else {
      out += c;
    }
  }
  return out;
}

function bindParameters(
  lambda: string,
  version: number,
  declared: Record<string, LambdaParameterType>,
  request: unknown,
): { values: Record<string, DuckDBValue>; types: Record<string, DuckDBType> } {
  const given = (request as { parameters?: unknown } | null)?.parameters ?? [];
  if (!Array.isArray(given)) throw new HttpError(400, 'INVALIDINPUT', 'parameters must be an array');
  const values: Record<string, DuckDBValue> = {};
  const types: Record<string, DuckDBType> = {};
  const problems: string[] = [];
  for (const parameter of given as Array<{ name?: unknown; type?: unknown; value?: unknown }>) {
    const name = String(parameter?.name);
    const type = declared[name];
    if (!type) {
      problems.push(
        `unknown parameter "${name}" (${lambda}:${version} takes ${Object.keys(declared).join(', ')})`,
      );
      continue;
    }
    if (parameter.type !== type) {
      problems.push(`parameter "${name}" must have type ${type} (got ${JSON.stringify(parameter.type)})`);
      continue;
    }
    const value = typeof parameter.value === 'string' ? parameter.value : undefined;
    const parsed = value === undefined ? undefined : parseValue(type, value);
    if (parsed === undefined) {
      problems.push(`parameter "${name}" is not a valid ${type}: ${JSON.stringify(parameter.value)}`);
      continue;
    }
    values[name] = parsed;
    types[name] = PARAMETER_TYPES[type];
  }
  for (const name of Object.keys(declared))
    if (!(name in values) && !problems.some((p) => p.includes(`"${name}"`)))
      problems.push(`missing parameter "${name}"`);
  if (problems.length > 0) throw new HttpError(400, 'INVALIDINPUT', problems.join('; '));
  return { values, types };
}

function parseValue(type: LambdaParameterType, value: string): DuckDBValue | undefined {
  switch (type) {
    case 'string':
      return value;
    case 'int':
      return /^-?\d{1,15}$/.test(value) ? BigInt(value) : undefined;
    case 'float': {
      const number = Number(value);
      return value.trim() !== '' && Number.isFinite(number) ? number : undefined;
    }
    case 'bool':
      return value === 'true' ? true : value === 'false' ? false : undefined;
  }
}

function duckType(structure: unknown): string {
  if (typeof structure === 'string') return structure;
  if (Array.isArray(structure)) return `${duckType(structure[0])}[]`;
  const fields = Object.entries(structure as Record<string, unknown>).map(
    ([name, type]) => `"${name}" ${duckType(type)}`,
  );
  return `STRUCT(${fields.join(', ')})`;
}

function cursorOf(queryId: string, offset: number): string {
  return Buffer.from(`${queryId}:${offset}`).toString('base64url');
}

function decodeCursor(cursor: string): { queryId: string; offset: number } | null {
  const [queryId, offset] = Buffer.from(cursor, 'base64url').toString('utf8').split(':');
  const parsed = Number(offset);
  return queryId && Number.isInteger(parsed) && parsed >= 0 ? { queryId, offset: parsed } : null;
}

function integerParam(
  search: URLSearchParams,
  name: string,
  fallback: number,
  min: number,
  max: number,
  queryId: string,
) {
  const raw = search.get(name);
  if (raw === null) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max)
    throw new HttpError(
      400,
      'INVALIDINPUT',
      `${name} must be an integer in [${min}, ${max}] (got "${raw}")`,
      queryId,
    );
  return value;
}

function notFound(path: string): HttpError {
  return new HttpError(404, 'NOTFOUND', `No such endpoint: ${path}`);
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES)
      throw new HttpError(413, 'CONTENTTOOLARGE', `Request body over ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  if (size === 0) return {};
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new HttpError(400, 'BADREQUEST', 'The request body is not JSON');
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body, (_key, value: unknown) =>
    typeof value === 'bigint' ? Number(value) : value,
  );
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

import { randomUUID } from 'node:crypto';

import { CONTRACT_DOCS } from '../retriever.contract';
import { type LambdaParameter } from '../strategies/retrieval-strategy';
import { SqlDocSink } from './sql-doc.sink';
import { LambdaParameterError, requestLambdaParameters, SqlLambdas, UnknownLambdaError } from './sql-lambdas';
import { SqlStore } from './sql-store';

const databaseUrl = process.env['PULL_MODEL_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** A valid value of each declared type, and JSON-array strings where the lambdas expect them. */
function validValue(name: string, type: LambdaParameter['type']): string {
  if (type === 'int') return '10';
  if (type === 'float') return name === 'min_similarity' ? '-1' : '0';
  if (type === 'bool') return 'true';
  if (name === 'now') return new Date().toISOString();
  if (name === 'affinities') return '[1]';
  if (name === 'categories') return '["watches"]';
  if (name === 'user_embedding') return '[0.1, 0.2, 0.3, 0.4]';
  return '[]';
}

const INJECTIONS = [
  "'); DROP TABLE livestreams; --",
  '["x\'); DROP TABLE livestreams; --"]',
  "[\"' OR '1'='1\"]",
  '[1) OR (1=1]',
  "2026-01-01T00:00:00Z'; DELETE FROM livestreams; --",
];

describe('SQL Query Lambdas on PostgreSQL', () => {
  const lambdas = new SqlLambdas();
  const store = new SqlStore({
    connectionString: databaseUrl,
    schema: `crest_lambdas_${randomUUID().slice(0, 8)}`,
  });
  const declared = (name: string, version: number): LambdaParameter[] =>
    Object.entries(lambdas.declaredParameters(name, { version })).map(([parameter, type]) => ({
      name: parameter,
      type,
      value: validValue(parameter, type),
    }));
  const count = async () =>
    Number((await store.pool.query('SELECT count(*) AS n FROM livestreams')).rows[0].n);

  beforeAll(async () => {
    await store.migrate();
    await new SqlDocSink(store).write({ upserts: CONTRACT_DOCS, deletions: [] });
  });
  afterAll(async () => {
    await store.dropSchema();
    await store.close();
  });

  const everyVersion = lambdas.list().flatMap((l) => l.versions.map((version) => [l.name, version] as const));

  it.each(everyVersion)('%s@%i runs with its declared parameters', async (name, version) => {
    const rows = await lambdas.execute(store, name, { version }, declared(name, version));
    expect(Array.isArray(rows)).toBe(true);
    for (const row of rows) expect(Object.keys(row).sort()).toEqual(['doc', 'livestream_id', 'score']);
  });

  it.each(everyVersion)(
    '%s@%i: injection through every string parameter changes nothing',
    async (name, version) => {
      const before = await count();
      const parameters = declared(name, version);
      for (const target of parameters.filter((p) => p.type === 'string'))
        for (const attack of INJECTIONS) {
          const attempt = parameters.map((p) => (p === target ? { ...p, value: attack } : p));
          // A value is data: PostgreSQL either reads it as an id that matches nothing, or refuses it as
          // malformed JSON or time. It never runs as SQL.
          await lambdas.execute(store, name, { version }, attempt).then(
            (rows) => expect(rows.every((r) => typeof r['livestream_id'] === 'string')).toBe(true),
            (error: Error) =>
              expect(error.message).toMatch(/invalid input syntax|json|timestamp|time zone|out of range/i),
          );
        }
      expect(await count()).toBe(before);
    },
  );

  it.each(everyVersion)(
    '%s@%i: numbers and flags are validated before they reach the store',
    (name, version) => {
      const parameters = declared(name, version);
      for (const target of parameters.filter((p) => p.type !== 'string'))
        expect(() =>
          lambdas.prepare(
            name,
            { version },
            parameters.map((p) => (p === target ? { ...p, value: '1; DROP TABLE livestreams' } : p)),
          ),
        ).toThrow(`parameter ${target.name}: "1; DROP TABLE livestreams" is not a valid ${target.type}`);
    },
  );

  it('lists every parameter problem at once', () => {
    expect(() =>
      lambdas.prepare('trending', { tag: 'live' }, [
        { name: 'min_momentum', type: 'int', value: '1' },
        { name: 'min_viewers', type: 'int', value: 'many' },
        { name: 'surprise', type: 'string', value: 'x' },
        { name: 'result_limit', type: 'int', value: '5' },
        { name: 'result_limit', type: 'int', value: '6' },
      ]),
    ).toThrow(
      new LambdaParameterError('trending@1', [
        'parameter min_momentum must be float (given as int)',
        'parameter min_viewers: "many" is not a valid int',
        'parameter surprise is not declared by trending@1',
        'parameter result_limit is given twice',
        'parameter excluded_ids is missing',
      ]),
    );
  });

  it("binds the request's parameters where a version declares them, and only there", () => {
    const strategyParameters = declared('trending', 1);
    const offered = requestLambdaParameters({ now: Date.parse('2026-12-03T18:00:30.250Z') });
    expect(offered).toEqual([{ name: 'now_ms', type: 'int', value: '1796320830250' }]);
    // v1 does not read the request's time: offering it is no error and binds nothing.
    expect(lambdas.prepare('trending', { version: 1 }, strategyParameters, offered).values).toEqual(
      lambdas.prepare('trending', { version: 1 }, strategyParameters).values,
    );
    const v2 = lambdas.prepare('trending', { version: 2 }, strategyParameters, offered);
    expect(v2.values).toContain('1796320830250');
    expect(v2.values).toHaveLength(strategyParameters.length + 1);
    expect(() => lambdas.prepare('trending', { version: 2 }, strategyParameters)).toThrow(
      new LambdaParameterError('trending@2', ['parameter now_ms is missing']),
    );
    expect(() =>
      lambdas.prepare('trending', { version: 2 }, strategyParameters, [{ ...offered[0]!, value: '1e12' }]),
    ).toThrow('parameter now_ms: "1e12" is not a valid int');
  });

  it('names unknown lambdas, versions and tags', () => {
    expect(() => lambdas.prepare('nope', { tag: 'live' }, [])).toThrow(UnknownLambdaError);
    expect(() => lambdas.prepare('trending', { version: 99 }, [])).toThrow(
      'lambda trending has no version 99',
    );
    expect(() => lambdas.prepare('trending', { tag: 'beta' }, [])).toThrow('lambda trending has no tag beta');
  });
});

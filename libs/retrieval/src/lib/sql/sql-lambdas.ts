import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { type QueryResultRow } from 'pg';

import { type LambdaParameter } from '../strategies/retrieval-strategy';
import { sqlResourceDir, type SqlStore } from './sql-store';

type ParameterType = LambdaParameter['type'];

interface Manifest {
  lambdas: Record<
    string,
    { tags: Record<string, number>; versions: Record<string, Record<string, ParameterType>> }
  >;
}

/** A lambda version ready to run: its SQL with `$n` placeholders and the parameter bound to each. */
interface CompiledLambda {
  name: string;
  version: number;
  declared: Readonly<Record<string, ParameterType>>;
  text: string;
  /** Parameter name of `$1`, `$2`… */
  order: string[];
}

/** Which version to run: a tag of the manifest (`live`) or a version number. */
export type LambdaSelector = { tag: string } | { version: number };

/** An unknown lambda, version or tag. */
export class UnknownLambdaError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnknownLambdaError';
  }
}

/** Parameters that do not match the lambda version's declaration; every problem is listed. */
export class LambdaParameterError extends Error {
  constructor(
    readonly lambda: string,
    readonly problems: string[],
  ) {
    super(`${lambda}: ${problems.join('; ')}`);
    this.name = 'LambdaParameterError';
  }
}

const VALID: Record<ParameterType, (value: string) => boolean> = {
  int: (v) => /^-?\d{1,15}$/.test(v),
  float: (v) => v.trim() !== '' && Number.isFinite(Number(v)),
  bool: (v) => v === 'true' || v === 'false',
  string: () => true,
};

/**
 * The Query Lambdas of the SQL store: named, versioned, parameterized SQL files (`sql/lambdas/<name>/v<N>.sql`,
 * declared with typed parameters and tags in `manifest.json`), executed by name and tag or version. A
 * `:name` in the SQL is a bound parameter (`$n`): values never become SQL text, whatever they hold.
 */
export class SqlLambdas {
  private readonly lambdas = new Map<string, Map<number, CompiledLambda>>();
  private readonly tags = new Map<string, Record<string, number>>();

  constructor(dir: string = sqlResourceDir('lambdas')) {
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Manifest;
    for (const [name, spec] of Object.entries(manifest.lambdas)) {
      const versions = new Map<number, CompiledLambda>();
      for (const [version, declared] of Object.entries(spec.versions)) {
        const sql = readFileSync(join(dir, name, `v${version}.sql`), 'utf8');
        versions.set(Number(version), compile(name, Number(version), declared, sql));
      }
      for (const [tag, version] of Object.entries(spec.tags))
        if (!versions.has(version))
          throw new Error(`lambda ${name}: tag ${tag} names missing version ${version}`);
      this.lambdas.set(name, versions);
      this.tags.set(name, spec.tags);
    }
  }

  /** Every lambda with its versions and tags (admin, docs). */
  list(): Array<{ name: string; versions: number[]; tags: Record<string, number> }> {
    return [...this.lambdas].map(([name, versions]) => ({
      name,
      versions: [...versions.keys()].sort((a, b) => a - b),
      tags: this.tags.get(name) ?? {},
    }));
  }

  /** The typed parameters a lambda version declares. */
  declaredParameters(lambda: string, selector: LambdaSelector): Readonly<Record<string, ParameterType>> {
    return this.resolve(lambda, selector).declared;
  }

  /**
   * The SQL and the bound values of one execution, after validating the parameters. `parameters` are the
   * strategy's: each must be declared. `offered` are the request's (see {@link requestLambdaParameters}):
   * bound where the version declares them and not given, ignored where it does not, so a new version can
   * read the request's time without a change to its strategy or to the versions before it.
   */
  prepare(
    lambda: string,
    selector: LambdaSelector,
    parameters: readonly LambdaParameter[],
    offered: readonly LambdaParameter[] = [],
  ) {
    const compiled = this.resolve(lambda, selector);
    const given = new Map<string, LambdaParameter>();
    const problems: string[] = [];
    const strategyNames = new Set(parameters.map((p) => p.name));
    const taken = offered.filter((p) => p.name in compiled.declared && !strategyNames.has(p.name));
    for (const parameter of [...parameters, ...taken]) {
      if (given.has(parameter.name)) problems.push(`parameter ${parameter.name} is given twice`);
      given.set(parameter.name, parameter);
      const declaredType = compiled.declared[parameter.name];
      if (!declaredType)
        problems.push(`parameter ${parameter.name} is not declared by ${lambda}@${compiled.version}`);
      else if (parameter.type !== declaredType)
        problems.push(`parameter ${parameter.name} must be ${declaredType} (given as ${parameter.type})`);
      else if (!VALID[declaredType](parameter.value))
        problems.push(
          `parameter ${parameter.name}: ${JSON.stringify(parameter.value)} is not a valid ${declaredType}`,
        );
    }
    for (const name of Object.keys(compiled.declared))
      if (!given.has(name)) problems.push(`parameter ${name} is missing`);
    if (problems.length > 0) throw new LambdaParameterError(`${lambda}@${compiled.version}`, problems);
    return {
      text: compiled.text,
      values: compiled.order.map((name) => given.get(name)!.value),
      version: compiled.version,
    };
  }

  /**
   * Runs a lambda. The abort signal cancels the statement on the server (`pg_cancel_backend`), so an
   * abandoned retrieval does not keep a connection busy.
   */
  async execute<R extends QueryResultRow>(
    store: SqlStore,
    lambda: string,
    selector: LambdaSelector,
    parameters: readonly LambdaParameter[],
    { signal, offered }: { signal?: AbortSignal; offered?: readonly LambdaParameter[] } = {},
  ): Promise<R[]> {
    const { text, values } = this.prepare(lambda, selector, parameters, offered);
    signal?.throwIfAborted();
    const client = await store.pool.connect();
    const cancel = () => {
      store.pool
        .query('SELECT pg_cancel_backend($1)', [(client as unknown as { processID: number }).processID])
        .catch(() => undefined);
    };
    signal?.addEventListener('abort', cancel, { once: true });
    try {
      return (await client.query<R>(text, values)).rows;
    } catch (error) {
      if (signal?.aborted) throw signal.reason ?? error;
      throw error;
    } finally {
      signal?.removeEventListener('abort', cancel);
      client.release();
    }
  }

  private resolve(lambda: string, selector: LambdaSelector): CompiledLambda {
    const versions = this.lambdas.get(lambda);
    if (!versions)
      throw new UnknownLambdaError(`no lambda ${lambda} (there are: ${[...this.lambdas.keys()].join(', ')})`);
    const version = 'tag' in selector ? this.tags.get(lambda)?.[selector.tag] : selector.version;
    const compiled = version === undefined ? undefined : versions.get(version);
    if (!compiled)
      throw new UnknownLambdaError(
        'tag' in selector
          ? `lambda ${lambda} has no tag ${selector.tag}`
          : `lambda ${lambda} has no version ${selector.version} (it has ${[...versions.keys()].join(', ')})`,
      );
    return compiled;
  }
}

/**
 * What every lambda execution offers from the request itself. `now_ms` is the request's time in epoch ms, so
 * a lambda reads "the last 2 minutes" from the request's clock (as the memory adapter does), not the store's.
 * An integer also lets a lambda state its time bounds in immutable functions (integer arithmetic and
 * `to_timestamp(double precision)`): the planner folds them to constants and leaves out the partitions they
 * exclude. `now()`, `date_trunc` on timestamptz and timestamptz ± interval are only stable, so a query on
 * them plans every partition and prunes at run time.
 */
export function requestLambdaParameters(request: { now: number }): LambdaParameter[] {
  return [{ name: 'now_ms', type: 'int', value: String(Math.trunc(request.now)) }];
}

/** Turns `:name` placeholders into `$n` (comments dropped first, so a name in a comment binds nothing). */
function compile(
  name: string,
  version: number,
  declared: Record<string, ParameterType>,
  sql: string,
): CompiledLambda {
  const order: string[] = [];
  const withoutComments = sql.replace(/--[^\n]*/g, '');
  const text = withoutComments.replace(/(?<![:\w]):([a-z_][a-z0-9_]*)/g, (_match, parameter: string) => {
    if (!(parameter in declared))
      throw new Error(`lambda ${name}@${version} uses :${parameter}, which its manifest does not declare`);
    let index = order.indexOf(parameter);
    if (index === -1) index = order.push(parameter) - 1;
    return `$${index + 1}`;
  });
  for (const parameter of Object.keys(declared))
    if (!order.includes(parameter))
      throw new Error(`lambda ${name}@${version} declares ${parameter} but never uses it`);
  return { name, version, declared, text, order };
}

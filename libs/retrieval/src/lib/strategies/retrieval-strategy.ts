import { type estypes } from '@elastic/elasticsearch';

import { type LivestreamIndex } from '../memory/livestream-index';
import {
  type Candidate,
  requestProblems,
  type RetrievalRequest,
  RetrievalRequestError,
  type StrategyParams,
} from '../retrieval-request';

export interface ParamSpec {
  default: number | boolean;
  /** Bounds for numbers, inclusive. */
  min?: number;
  max?: number;
  description: string;
}

/** A request checked and completed: every param present, exclusions as a set. */
export interface ResolvedRetrieval<P extends StrategyParams = StrategyParams> {
  request: RetrievalRequest;
  params: P;
  excluded: ReadonlySet<string>;
}

/** What the Elasticsearch adapter sends: a query whose `_score` is the strategy's score. */
export interface ElasticsearchStrategyQuery {
  query: estypes.QueryDslQueryContainer;
}

/** A Query Lambda parameter as Rockset takes it (the value is always a string); the SQL store takes the same. */
export interface LambdaParameter {
  name: string;
  type: 'string' | 'int' | 'float' | 'bool';
  value: string;
}

/**
 * A retrieval strategy: a name, documented parameters, and one small function per backend that expresses
 * the same selection and score. The contract: every backend returns the live streams the strategy selects,
 * not excluded, scored the same, best first (score descending, then livestream id ascending).
 *
 * Scores are computed in 32-bit float arithmetic (`Math.fround`) the way Elasticsearch stores and scores
 * the fields, so equal inputs give equal scores and the same order on every backend.
 */
export interface StrategyDefinition<P extends StrategyParams = StrategyParams> {
  name: string;
  description: string;
  params: { [K in keyof P]: ParamSpec };
  /**
   * False when the request lacks what the strategy needs (e.g. no user embedding): the answer is no
   * candidates, on every backend, without asking it.
   */
  applies?(request: RetrievalRequest): boolean;
  memory(index: LivestreamIndex, retrieval: ResolvedRetrieval<P>): Candidate[];
  elasticsearch(retrieval: ResolvedRetrieval<P>): ElasticsearchStrategyQuery;
  /**
   * The Query Lambda and its parameters, the same on every store that runs lambdas: Rockset
   * (`rockset/lambdas/<lambda>`) and PostgreSQL (`sql/lambdas/<lambda>`); each store has its own dialect.
   */
  queryLambda: { lambda: string; parameters(retrieval: ResolvedRetrieval<P>): LambdaParameter[] };
}

// Strategies are stored by name with their parameter types erased; each checks its own params.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyStrategy = StrategyDefinition<any>;

/** The strategies a process knows, by name. Adding one is a file and a line in DEFAULT_STRATEGIES. */
export class StrategyRegistry {
  private readonly strategies = new Map<string, AnyStrategy>();

  constructor(strategies: readonly AnyStrategy[]) {
    for (const strategy of strategies) {
      if (this.strategies.has(strategy.name))
        throw new Error(`Strategy ${strategy.name} is registered twice`);
      this.strategies.set(strategy.name, strategy);
    }
  }

  names(): string[] {
    return [...this.strategies.keys()];
  }

  get(name: string): AnyStrategy | undefined {
    return this.strategies.get(name);
  }

  /** Checks the request and fills in parameter defaults; throws RetrievalRequestError listing every problem. */
  resolve(request: RetrievalRequest): { strategy: AnyStrategy; retrieval: ResolvedRetrieval } {
    const problems = requestProblems(request);
    const strategy = this.strategies.get(request.strategy);
    if (!strategy) {
      problems.push(`unknown strategy "${String(request.strategy)}" (known: ${this.names().join(', ')})`);
      throw new RetrievalRequestError(problems);
    }
    const params = resolveParams(strategy, request.params ?? {}, problems);
    if (problems.length > 0) throw new RetrievalRequestError(problems);
    return { strategy, retrieval: { request, params, excluded: new Set(request.excludedIds ?? []) } };
  }
}

function resolveParams(strategy: AnyStrategy, given: object, problems: string[]): StrategyParams {
  const specs = strategy.params as Record<string, ParamSpec>;
  const params: StrategyParams = {};
  for (const name of Object.keys(given))
    if (!(name in specs))
      problems.push(
        `${strategy.name} has no parameter "${name}" (it has: ${Object.keys(specs).join(', ') || 'none'})`,
      );
  for (const [name, spec] of Object.entries(specs)) {
    const value: unknown = (given as Record<string, unknown>)[name] ?? spec.default;
    if (typeof value !== typeof spec.default) {
      problems.push(
        `${strategy.name}.${name} must be a ${typeof spec.default} (got ${JSON.stringify(value)})`,
      );
      continue;
    }
    if (typeof value === 'number') {
      if (!Number.isFinite(value)) problems.push(`${strategy.name}.${name} must be finite`);
      else if ((spec.min !== undefined && value < spec.min) || (spec.max !== undefined && value > spec.max))
        problems.push(
          `${strategy.name}.${name} must be in [${spec.min ?? '-inf'}, ${spec.max ?? 'inf'}] (got ${value})`,
        );
    }
    params[name] = value as number | boolean;
  }
  return params;
}

/** Float32 rounding: how Elasticsearch stores `float` fields and returns scores. */
export const f32 = Math.fround;

/** The filter every strategy shares on Elasticsearch: live, not excluded. */
export function liveAndNotExcluded(
  retrieval: ResolvedRetrieval,
  filters: estypes.QueryDslQueryContainer[] = [],
  mustNot: estypes.QueryDslQueryContainer[] = [],
): estypes.QueryDslQueryContainer {
  const excluded = retrieval.request.excludedIds ?? [];
  return {
    bool: {
      filter: [{ term: { status: 'live' } }, ...filters],
      must_not: [...(excluded.length > 0 ? [{ ids: { values: [...excluded] } }] : []), ...mustNot],
    },
  };
}

/** The request fields most lambdas take, as Query Lambda parameters. */
export function commonLambdaParameters(retrieval: ResolvedRetrieval): LambdaParameter[] {
  return [
    { name: 'excluded_ids', type: 'string', value: JSON.stringify(retrieval.request.excludedIds ?? []) },
    { name: 'result_limit', type: 'int', value: String(retrieval.request.limit) },
  ];
}

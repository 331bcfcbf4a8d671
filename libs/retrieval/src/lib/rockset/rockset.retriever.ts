import rockset, { type MainApi } from '@rockset/client';

import {
  type Candidate,
  type RetrievalRequest,
  type RetrievalResult,
  type RetrievedDoc,
  type RetrieveOptions,
  type Retriever,
} from '../retrieval-request';
import { defaultStrategyRegistry } from '../strategies/default-strategies';
import { type StrategyRegistry } from '../strategies/retrieval-strategy';
import { retrieveWithStrategy } from '../strategy-retriever';

export interface RocksetConnection {
  apiKey: string;
  /** The API server, e.g. the local server's url in tests. */
  host: string;
  /** The workspace holding the `livestreams` collection and the lambdas. Default `commons`. */
  workspace?: string;
}

export interface RocksetRetrieverOptions extends RocksetConnection {
  /** The lambda tag to execute (each lambda's manifest maps tags to versions). Default `live`. */
  tag?: string;
  registry?: StrategyRegistry;
}

/** A Rockset error answer (`ErrorModel`) or a query error, as an Error that names it. */
export class RocksetError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly queryId?: string,
  ) {
    super(`Rockset ${type}: ${message}`);
    this.name = 'RocksetError';
  }
}

interface LambdaRow {
  _id: string;
  _doc: RetrievedDoc;
  score: number;
}

/**
 * Answers each retrieval with the strategy's Query Lambda, executed by name and tag through
 * `@rockset/client`; the lambda filters, scores, orders and limits. The abort signal reaches the client's
 * fetch, so a cancelled retrieval cancels its HTTP request. Results are never paginated here: a retrieval
 * asks for at most 1,000 rows, under Rockset's unpaginated result limit.
 */
export class RocksetRetriever implements Retriever {
  readonly backend = 'rockset';
  private readonly client: MainApi;
  private readonly workspace: string;
  private readonly tag: string;
  private readonly registry: StrategyRegistry;

  constructor(options: RocksetRetrieverOptions) {
    this.client = rockset(options.apiKey, options.host);
    this.workspace = options.workspace ?? 'commons';
    this.tag = options.tag ?? 'live';
    this.registry = options.registry ?? defaultStrategyRegistry();
  }

  retrieve(request: RetrievalRequest, options: RetrieveOptions = {}): Promise<RetrievalResult> {
    return retrieveWithStrategy(this.backend, this.registry, request, async (strategy, retrieval) => {
      const { lambda, parameters } = strategy.queryLambda;
      const body = { parameters: parameters(retrieval) };
      const response = await (
        request.lambdaVersion
          ? this.client.queryLambdas.executeQueryLambda(
              this.workspace,
              lambda,
              String(request.lambdaVersion),
              body,
              { signal: options.signal },
            )
          : this.client.queryLambdas.executeQueryLambdaByTag(this.workspace, lambda, this.tag, body, {
              signal: options.signal,
            })
      ).catch((error: unknown) => {
        throw toRocksetError(error, options.signal);
      });
      return ((response.results ?? []) as LambdaRow[]).map((row): Candidate => ({
        livestreamId: row._id,
        // The lambdas score in float32; the JSON number is that float.
        score: Math.fround(row.score),
        doc: row._doc,
      }));
    });
  }
}

/** The client throws the parsed error body (not an Error), or the fetch's own error. */
export function toRocksetError(error: unknown, signal?: AbortSignal): unknown {
  if (signal?.aborted) return signal.reason ?? error;
  if (error instanceof Error) return error;
  const body = (error ?? {}) as { type?: string; message?: string; query_id?: string; code?: number };
  return new RocksetError(
    body.type ?? `HTTP ${body.code ?? '?'}`,
    body.message ?? JSON.stringify(error),
    body.query_id,
  );
}

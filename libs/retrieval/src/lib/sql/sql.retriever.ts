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
import { type LambdaSelector, requestLambdaParameters, SqlLambdas } from './sql-lambdas';
import { type SqlStore } from './sql-store';

export interface SqlRetrieverOptions {
  /** Which version of each lambda runs: a manifest tag (default `live`) or a version. */
  selector?: LambdaSelector;
  lambdas?: SqlLambdas;
  registry?: StrategyRegistry;
}

interface LambdaRow {
  livestream_id: string;
  doc: RetrievedDoc;
  /** float4 arrives as text: its shortest decimal, which Math.fround turns back into the same float32. */
  score: string | number;
}

/**
 * The pull model's retrieval backend: each strategy is a Query Lambda of the same name as on Rockset,
 * executed on PostgreSQL by tag or version; the lambda filters, scores (in float32), orders and limits.
 */
export class SqlRetriever implements Retriever {
  readonly backend = 'sql';
  private readonly lambdas: SqlLambdas;
  private readonly registry: StrategyRegistry;
  private readonly selector: LambdaSelector;

  constructor(
    private readonly store: SqlStore,
    options: SqlRetrieverOptions = {},
  ) {
    this.lambdas = options.lambdas ?? new SqlLambdas();
    this.registry = options.registry ?? defaultStrategyRegistry();
    this.selector = options.selector ?? { tag: 'live' };
  }

  retrieve(request: RetrievalRequest, options: RetrieveOptions = {}): Promise<RetrievalResult> {
    return retrieveWithStrategy(this.backend, this.registry, request, async (strategy, retrieval) => {
      const { lambda, parameters } = strategy.queryLambda;
      const rows = await this.lambdas.execute<LambdaRow>(
        this.store,
        lambda,
        request.lambdaVersion ? { version: request.lambdaVersion } : this.selector,
        parameters(retrieval),
        { signal: options.signal, offered: requestLambdaParameters(request) },
      );
      return rows.map((row): Candidate => ({
        livestreamId: row.livestream_id,
        score: Math.fround(Number(row.score)),
        doc: row.doc,
      }));
    });
  }
}

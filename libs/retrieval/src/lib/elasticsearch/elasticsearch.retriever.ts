import { type Client } from '@elastic/elasticsearch';

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

export interface ElasticsearchRetrieverOptions {
  /** The alias (or index) the ElasticsearchDocSink writes. Default `crest-livestreams`. */
  index?: string;
  registry?: StrategyRegistry;
}

/**
 * Answers with one search per retrieval over the livestream doc index: the strategy's query scores, the
 * sort is `_score` then `livestreamId`, so ties come back in the order every backend uses. The abort signal
 * cancels the HTTP request.
 */
export class ElasticsearchRetriever implements Retriever {
  readonly backend = 'elasticsearch';
  private readonly index: string;
  private readonly registry: StrategyRegistry;

  constructor(
    private readonly client: Client,
    options: ElasticsearchRetrieverOptions = {},
  ) {
    this.index = options.index ?? 'crest-livestreams';
    this.registry = options.registry ?? defaultStrategyRegistry();
  }

  retrieve(request: RetrievalRequest, options: RetrieveOptions = {}): Promise<RetrievalResult> {
    return retrieveWithStrategy(this.backend, this.registry, request, async (strategy, retrieval) => {
      const { query } = strategy.elasticsearch(retrieval);
      const response = await this.client.search<RetrievedDoc>(
        {
          index: this.index,
          query,
          size: retrieval.request.limit,
          sort: [{ _score: { order: 'desc' } }, { livestreamId: { order: 'asc' } }],
          _source: { excludes: ['checkpoint'] },
          track_total_hits: false,
        },
        { signal: options.signal },
      );
      return response.hits.hits.map((hit): Candidate => ({
        livestreamId: hit._id!,
        // _score is a float that JSON prints in its shortest decimal form ("15.01"): back to the float.
        score: Math.fround(Number(hit.sort![0])),
        doc: withSellerDefaults(hit._source!),
      }));
    });
  }
}

// The sink leaves a null embedding out (dense_vector refuses null): put it back so docs read alike.
function withSellerDefaults(doc: RetrievedDoc): RetrievedDoc {
  if (doc.seller.embedding !== undefined) return doc;
  return { ...doc, seller: { score: doc.seller.score, embedding: null } };
}

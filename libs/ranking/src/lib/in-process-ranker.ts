import { type RankRequest, type RankResponse } from '../generated/crest/ranking/v1/ranking';
import { withScoredCandidates } from './candidate-columns';
import { ModelRegistry } from './models/model-registry';
import { rankWithRegistry } from './rank-request';
import { type RankCallOptions, type Ranker } from './ranker.port';

/** Ranks in the caller's process (embedded mode, tests): the same code the ranking-service runs. */
export class InProcessRanker implements Ranker {
  readonly name = 'in-process';

  constructor(private readonly registry: ModelRegistry = new ModelRegistry()) {}

  async rank(request: RankRequest, options: RankCallOptions = {}): Promise<RankResponse> {
    options.signal?.throwIfAborted();
    return withScoredCandidates(request, rankWithRegistry(this.registry, request));
  }
}

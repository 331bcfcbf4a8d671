import { credentials, Metadata, type ServiceError, status } from '@grpc/grpc-js';

import { RankingClient, type RankRequest, type RankResponse } from '../generated/crest/ranking/v1/ranking';
import { withScoredCandidates } from './candidate-columns';
import { withCandidateColumns } from './rank-request';
import { type RankCallOptions, type Ranker } from './ranker.port';

/** A failed Rank call, with the gRPC status name (`DEADLINE_EXCEEDED`, `INVALID_ARGUMENT`, `UNAVAILABLE`…). */
export class RankCallError extends Error {
  constructor(
    readonly code: string,
    details: string,
  ) {
    super(`Rank ${code}: ${details}`);
    this.name = 'RankCallError';
  }

  /** The request was wrong: falling back would hide a caller bug. */
  get isInvalidArgument(): boolean {
    return this.code === 'INVALID_ARGUMENT';
  }
}

export interface GrpcRankerOptions {
  /** `host:port` of the ranking-service. */
  address: string;
  /** Deadline of a call without its own budget. Default 50 ms. */
  defaultBudgetMs?: number;
}

/**
 * Calls the ranking-service's `Rank` over gRPC with a deadline; aborting the signal cancels the call. The
 * candidates travel as columns (a packed list per feature) and the answer comes back the same way; callers
 * see one message per candidate either way.
 */
export class GrpcRanker implements Ranker {
  readonly name = 'grpc';
  private readonly client: RankingClient;
  private readonly defaultBudgetMs: number;

  constructor(options: GrpcRankerOptions) {
    this.client = new RankingClient(options.address, credentials.createInsecure());
    this.defaultBudgetMs = options.defaultBudgetMs ?? 50;
  }

  rank(request: RankRequest, options: RankCallOptions = {}): Promise<RankResponse> {
    return new Promise((resolve, reject) => {
      options.signal?.throwIfAborted();
      const deadline = Date.now() + (options.budgetMs ?? this.defaultBudgetMs);
      const sent = withCandidateColumns(request);
      const call = this.client.rank(
        sent,
        new Metadata(),
        { deadline },
        (error: ServiceError | null, response) => {
          options.signal?.removeEventListener('abort', cancel);
          if (error)
            reject(
              new RankCallError(status[error.code] ?? String(error.code), error.details || error.message),
            );
          else resolve(withScoredCandidates(sent, response));
        },
      );
      const cancel = () => call.cancel();
      options.signal?.addEventListener('abort', cancel, { once: true });
    });
  }

  /**
   * Connects the channel now instead of on the first call, whose short budget would otherwise go to the
   * TCP and HTTP/2 handshakes (and fall back). Rejects when the service is not reachable within `timeoutMs`.
   */
  connect(timeoutMs = 5_000): Promise<void> {
    return new Promise((resolve, reject) =>
      this.client.waitForReady(Date.now() + timeoutMs, (error) =>
        error
          ? reject(new RankCallError('UNAVAILABLE', `not reachable within ${timeoutMs} ms: ${error.message}`))
          : resolve(),
      ),
    );
  }

  close(): void {
    this.client.close();
  }
}

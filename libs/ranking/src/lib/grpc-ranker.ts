import { type ClientUnaryCall, credentials, Metadata, type ServiceError, status } from '@grpc/grpc-js';
import DataLoader from 'dataloader';

import { RankingClient, type RankRequest, type RankResponse } from '../generated/crest/ranking/v1/ranking';
import { withScoredCandidates } from './candidate-columns';
import { MAX_RANK_BATCH, withCandidateColumns } from './rank-request';
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
  /**
   * Send the requests made in the same turn of the event loop (a feed's carousels, and those of every
   * other feed request ranking at that moment) as one `RankBatch` call, at most `maxBatchSize` each. The
   * transport costs the service about as much per call as ranking 200 candidates does, so batching serves
   * several times more rankings per second. Each request keeps its own budget and signal. Default off: a
   * ranking-service older than RankBatch answers it UNIMPLEMENTED.
   */
  batch?: boolean;
  /** Default and upper bound: MAX_RANK_BATCH. */
  maxBatchSize?: number;
}

/** One request waiting in a batch, with what settles it early. */
interface PendingRank {
  request: RankRequest;
  deadline: number;
  settled: boolean;
  batch?: { call?: ClientUnaryCall; pending: PendingRank[] };
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
  private readonly batches?: DataLoader<PendingRank, RankResponse>;

  constructor(options: GrpcRankerOptions) {
    this.client = new RankingClient(options.address, credentials.createInsecure());
    this.defaultBudgetMs = options.defaultBudgetMs ?? 50;
    const maxBatchSize = options.maxBatchSize ?? MAX_RANK_BATCH;
    if (!Number.isInteger(maxBatchSize) || maxBatchSize < 1 || maxBatchSize > MAX_RANK_BATCH)
      throw new RangeError(
        `maxBatchSize must be an integer from 1 to ${MAX_RANK_BATCH}, not ${maxBatchSize}`,
      );
    if (options.batch)
      // DataLoader gathers the loads of one tick and dispatches them together; no cache: every request is new.
      this.batches = new DataLoader((pending) => this.sendBatch(pending), { cache: false, maxBatchSize });
  }

  rank(request: RankRequest, options: RankCallOptions = {}): Promise<RankResponse> {
    return this.batches ? this.rankInBatch(request, options) : this.rankAlone(request, options);
  }

  private rankAlone(request: RankRequest, options: RankCallOptions): Promise<RankResponse> {
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
   * Waits in the tick's batch, but settles on its own budget and signal: a slow batch-mate or a longer
   * budget in the same call never holds it past its deadline.
   */
  private rankInBatch(request: RankRequest, options: RankCallOptions): Promise<RankResponse> {
    options.signal?.throwIfAborted();
    const budgetMs = options.budgetMs ?? this.defaultBudgetMs;
    // As grpc-js does with a deadline already passed: nothing is sent.
    if (budgetMs <= 0)
      return Promise.reject(new RankCallError('DEADLINE_EXCEEDED', 'no budget left to call'));
    const pending: PendingRank = {
      request: withCandidateColumns(request),
      deadline: Date.now() + budgetMs,
      settled: false,
    };
    return new Promise((resolve, reject) => {
      const settle = (error: Error | null, response?: RankResponse) => {
        if (pending.settled) return;
        pending.settled = true;
        clearTimeout(timer);
        options.signal?.removeEventListener('abort', cancel);
        if (error) reject(error);
        else resolve(response!);
        // Nobody is waiting for the rest of the call any more: stop the service's work on it.
        if (pending.batch?.pending.every((p) => p.settled)) pending.batch.call?.cancel();
      };
      const timer = setTimeout(
        () => settle(new RankCallError('DEADLINE_EXCEEDED', `no answer within the ${budgetMs} ms budget`)),
        budgetMs,
      );
      const cancel = () => settle(new RankCallError('CANCELLED', 'cancelled by the caller'));
      options.signal?.addEventListener('abort', cancel, { once: true });
      this.batches!.load(pending).then(
        (response) => settle(null, response),
        (error: Error) => settle(error),
      );
    });
  }

  private sendBatch(batch: readonly PendingRank[]): Promise<Array<RankResponse | Error>> {
    const pending = batch.filter((p) => !p.settled);
    if (pending.length === 0) return Promise.resolve(batch.map(() => new Error('settled before sending')));
    const group: NonNullable<PendingRank['batch']> = { pending };
    for (const p of pending) p.batch = group;
    return new Promise((resolve, reject) => {
      group.call = this.client.rankBatch(
        { requests: pending.map((p) => p.request) },
        new Metadata(),
        // The call lives as long as its most patient request; each request times out on its own before.
        { deadline: Math.max(...pending.map((p) => p.deadline)) },
        (error: ServiceError | null, response) => {
          if (error) {
            reject(
              new RankCallError(status[error.code] ?? String(error.code), error.details || error.message),
            );
            return;
          }
          const answers = new Map<PendingRank, RankResponse | Error>();
          pending.forEach((p, i) => {
            const result = response.results[i];
            answers.set(
              p,
              result?.response
                ? withScoredCandidates(p.request, result.response)
                : new RankCallError(
                    result?.error?.code || 'INTERNAL',
                    result?.error?.message ||
                      `RankBatch answered ${response.results.length} of ${pending.length}`,
                  ),
            );
          });
          resolve(batch.map((p) => answers.get(p) ?? new Error('settled before sending')));
        },
      );
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

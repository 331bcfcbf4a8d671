import {
  MAX_RANK_BATCH,
  ModelRegistry,
  type RankBatchRequest,
  type RankBatchResponse,
  type RankBatchResult,
  RankInputError,
  type RankRequest,
  RankRequestError,
  type RankResponse,
  rankWithRegistry,
  UnknownModelError,
} from '@crest/ranking';
import { type Metadata, type ServerUnaryCall, status } from '@grpc/grpc-js';
import { Controller, Get, Header } from '@nestjs/common';
import { GrpcMethod, RpcException } from '@nestjs/microservices';

import { RankingMetrics } from './ranking-metrics';

type AnyUnaryCall = ServerUnaryCall<unknown, unknown>;

/** `Rank` and `RankBatch` over gRPC, and the service's metrics over HTTP. */
@Controller()
export class RankController {
  constructor(
    private readonly registry: ModelRegistry,
    private readonly metrics: RankingMetrics,
  ) {}

  // The generated service definition keys its methods in camelCase (path /crest.ranking.v1.Ranking/Rank).
  @GrpcMethod('Ranking', 'rank')
  rank(
    request: RankRequest,
    _metadata: Metadata,
    call: ServerUnaryCall<RankRequest, RankResponse>,
  ): RankResponse {
    try {
      this.checkDeadline(call);
      const response = this.rankOne(request);
      // The caller stopped waiting while we ranked: answering would be wasted work on the wire too.
      this.checkDeadline(call);
      return response;
    } catch (error) {
      throw this.refusal(error);
    }
  }

  /**
   * Each request is ranked or refused on its own, so one bad carousel does not cost the others their
   * ranking; only a passed deadline or a malformed batch fails the whole call.
   */
  @GrpcMethod('Ranking', 'rankBatch')
  rankBatch(
    batch: RankBatchRequest,
    _metadata: Metadata,
    call: ServerUnaryCall<RankBatchRequest, RankBatchResponse>,
  ): RankBatchResponse {
    const requests = batch.requests ?? [];
    if (requests.length > MAX_RANK_BATCH)
      throw this.refusal(
        new RankRequestError([
          `a RankBatch carries at most ${MAX_RANK_BATCH} requests; this one has ${requests.length}`,
        ]),
      );
    try {
      this.metrics.batchSize.observe(requests.length);
      const results: RankBatchResult[] = [];
      for (const request of requests) {
        this.checkDeadline(call);
        try {
          results.push({ response: this.rankOne(request) });
        } catch (error) {
          const { code, message } = this.countedError(error);
          results.push({ error: { code: status[code]!, message } });
        }
      }
      this.checkDeadline(call);
      return { results };
    } catch (error) {
      throw this.refusal(error);
    }
  }

  @Get('metrics')
  @Header('content-type', 'text/plain; version=0.0.4')
  metricsText(): Promise<string> {
    return this.metrics.registry.metrics();
  }

  private rankOne(request: RankRequest): RankResponse {
    const started = performance.now();
    const response = rankWithRegistry(this.registry, request);
    this.metrics.latency.observe(
      { model: response.modelId, version: String(response.modelVersion) },
      (performance.now() - started) / 1000,
    );
    this.metrics.candidates.observe(request.columns?.livestreamIds.length ?? request.candidates?.length ?? 0);
    return response;
  }

  private refusal(error: unknown): RpcException {
    return new RpcException(this.countedError(error));
  }

  private countedError(error: unknown): { code: status; message: string } {
    const rpc = toRpcError(error);
    this.metrics.errors.inc({ code: status[rpc.code] });
    return rpc;
  }

  private checkDeadline(call: AnyUnaryCall): void {
    const deadline = call.getDeadline();
    const at = deadline instanceof Date ? deadline.getTime() : deadline;
    if (call.cancelled || (Number.isFinite(at) && Date.now() >= at)) throw new DeadlinePassed();
  }
}

class DeadlinePassed extends Error {}

function toRpcError(error: unknown): { code: status; message: string } {
  if (error instanceof DeadlinePassed) return { code: status.DEADLINE_EXCEEDED, message: 'deadline passed' };
  if (error instanceof RankRequestError || error instanceof RankInputError)
    return { code: status.INVALID_ARGUMENT, message: error.message };
  if (error instanceof UnknownModelError) return { code: status.NOT_FOUND, message: error.message };
  return { code: status.INTERNAL, message: error instanceof Error ? error.message : String(error) };
}

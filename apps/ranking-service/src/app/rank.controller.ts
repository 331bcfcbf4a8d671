import {
  ModelRegistry,
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

/** `Rank` over gRPC, and the service's metrics over HTTP. */
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
      const started = performance.now();
      const response = rankWithRegistry(this.registry, request);
      // The caller stopped waiting while we ranked: answering would be wasted work on the wire too.
      this.checkDeadline(call);
      this.metrics.latency.observe(
        { model: response.modelId, version: String(response.modelVersion) },
        (performance.now() - started) / 1000,
      );
      this.metrics.candidates.observe(
        request.columns?.livestreamIds.length ?? request.candidates?.length ?? 0,
      );
      return response;
    } catch (error) {
      const rpc = toRpcError(error);
      this.metrics.errors.inc({ code: status[rpc.code] });
      throw new RpcException({ code: rpc.code, message: rpc.message });
    }
  }

  @Get('metrics')
  @Header('content-type', 'text/plain; version=0.0.4')
  metricsText(): Promise<string> {
    return this.metrics.registry.metrics();
  }

  private checkDeadline(call: ServerUnaryCall<RankRequest, RankResponse>): void {
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

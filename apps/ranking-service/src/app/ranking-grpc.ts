import { type Http2Server, type ServerHttp2Session } from 'node:http2';

import { protobufPackage as RANKING_GRPC_PACKAGE, RankingService } from '@crest/ranking';
import { type Server } from '@grpc/grpc-js';
import { type INestApplication } from '@nestjs/common';
import { type GrpcOptions, Transport } from '@nestjs/microservices';
import { HealthImplementation } from 'grpc-health-check';

import { RankingGrpcShutdown } from './ranking-grpc-shutdown';
import { type RankingServiceConfig } from './ranking-service.config';

const RANKING_SERVICE = `${RANKING_GRPC_PACKAGE}.Ranking`;

/**
 * The HTTP/2 connection window the server grants each client. HTTP/2's default, 64 KiB, lets a client
 * send only that many request bytes before the server acknowledges them: with 40 KB Rank requests that is
 * about one call in flight per connection, and an event loop busy ranking acknowledges late, so both sides
 * idle. Measured with 32 calls in flight: ~35 % more calls/s at 40 KB (tools/bench, ranking).
 */
export const CONNECTION_WINDOW_BYTES = 8 * 1024 * 1024;

/**
 * Connects the Rank gRPC server (Nest `Transport.GRPC`) with standard gRPC health checking
 * (`grpc.health.v1.Health`: SERVING while up, NOT_SERVING once shutdown begins, so balancers drain it), and
 * a graceful shutdown that lets calls in flight finish (see RankingGrpcShutdown).
 */
export async function connectRankingGrpc(app: INestApplication, config: RankingServiceConfig): Promise<void> {
  const health = new HealthImplementation({ '': 'SERVING', [RANKING_SERVICE]: 'SERVING' });
  const options: GrpcOptions = {
    transport: Transport.GRPC,
    options: {
      package: RANKING_GRPC_PACKAGE,
      // The service definition ts-proto generated from the .proto: its compiled codec decodes a Rank
      // request about 3x faster than proto-loader's reflection, and nothing is read from disk at runtime.
      packageDefinition: { [RANKING_SERVICE]: RankingService },
      url: `${config.RANKING_GRPC_HOST}:${config.RANKING_GRPC_PORT}`,
      // Without it Nest closes the server with forceShutdown, cancelling the calls in flight.
      gracefulShutdown: true,
      onLoadPackageDefinition: (_definition: unknown, loaded: Server) => {
        server = loaded;
        health.addToServer(loaded);
      },
    },
  };
  let server: Server | undefined;
  app.connectMicroservice(options, { inheritAppConfig: true });
  await app.startAllMicroservices();
  if (!server) throw new Error('the gRPC server did not start: Nest never handed it over');
  widenConnectionWindows(server, CONNECTION_WINDOW_BYTES);
  app.get(RankingGrpcShutdown).attach(server, health, ['', RANKING_SERVICE]);
}

/**
 * grpc-js's server has no setting for the connection window (its `grpc-node.flow_control_window` is read
 * by clients only), so each new session gets it from the server's own HTTP/2 servers. Those are a private
 * field of grpc-js: if a grpc-js release renames it, this says so at start instead of quietly serving with
 * the narrow window.
 */
export function widenConnectionWindows(server: Server, bytes: number): void {
  const http2Servers = (server as unknown as { http2Servers?: unknown }).http2Servers;
  if (!(http2Servers instanceof Map) || http2Servers.size === 0)
    throw new Error(
      'cannot widen the gRPC server’s HTTP/2 connection window: grpc-js no longer exposes http2Servers',
    );
  for (const http2Server of http2Servers.keys() as Iterable<Http2Server>)
    http2Server.on('session', (session: ServerHttp2Session) =>
      // A session may be gone before its settings are acknowledged (a client that connected and left).
      session.once('localSettings', () => session.destroyed || session.setLocalWindowSize(bytes)),
    );
}

import { Counter, Histogram, Registry } from 'prom-client';

/** The ranking-service's Prometheus metrics (served at /metrics). */
export class RankingMetrics {
  readonly registry = new Registry();
  readonly latency = new Histogram({
    name: 'crest_ranking_rank_seconds',
    help: 'Time to rank one request, by model and version',
    labelNames: ['model', 'version'],
    buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.002, 0.004, 0.008, 0.016, 0.05],
    registers: [this.registry],
  });
  readonly candidates = new Histogram({
    name: 'crest_ranking_candidates',
    help: 'Candidates per Rank request',
    buckets: [10, 50, 100, 200, 500, 1000, 2000],
    registers: [this.registry],
  });
  readonly batchSize = new Histogram({
    name: 'crest_ranking_batch_requests',
    help: 'Rank requests per RankBatch call',
    buckets: [1, 2, 5, 10, 20, 50],
    registers: [this.registry],
  });
  readonly errors = new Counter({
    name: 'crest_ranking_errors_total',
    help: 'Rank requests (alone or in a batch) and RankBatch calls answered with an error, by gRPC status',
    labelNames: ['code'],
    registers: [this.registry],
  });
}

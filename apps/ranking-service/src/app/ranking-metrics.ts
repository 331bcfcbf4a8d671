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
  readonly errors = new Counter({
    name: 'crest_ranking_errors_total',
    help: 'Rank requests answered with an error, by gRPC status',
    labelNames: ['code'],
    registers: [this.registry],
  });
}

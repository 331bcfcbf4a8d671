import { Counter, Gauge, Histogram, Registry } from 'prom-client';

import { type RetrievalAttempt, type ServedReason } from '../retrieval-request';

/** Circuit states as the `crest_retrieval_circuit_state` gauge reports them. */
export const CIRCUIT_STATE_VALUE = { closed: 0, 'half-open': 1, open: 2, isolated: 3 } as const;
export type CircuitStatus = keyof typeof CIRCUIT_STATE_VALUE;

/**
 * Retrieval's Prometheus metrics, per backend (latency, errors, timeouts, circuit state) and per call site
 * (fallbacks, hedges, who served). One instance per process, shared by every guarded backend and composite;
 * pass the registry the app serves at /metrics.
 */
export class RetrievalMetrics {
  private readonly latency: Histogram<'backend' | 'outcome'>;
  private readonly errors: Counter<'backend'>;
  private readonly timeouts: Counter<'backend'>;
  private readonly circuitState: Gauge<'backend'>;
  private readonly fallbacks: Counter<'call_site' | 'from' | 'to' | 'reason'>;
  private readonly hedges: Counter<'call_site' | 'backend' | 'result'>;
  private readonly served: Counter<'call_site' | 'backend' | 'reason'>;
  private readonly unavailable: Counter<'call_site'>;

  constructor(readonly registry: Registry = new Registry()) {
    const registers = [registry];
    this.latency = new Histogram({
      name: 'crest_retrieval_backend_seconds',
      help: 'Latency of one retrieval call to a backend, by outcome (ok, error, timeout, circuit-open, cancelled)',
      labelNames: ['backend', 'outcome'],
      buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.015, 0.025, 0.05, 0.1, 0.25, 1],
      registers,
    });
    this.errors = new Counter({
      name: 'crest_retrieval_backend_errors_total',
      help: 'Retrieval calls a backend failed (not timeouts, not refused by an open circuit)',
      labelNames: ['backend'],
      registers,
    });
    this.timeouts = new Counter({
      name: 'crest_retrieval_backend_timeouts_total',
      help: 'Retrieval calls cancelled because they outlived their timeout',
      labelNames: ['backend'],
      registers,
    });
    this.circuitState = new Gauge({
      name: 'crest_retrieval_circuit_state',
      help: 'Circuit breaker state per backend: 0 closed, 1 half-open, 2 open, 3 isolated (forced off)',
      labelNames: ['backend'],
      registers,
    });
    this.fallbacks = new Counter({
      name: 'crest_retrieval_fallbacks_total',
      help: 'Retrievals answered by the fallback backend, by why the primary did not answer',
      labelNames: ['call_site', 'from', 'to', 'reason'],
      registers,
    });
    this.hedges = new Counter({
      name: 'crest_retrieval_hedges_total',
      help: 'Hedged second requests sent after the latency threshold, by whether the hedge answered first',
      labelNames: ['call_site', 'backend', 'result'],
      registers,
    });
    this.served = new Counter({
      name: 'crest_retrieval_served_total',
      help: 'Retrievals answered, by call site, backend that answered and why it did',
      labelNames: ['call_site', 'backend', 'reason'],
      registers,
    });
    this.unavailable = new Counter({
      name: 'crest_retrieval_unavailable_total',
      help: 'Retrievals no backend answered within the budget',
      labelNames: ['call_site'],
      registers,
    });
  }

  attempt(attempt: RetrievalAttempt): void {
    this.latency.observe({ backend: attempt.backend, outcome: attempt.outcome }, attempt.ms / 1000);
    if (attempt.outcome === 'error') this.errors.inc({ backend: attempt.backend });
    else if (attempt.outcome === 'timeout') this.timeouts.inc({ backend: attempt.backend });
  }

  circuit(backend: string, status: CircuitStatus): void {
    this.circuitState.set({ backend }, CIRCUIT_STATE_VALUE[status]);
  }

  servedBy(callSite: string, backend: string, reason: ServedReason, primaryBackend: string): void {
    this.served.inc({ call_site: callSite, backend, reason });
    if (reason.startsWith('fallback-'))
      this.fallbacks.inc({ call_site: callSite, from: primaryBackend, to: backend, reason });
  }

  hedged(callSite: string, backend: string, result: 'won' | 'lost'): void {
    this.hedges.inc({ call_site: callSite, backend, result });
  }

  noAnswer(callSite: string): void {
    this.unavailable.inc({ call_site: callSite });
  }
}

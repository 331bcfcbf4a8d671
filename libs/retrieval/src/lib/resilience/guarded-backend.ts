import {
  BrokenCircuitError,
  circuitBreaker,
  type CircuitBreakerPolicy,
  CircuitState,
  ConsecutiveBreaker,
  handleWhen,
  TaskCancelledError,
  timeout,
  TimeoutStrategy,
} from 'cockatiel';

import {
  type AttemptOutcome,
  type RetrievalAttempt,
  type RetrievalRequest,
  RetrievalRequestError,
  type RetrievalResult,
  type Retriever,
} from '../retrieval-request';
import { type CircuitStatus, RetrievalMetrics } from './retrieval-metrics';

export interface GuardedBackendOptions {
  /** Consecutive failed calls (errors and timeouts) that open the circuit. Default 5. */
  consecutiveFailures?: number;
  /** How long an open circuit refuses calls before it lets one trial call through. Default 5000 ms. */
  halfOpenAfterMs?: number;
  metrics?: RetrievalMetrics;
}

/** One call's outcome: the result when the backend answered, the error otherwise. */
export interface AttemptReport {
  attempt: RetrievalAttempt;
  result?: RetrievalResult;
  error?: unknown;
}

// Our own cancellation (a hedge won, the caller gave up) says nothing about the backend's health: the
// breaker does not count it, and neither does it count a bad request.
class CancelledByCaller extends Error {
  constructor(readonly original: unknown) {
    super('cancelled by the caller');
  }
}

/**
 * A retrieval backend behind its circuit breaker and per-call timeout (cockatiel), reporting each call to the
 * metrics. One per backend per process, shared by every call site that uses the backend, so the circuit
 * reflects the backend's health, not one carousel's. A timed-out call is aborted through its signal: the
 * backend's HTTP request is cancelled, not left running.
 */
export class GuardedBackend {
  readonly backend: string;
  private readonly breaker: CircuitBreakerPolicy;
  private readonly metrics: RetrievalMetrics;
  private isolation: { dispose(): void } | null = null;

  constructor(
    readonly retriever: Retriever,
    options: GuardedBackendOptions = {},
  ) {
    this.backend = retriever.backend;
    this.metrics = options.metrics ?? new RetrievalMetrics();
    this.breaker = circuitBreaker(
      handleWhen(
        (error) => !(error instanceof CancelledByCaller) && !(error instanceof RetrievalRequestError),
      ),
      {
        halfOpenAfter: options.halfOpenAfterMs ?? 5_000,
        breaker: new ConsecutiveBreaker(options.consecutiveFailures ?? 5),
      },
    );
    this.breaker.onStateChange(() => this.metrics.circuit(this.backend, this.circuit));
    this.metrics.circuit(this.backend, 'closed');
  }

  get circuit(): CircuitStatus {
    if (this.isolation) return 'isolated';
    switch (this.breaker.state) {
      case CircuitState.Closed:
        return 'closed';
      case CircuitState.HalfOpen:
        return 'half-open';
      default:
        return 'open';
    }
  }

  /** Holds the circuit open (an operator's kill switch) until `release`. */
  isolate(): void {
    if (!this.isolation) this.isolation = this.breaker.isolate();
    this.metrics.circuit(this.backend, 'isolated');
  }

  release(): void {
    this.isolation?.dispose();
    this.isolation = null;
    this.metrics.circuit(this.backend, this.circuit);
  }

  /**
   * One call within `timeoutMs`. Resolves with a report in every case but one: a RetrievalRequestError (the
   * request is wrong, no backend will answer it) rejects. Aborting `signal` cancels the call.
   */
  async attempt(
    request: RetrievalRequest,
    role: RetrievalAttempt['role'],
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<AttemptReport> {
    const started = performance.now();
    const report = (outcome: AttemptOutcome, error?: unknown): RetrievalAttempt => {
      const attempt: RetrievalAttempt = {
        backend: this.backend,
        role,
        outcome,
        ms: performance.now() - started,
      };
      if (error !== undefined) attempt.error = describeError(error);
      this.metrics.attempt(attempt);
      return attempt;
    };
    try {
      const result = await this.breaker.execute(async () => {
        try {
          // abortOnReturn off: aborting after every return built a DOMException per call (2 % of the
          // embedded feed's CPU), and with the aggressive strategy nothing is left running by then: a
          // timed-out or caller-cancelled call was already aborted, any other has settled.
          return await timeout(Math.max(1, timeoutMs), {
            strategy: TimeoutStrategy.Aggressive,
            abortOnReturn: false,
          }).execute(
            ({ signal: callSignal }) => this.retriever.retrieve(request, { signal: callSignal }),
            signal,
          );
        } catch (error) {
          throw signal?.aborted ? new CancelledByCaller(error) : error;
        }
      });
      return { attempt: report('ok'), result };
    } catch (error) {
      if (error instanceof RetrievalRequestError) throw error;
      if (error instanceof CancelledByCaller) return { attempt: report('cancelled'), error: error.original };
      if (error instanceof BrokenCircuitError) return { attempt: report('circuit-open', error), error };
      if (error instanceof TaskCancelledError)
        return { attempt: report('timeout', `no answer within ${timeoutMs.toFixed(1)} ms`), error };
      return { attempt: report('error', error), error };
    }
  }
}

function describeError(error: unknown): string {
  if (typeof error === 'string') return error;
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}

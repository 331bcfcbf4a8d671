import { setTimeout as sleep } from 'node:timers/promises';

import {
  type RetrievalAttempt,
  type RetrievalRequest,
  type RetrievalResult,
  type RetrieveOptions,
  type Retriever,
  type ServedReason,
} from '../retrieval-request';
import { type AttemptReport, type GuardedBackend } from './guarded-backend';
import { RetrievalMetrics } from './retrieval-metrics';

export interface CompositeRetrieverOptions {
  /** Names the call site in metrics, e.g. `home/trending`. */
  callSite: string;
  primary: GuardedBackend;
  /** Asked when the primary fails, times out or has its circuit open. */
  fallback?: GuardedBackend;
  /** The whole retrieval's time budget, fallback included. Default 30 ms. */
  budgetMs?: number;
  /** How long the primary may take before the fallback is asked. Default half the budget. */
  primaryTimeoutMs?: number;
  /**
   * When the primary has not answered after `afterMs`, send the same request to `backend` (default: the
   * fallback) and take whichever answers first; the other is cancelled.
   */
  hedge?: { afterMs: number; backend?: GuardedBackend };
  metrics?: RetrievalMetrics;
}

/** No backend answered within the budget; `attempts` says what each did. */
export class RetrievalUnavailableError extends Error {
  constructor(
    readonly callSite: string,
    readonly attempts: RetrievalAttempt[],
  ) {
    super(
      `No retrieval backend answered for ${callSite}: ${attempts
        .map((a) => `${a.role} ${a.backend} ${a.outcome}${a.error ? ` (${a.error})` : ''}`)
        .join('; ')}`,
    );
    this.name = 'RetrievalUnavailableError';
  }
}

/**
 * A call site's retriever: the primary within its timeout, an optional hedge after a latency threshold, the
 * fallback with what is left of the budget. The result names the backend that answered, why, and every
 * attempt. Work that lost (the slower of a hedged pair, a timed-out primary) is aborted, not left running.
 * A bad request rejects at once with RetrievalRequestError: no backend would answer it.
 */
export class CompositeRetriever implements Retriever {
  readonly backend: string;
  private readonly budgetMs: number;
  private readonly primaryTimeoutMs: number;
  private readonly metrics: RetrievalMetrics;

  constructor(private readonly options: CompositeRetrieverOptions) {
    this.budgetMs = options.budgetMs ?? 30;
    this.primaryTimeoutMs = Math.min(options.primaryTimeoutMs ?? this.budgetMs / 2, this.budgetMs);
    if (!(this.budgetMs > 0)) throw new Error(`${options.callSite}: budgetMs must be > 0`);
    if (options.hedge && !(options.hedge.backend ?? options.fallback))
      throw new Error(`${options.callSite}: a hedge needs a backend (or a fallback) to send it to`);
    this.metrics = options.metrics ?? new RetrievalMetrics();
    this.backend = [options.primary.backend, options.fallback?.backend].filter(Boolean).join('+');
  }

  async retrieve(request: RetrievalRequest, options: RetrieveOptions = {}): Promise<RetrievalResult> {
    const started = performance.now();
    const remaining = () => this.budgetMs - (performance.now() - started);
    const caller = options.signal;
    caller?.throwIfAborted();
    const attempts: RetrievalAttempt[] = [];
    const { primary, fallback, hedge, callSite } = this.options;
    const hedgeBackend = hedge ? (hedge.backend ?? fallback!) : undefined;

    const primaryCall = new AbortController();
    const unlinkPrimary = link(caller, primaryCall);
    const primaryRun = primary.attempt(request, 'primary', this.primaryTimeoutMs, primaryCall.signal);
    let answer: { report: AttemptReport; role: 'primary' | 'hedge' } | undefined;
    let primaryReport: AttemptReport | undefined;
    let hedgeTried = false;

    try {
      if (hedgeBackend && hedge!.afterMs < this.primaryTimeoutMs) {
        const timer = new AbortController();
        const early = await Promise.race([
          primaryRun,
          sleep(hedge!.afterMs, null, { signal: timer.signal }).catch(() => null),
        ]).finally(() => timer.abort());
        if (early) {
          primaryReport = early;
        } else {
          hedgeTried = true;
          const hedgeCall = new AbortController();
          const unlinkHedge = link(caller, hedgeCall);
          const hedgeRun = hedgeBackend.attempt(request, 'hedge', remaining(), hedgeCall.signal);
          const first = await firstAnswer([primaryRun, hedgeRun]);
          // The loser is aborted; its report (outcome `cancelled`) settles right after.
          if (first === 0) hedgeCall.abort();
          if (first === 1) primaryCall.abort();
          const [primaryDone, hedgeDone] = await Promise.all([primaryRun, hedgeRun]);
          unlinkHedge();
          primaryReport = primaryDone;
          attempts.push(primaryDone.attempt, hedgeDone.attempt);
          if (first === 0) answer = { report: primaryDone, role: 'primary' };
          if (first === 1) answer = { report: hedgeDone, role: 'hedge' };
          this.metrics.hedged(callSite, hedgeBackend.backend, first === 1 ? 'won' : 'lost');
        }
      } else {
        primaryReport = await primaryRun;
      }
      if (!hedgeTried) {
        attempts.push(primaryReport!.attempt);
        if (primaryReport!.result) answer = { report: primaryReport!, role: 'primary' };
      }
    } finally {
      unlinkPrimary();
    }
    caller?.throwIfAborted();

    let reason: ServedReason;
    if (answer && answer.role === 'primary') {
      reason = 'primary';
    } else {
      const primaryOutcome = primaryReport!.attempt.outcome;
      const fallbackReason: ServedReason =
        primaryOutcome === 'timeout'
          ? 'fallback-timeout'
          : primaryOutcome === 'circuit-open'
            ? 'fallback-circuit-open'
            : 'fallback-error';
      if (answer) {
        // The hedge answered: first outright, or after the primary failed.
        reason = primaryOutcome === 'cancelled' ? 'hedge' : fallbackReason;
      } else if (fallback && !(hedgeTried && hedgeBackend === fallback) && remaining() > 0) {
        const report = await fallback.attempt(request, 'fallback', remaining(), caller);
        attempts.push(report.attempt);
        caller?.throwIfAborted();
        if (report.result) answer = { report, role: 'primary' };
        reason = fallbackReason;
      } else {
        reason = fallbackReason;
      }
    }

    if (!answer) {
      this.metrics.noAnswer(callSite);
      throw new RetrievalUnavailableError(callSite, attempts);
    }
    const result = answer.report.result!;
    this.metrics.servedBy(callSite, result.backend, reason, primary.backend);
    return {
      ...result,
      reason,
      timings: { totalMs: performance.now() - started, attempts },
    };
  }
}

/** Index of the first run that answered; -1 when none did. */
async function firstAnswer(runs: Promise<AttemptReport>[]): Promise<number> {
  return new Promise((resolve) => {
    let settled = 0;
    runs.forEach(
      (run, i) =>
        void run.then(
          (report) => {
            settled++;
            if (report.result) resolve(i);
            else if (settled === runs.length) resolve(-1);
          },
          () => {
            settled++;
            if (settled === runs.length) resolve(-1);
          },
        ),
    );
  });
}

/** Aborts `target` when `source` aborts; returns the unlink. */
function link(source: AbortSignal | undefined, target: AbortController): () => void {
  if (!source) return () => undefined;
  if (source.aborted) {
    target.abort(source.reason);
    return () => undefined;
  }
  const onAbort = () => target.abort(source.reason);
  source.addEventListener('abort', onAbort, { once: true });
  return () => source.removeEventListener('abort', onAbort);
}

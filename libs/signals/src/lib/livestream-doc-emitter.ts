import { type DocChanges, type SignalPipeline } from './signal-pipeline';
import { type LivestreamDocSink } from './sinks/livestream-doc-sink.port';
import { type UserSignalsShare } from './user-signals';

export interface LivestreamDocEmitterOptions {
  /** A changed stream's doc goes out at most once per interval. Default 250 ms. */
  emitIntervalMs?: number;
  /** Every stream is re-emitted this often, so windows that moved with time alone reach the sinks. Default 5 s. */
  refreshIntervalMs?: number;
  /** Called when a sink write failed; the changes are retried on the next interval. */
  onError?: (error: unknown, sink: string) => void;
  /** Called after each successful emission, with what went out and how long the sinks took. */
  onEmitted?: (changes: DocChanges, sinkMs: number) => void;
}

interface Waiter {
  resolve: () => void;
}

/**
 * Moves docs from the pipeline to the sinks on a fixed interval (never a stream processor's 30 s cache):
 * each tick takes the streams changed since the last one and writes their docs to every sink. Callers that
 * must not acknowledge input before the sinks have it wait on `afterNextEmission()`. A failed write is
 * retried on the next tick with those streams still marked changed, and its waiters wait for that one.
 */
export class LivestreamDocEmitter {
  private readonly emitIntervalMs: number;
  private readonly refreshIntervalMs: number;
  private timer?: NodeJS.Timeout;
  private lastRefresh = 0;
  private waiting: Waiter[] = [];
  /** Deletions whose write failed: the pipeline has forgotten those streams, so the emitter keeps them. */
  private retryDeletions: string[] = [];
  /** User signal shares whose write failed: taken from the store, so the emitter keeps them. */
  private retryUserSignals: UserSignalsShare[] = [];
  private running: Promise<void> = Promise.resolve();
  private emitting = false;

  constructor(
    private readonly pipeline: SignalPipeline,
    private readonly sinks: readonly LivestreamDocSink[],
    private readonly options: LivestreamDocEmitterOptions = {},
  ) {
    this.emitIntervalMs = options.emitIntervalMs ?? 250;
    this.refreshIntervalMs = options.refreshIntervalMs ?? 5_000;
    if (!(this.emitIntervalMs > 0))
      throw new Error(`emitIntervalMs must be positive, got ${this.emitIntervalMs}`);
  }

  start(): void {
    this.timer ??= setInterval(() => void this.emit(), this.emitIntervalMs);
  }

  /** Stops the timer and writes what is still pending. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
    await this.emit();
  }

  /** Resolves once an emission that started after this call has reached every sink. */
  afterNextEmission(): Promise<void> {
    return new Promise((resolve) => this.waiting.push({ resolve }));
  }

  /** Runs one emission now (serialized with the timer's). */
  emit(): Promise<void> {
    if (this.emitting) return this.running;
    this.emitting = true;
    this.running = this.emitOnce().finally(() => (this.emitting = false));
    return this.running;
  }

  private async emitOnce(): Promise<void> {
    const waiters = this.waiting;
    this.waiting = [];
    const now = Date.now();
    if (now - this.lastRefresh >= this.refreshIntervalMs) {
      this.lastRefresh = now;
      this.pipeline.touchAll();
    }
    const taken = this.pipeline.takeChanges();
    const changes: DocChanges = {
      upserts: taken.upserts,
      deletions: [...this.retryDeletions, ...taken.deletions],
      userSignals: newestShares([...this.retryUserSignals, ...taken.userSignals]),
    };
    this.retryDeletions = [];
    this.retryUserSignals = [];
    const started = performance.now();
    const results = await Promise.allSettled(this.sinks.map((sink) => sink.write(changes)));
    const failed = results.flatMap((r, i) =>
      r.status === 'rejected' ? [{ error: r.reason, sink: this.sinks[i]!.name }] : [],
    );
    if (failed.length > 0) {
      failed.forEach(({ error, sink }) => this.options.onError?.(error, sink));
      this.pipeline.markChanged(changes.upserts.map((d) => d.livestreamId));
      this.retryDeletions = changes.deletions;
      this.retryUserSignals = changes.userSignals;
      this.waiting.unshift(...waiters);
      return;
    }
    this.options.onEmitted?.(changes, performance.now() - started);
    waiters.forEach((w) => w.resolve());
  }
}

/** A share retried and changed again goes out once, in its newest form. */
function newestShares(shares: UserSignalsShare[]): UserSignalsShare[] {
  return [...new Map(shares.map((share) => [`${share.userId}|${share.source}`, share])).values()];
}

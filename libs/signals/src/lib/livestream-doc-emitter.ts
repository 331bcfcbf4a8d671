import { type DocChanges, type SignalPipeline } from './signal-pipeline';
import { type LivestreamDocSink } from './sinks/livestream-doc-sink.port';
import { type UserSignalsShare } from './user-signals';

export interface LivestreamDocEmitterOptions {
  /** A changed stream's doc goes out at most once per interval. Default 250 ms. */
  emitIntervalMs?: number;
  /** Every stream is re-emitted this often, so windows that moved with time alone reach the sinks. Default 5 s. */
  refreshIntervalMs?: number;
  /**
   * Changed user signal shares go out this often, apart from the docs (they feed personalization, not
   * freshness; at high rates nearly every user changes every tick). Default 1 s.
   */
  userSignalsIntervalMs?: number;
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
  private lastUserSignals = 0;
  private userSignalsWrite: Promise<void> = Promise.resolve();
  private readonly userSignalsIntervalMs: number;
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
    this.userSignalsIntervalMs = options.userSignalsIntervalMs ?? 1_000;
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
    this.lastUserSignals = 0;
    await this.emit();
    await this.userSignalsWrite;
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
    const withUserSignals = now - this.lastUserSignals >= this.userSignalsIntervalMs;
    if (withUserSignals) this.lastUserSignals = now;
    const taken = this.pipeline.takeChanges(withUserSignals);
    if (withUserSignals) {
      const shares = newestShares([...this.retryUserSignals, ...taken.userSignals]);
      this.retryUserSignals = [];
      if (shares.length > 0) this.writeUserSignals(shares);
    }
    const changes: DocChanges = {
      upserts: taken.upserts,
      deletions: [...this.retryDeletions, ...taken.deletions],
      userSignals: [],
    };
    this.retryDeletions = [];
    const started = performance.now();
    const failed = await this.writeToSinks(changes);
    if (failed) {
      this.pipeline.markChanged(changes.upserts.map((d) => d.livestreamId));
      this.retryDeletions = changes.deletions;
      this.waiting.unshift(...waiters);
      return;
    }
    this.options.onEmitted?.(changes, performance.now() - started);
    waiters.forEach((w) => w.resolve());
  }

  /**
   * User signal shares go out on their own, one write at a time, and acknowledgements do not wait for them:
   * a share not yet written when its events are committed is rebuilt from the replayed window after a
   * crash (its offsets say which events it holds), so holding docs back for it would buy nothing.
   */
  private writeUserSignals(userSignals: UserSignalsShare[]): void {
    this.userSignalsWrite = this.userSignalsWrite.then(async () => {
      if (await this.writeToSinks({ upserts: [], deletions: [], userSignals })) {
        this.retryUserSignals = newestShares([...userSignals, ...this.retryUserSignals]);
      }
    });
  }

  /** Writes to every sink; true if one failed (reported to onError). */
  private async writeToSinks(changes: DocChanges): Promise<boolean> {
    const results = await Promise.allSettled(this.sinks.map((sink) => sink.write(changes)));
    const failed = results.flatMap((r, i) =>
      r.status === 'rejected' ? [{ error: r.reason, sink: this.sinks[i]!.name }] : [],
    );
    failed.forEach(({ error, sink }) => this.options.onError?.(error, sink));
    return failed.length > 0;
  }
}

/** A share retried and changed again goes out once, in its newest form. */
function newestShares(shares: UserSignalsShare[]): UserSignalsShare[] {
  return [...new Map(shares.map((share) => [`${share.userId}|${share.source}`, share])).values()];
}

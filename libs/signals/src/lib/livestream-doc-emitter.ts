import { type LivestreamDoc } from './livestream-doc';
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
  /** Called after each emission tick, with the changes it took from the pipeline. */
  onEmitted?: (changes: DocChanges) => void;
  /** Called after each successful doc write of one sink (not for ticks with nothing to write), with its time. */
  onSinkWritten?: (sink: string, ms: number) => void;
}

interface Waiter {
  /** The emission tick whose changes every sink must have written. */
  tick: number;
  resolve: () => void;
}

/**
 * Moves docs from the pipeline to the sinks on a fixed interval (never a stream processor's 30 s cache):
 * each tick takes the streams changed since the last one and hands their docs to every sink's lane. Lanes
 * write independently, so a slow or unavailable sink (Elasticsearch indexing, PostgreSQL under load) does
 * not hold the state topic, and with it the memory path's freshness, behind it: a busy lane gathers the
 * ticks that arrive meanwhile, newest doc per stream, into its next write. Callers that must not
 * acknowledge input before the sinks have it wait on `afterNextEmission()`, which waits for every lane. A
 * failed write is retried on the next tick, and its waiters wait for that one.
 */
export class LivestreamDocEmitter {
  private readonly emitIntervalMs: number;
  private readonly refreshIntervalMs: number;
  private timer?: NodeJS.Timeout;
  private lastRefresh = 0;
  private lastUserSignals = 0;
  private userSignalsWrite: Promise<void> = Promise.resolve();
  private readonly userSignalsIntervalMs: number;
  private readonly lanes: SinkLane[];
  private tick = 0;
  private waiting: Waiter[] = [];
  /** User signal shares whose write failed: taken from the store, so the emitter keeps them. */
  private retryUserSignals: UserSignalsShare[] = [];

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
    this.lanes = sinks.map(
      (sink) =>
        new SinkLane(sink, (id) => pipeline.holds(id), {
          onError: (error) => options.onError?.(error, sink.name),
          onWritten: (ms) => options.onSinkWritten?.(sink.name, ms),
          onCaughtUp: () => this.releaseWaiters(),
        }),
    );
  }

  start(): void {
    this.timer ??= setInterval(() => void this.emit(), this.emitIntervalMs);
  }

  /** Stops the timer and writes what is still pending. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    this.lastUserSignals = 0;
    await this.emit();
    await this.userSignalsWrite;
  }

  /** Resolves once the changes of an emission that started after this call have reached every sink. */
  afterNextEmission(): Promise<void> {
    return new Promise((resolve) => this.waiting.push({ tick: this.tick + 1, resolve }));
  }

  /**
   * Runs one emission tick now: hands the changes to every lane. Resolves when every lane has written
   * them (or failed to, to retry on the next tick).
   */
  emit(): Promise<void> {
    this.tick++;
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
    const changes: DocChanges = { upserts: taken.upserts, deletions: taken.deletions, userSignals: [] };
    this.options.onEmitted?.(changes);
    const written = Promise.all(this.lanes.map((lane) => lane.offer(changes, this.tick)));
    this.releaseWaiters();
    return written.then(() => undefined);
  }

  private releaseWaiters(): void {
    const everywhere = Math.min(...this.lanes.map((lane) => lane.writtenTick));
    const due = this.waiting.filter((w) => w.tick <= everywhere);
    if (due.length === 0) return;
    this.waiting = this.waiting.filter((w) => w.tick > everywhere);
    due.forEach((w) => w.resolve());
  }

  /**
   * User signal shares go out on their own, one write at a time, and acknowledgements do not wait for them:
   * a share not yet written when its events are committed is rebuilt from the replayed window after a
   * crash (its offsets say which events it holds), so holding docs back for it would buy nothing.
   */
  private writeUserSignals(userSignals: UserSignalsShare[]): void {
    this.userSignalsWrite = this.userSignalsWrite.then(async () => {
      const changes: DocChanges = { upserts: [], deletions: [], userSignals };
      const results = await Promise.allSettled(this.sinks.map((sink) => sink.write(changes)));
      const failed = results.flatMap((r, i) =>
        r.status === 'rejected' ? [{ error: r.reason, sink: this.sinks[i]!.name }] : [],
      );
      failed.forEach(({ error, sink }) => this.options.onError?.(error, sink));
      if (failed.length > 0) this.retryUserSignals = newestShares([...userSignals, ...this.retryUserSignals]);
    });
  }
}

/**
 * One sink's queue of doc changes: what it has been handed and not yet written, one entry per stream
 * (the newest doc, or its deletion), and the last tick it has written everything of.
 */
class SinkLane {
  /** A doc to upsert, or null for a deletion. */
  private pending = new Map<string, LivestreamDoc | null>();
  private pendingTick = 0;
  writtenTick = 0;
  private writing?: Promise<void>;

  constructor(
    private readonly sink: LivestreamDocSink,
    /** Whether a stream's doc may still go out from here (see SignalPipeline.holds). */
    private readonly holds: (livestreamId: string) => boolean,
    private readonly events: {
      onError: (error: unknown) => void;
      /** A write went out, in `ms`. */
      onWritten: (ms: number) => void;
      /** `writtenTick` moved on. */
      onCaughtUp: () => void;
    },
  ) {}

  /** Adds a tick's changes; resolves once the lane has written them, or failed to. */
  offer(changes: DocChanges, tick: number): Promise<void> {
    for (const doc of changes.upserts) this.pending.set(doc.livestreamId, doc);
    for (const id of changes.deletions) this.pending.set(id, null);
    this.pendingTick = tick;
    this.writing ??= this.drain().finally(() => (this.writing = undefined));
    return this.writing;
  }

  /** Writes until nothing is pending; stops at a failure, which the next offer retries. */
  private async drain(): Promise<void> {
    while (this.writtenTick < this.pendingTick) {
      const tick = this.pendingTick;
      const batch = this.pending;
      this.pending = new Map();
      const changes: DocChanges = { upserts: [], deletions: [], userSignals: [] };
      for (const [id, doc] of batch) {
        if (doc === null) changes.deletions.push(id);
        // Lost to another member since it was taken: that member writes the stream now.
        else if (this.holds(id)) changes.upserts.push(doc);
      }
      if (changes.upserts.length > 0 || changes.deletions.length > 0) {
        const started = performance.now();
        try {
          await this.sink.write(changes);
        } catch (error) {
          // What was handed over meanwhile is newer than the failed batch; keep that.
          for (const [id, doc] of batch) if (!this.pending.has(id)) this.pending.set(id, doc);
          this.events.onError(error);
          return;
        }
        this.events.onWritten(performance.now() - started);
      }
      this.writtenTick = tick;
      this.events.onCaughtUp();
    }
  }
}

/** A share retried and changed again goes out once, in its newest form. */
function newestShares(shares: UserSignalsShare[]): UserSignalsShare[] {
  return [...new Map(shares.map((share) => [`${share.userId}|${share.source}`, share])).values()];
}

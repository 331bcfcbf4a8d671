import { type MarketplaceEvent } from '@crest/event-schemas';
import { LRUCache } from 'lru-cache';

import {
  hotnessOf,
  type LivestreamDoc,
  momentumOf,
  type SellerFeatures,
  type WindowValues,
} from './livestream-doc';
import { type EventOrigin, LivestreamStateReducer } from './livestream-state';
import {
  DEFAULT_SIGNALS,
  validateSignalDefinitions,
  type WindowSignalDefinition,
} from './signal-definitions';
import {
  type UserSignals,
  type UserSignalsOptions,
  type UserSignalsShare,
  UserSignalsStore,
} from './user-signals';
import { DistinctSeries, LastValueSeries, type SignalSeries, SumSeries } from './windows/signal-series';
import { COARSE_BUCKET_MS, FINE_BUCKET_MS, WINDOW_BUCKETS, WINDOWS } from './windows/window.constants';

export interface SignalPipelineOptions {
  signals?: readonly WindowSignalDefinition[];
  /** How far behind the watermark an event may be and still count. Default 30 s. */
  allowedLatenessMs?: number;
  /** Event ids remembered for de-duplication. Default 1,000,000 (about 100 MB at most). */
  dedupeCapacity?: number;
  /** Distinct counts stay exact up to this many values, then use HyperLogLog. Default 1,000. */
  exactDistinctLimit?: number;
  /** How long an ended stream's doc stays before it is deleted from the sinks. Default 5 minutes. */
  endedGraceMs?: number;
  userSignals?: UserSignalsOptions;
}

export interface IngestResult {
  applied: number;
  duplicates: number;
  late: number;
}

export interface PipelineCounters extends IngestResult {
  /** Events that are not about a stream (follows); they feed user signals, not livestream docs. */
  notStreamScoped: number;
  /**
   * Events delivered again that the stream's restored doc already held: the previous owner wrote them to
   * the sinks and died (or lost the partition) before committing. Counted once per event, in the state.
   */
  redelivered: number;
}

/** What changed since the last `takeChanges`: docs to upsert, stream ids to delete, user signal shares. */
export interface DocChanges {
  upserts: LivestreamDoc[];
  deletions: string[];
  userSignals: UserSignalsShare[];
}

const ENGAGEMENT_SIGNALS = ['bids', 'chats', 'reactions', 'giveawayEntries', 'purchases'];
const NO_SELLER: SellerFeatures = { score: null, embedding: null };

interface StreamEntry {
  reducer: LivestreamStateReducer;
  series: Map<string, SignalSeries>;
  lastEventAt: number;
}

/**
 * The push model: folds validated events into per-stream latest state and event-time windows, and builds
 * livestream docs. Event time decides: the watermark is the newest `occurredAt` seen; an event older than
 * the watermark minus the allowed lateness is dropped (and counted), and an event id seen before counts
 * once. Pure and single-threaded: the caller decides when to read changes (see LivestreamDocEmitter).
 */
export class SignalPipeline {
  private readonly signals: readonly WindowSignalDefinition[];
  private readonly signalsByType = new Map<string, WindowSignalDefinition[]>();
  private readonly streams = new Map<string, StreamEntry>();
  private readonly changed = new Set<string>();
  private readonly sellerFeatures = new Map<string, SellerFeatures>();
  private readonly seen: LRUCache<string, true>;
  private readonly allowedLatenessMs: number;
  private readonly endedGraceMs: number;
  private readonly exactDistinctLimit: number | undefined;
  private watermarkMs = Number.NEGATIVE_INFINITY;
  /** Streams restored or replayed by a rebuild still running: not emitted until it finishes. */
  private readonly rebuilding = new Set<string>();
  /**
   * Event ids seen by the running rebuild. A replay does not consult the long-lived dedupe cache: it may
   * hold ids of a partition this instance owned before, lost and now rebuilds from scratch.
   */
  private replaySeen?: Set<string>;
  private readonly users: UserSignalsStore;
  private readonly streamContext = (id: string) => {
    const state = this.streams.get(id)?.reducer.state;
    return state && { sellerId: state.sellerId, categoryIds: state.categoryIds };
  };
  readonly counters: PipelineCounters = {
    applied: 0,
    duplicates: 0,
    late: 0,
    notStreamScoped: 0,
    redelivered: 0,
  };

  constructor(options: SignalPipelineOptions = {}) {
    this.signals = options.signals ?? DEFAULT_SIGNALS;
    validateSignalDefinitions(this.signals);
    for (const signal of this.signals) {
      for (const type of signal.eventTypes)
        this.signalsByType.set(type, [...(this.signalsByType.get(type) ?? []), signal]);
    }
    this.allowedLatenessMs = options.allowedLatenessMs ?? 30_000;
    this.endedGraceMs = options.endedGraceMs ?? 5 * 60_000;
    this.exactDistinctLimit = options.exactDistinctLimit;
    this.seen = new LRUCache({ max: options.dedupeCapacity ?? 1_000_000 });
    this.users = new UserSignalsStore(options.userSignals, this.streamContext);
  }

  /** A user's follows and decayed engagement, read at the watermark. */
  userSignals(userId: string): UserSignals {
    return this.users.get(userId, this.watermarkMs);
  }

  /** Newest event time seen, epoch ms (-Infinity before the first event). */
  get watermark(): number {
    return this.watermarkMs;
  }

  /**
   * Folds events in. `origins` (parallel to `events`: where each was read) lets the pipeline skip, in a
   * stream's state, events already in a doc it was restored from.
   */
  ingest(events: readonly MarketplaceEvent[], origins?: readonly EventOrigin[]): IngestResult {
    const result = this.fold(events, origins, false);
    this.counters.applied += result.applied;
    this.counters.duplicates += result.duplicates;
    this.counters.late += result.late;
    return result;
  }

  /**
   * Folds events read back from the log to rebuild state after a restart or a rebalance: as `ingest`, but
   * no event is late (they were accepted once, and this instance's watermark may be ahead of them) and
   * nothing is marked changed (the sinks already hold what these events produced).
   */
  replay(events: readonly MarketplaceEvent[], origins?: readonly EventOrigin[]): IngestResult {
    return this.fold(events, origins, true);
  }

  /**
   * Takes a stream's last written doc as its state (see LivestreamStateReducer.fromSnapshot); windows start
   * empty and are refilled by `replay`. Ignored for a stream this instance already holds, and for a doc
   * without a checkpoint.
   */
  restore(doc: LivestreamDoc): boolean {
    // A doc written before checkpoints existed cannot say what it holds: the replay rebuilds that stream.
    if (this.streams.has(doc.livestreamId) || !doc.checkpoint) return false;
    this.rebuilding.add(doc.livestreamId);
    // The watermark was at least the doc's when it was written; windows are read at it.
    this.watermarkMs = Math.max(this.watermarkMs, Date.parse(doc.asOf));
    this.streams.set(doc.livestreamId, {
      reducer: LivestreamStateReducer.fromSnapshot(doc, doc.checkpoint),
      series: new Map(this.signals.map((s) => [s.name, this.seriesFor(s)])),
      lastEventAt: doc.version,
    });
    return true;
  }

  /** Takes a published user signals share as this instance's (see UserSignalsStore.restore). */
  restoreUserSignals(share: UserSignalsShare): void {
    this.users.restore(share);
  }

  /** Drops the user signal shares another instance now owns. */
  forgetUserSignals(isOwnedElsewhere: (source: string) => boolean): void {
    this.users.forgetSources(isOwnedElsewhere);
  }

  /** Drops the streams another instance now owns (their partitions moved in a rebalance). */
  forgetStreams(isOwnedElsewhere: (livestreamId: string) => boolean): number {
    let forgotten = 0;
    for (const id of this.streams.keys()) {
      if (!isOwnedElsewhere(id)) continue;
      this.streams.delete(id);
      this.changed.delete(id);
      this.rebuilding.delete(id);
      forgotten++;
    }
    return forgotten;
  }

  /**
   * How far back (in time) a rebuild must replay so every window reads as it would have: the longest window
   * plus its partial current bucket, plus the allowed lateness.
   */
  get replaySpanMs(): number {
    const longest = Math.max(
      ...WINDOWS.map((w) => {
        const { coarse, buckets } = WINDOW_BUCKETS[w];
        return (buckets + 1) * (coarse ? COARSE_BUCKET_MS : FINE_BUCKET_MS);
      }),
    );
    return longest + this.allowedLatenessMs;
  }

  private fold(
    events: readonly MarketplaceEvent[],
    origins: readonly EventOrigin[] | undefined,
    replaying: boolean,
  ): IngestResult {
    const result: IngestResult = { applied: 0, duplicates: 0, late: 0 };
    const replaySeen = replaying ? (this.replaySeen ??= new Set()) : undefined;
    for (const [index, event] of events.entries()) {
      if (replaySeen ? replaySeen.has(event.eventId) : this.seen.has(event.eventId)) {
        result.duplicates++;
        continue;
      }
      replaySeen?.add(event.eventId);
      const at = Date.parse(event.occurredAt);
      if (!replaying && at < this.watermarkMs - this.allowedLatenessMs) {
        result.late++;
        continue;
      }
      this.seen.set(event.eventId, true);
      if (at > this.watermarkMs) this.watermarkMs = at;
      const origin = origins?.[index];
      if (!('livestreamId' in event)) {
        this.users.apply(event, at, origin);
        if (!replaying) this.counters.notStreamScoped++;
        result.applied++;
        continue;
      }
      if (replaying && !this.streams.has(event.livestreamId)) this.rebuilding.add(event.livestreamId);
      const entry = this.entryOf(event.livestreamId);
      if (!entry.reducer.apply(event, at, origin) && !replaying) this.counters.redelivered++;
      this.users.apply(event, at, origin);
      if (at > entry.lastEventAt) entry.lastEventAt = at;
      for (const signal of this.signalsByType.get(event.type) ?? []) {
        if (signal.filter && !signal.filter(event)) continue;
        entry.series.get(signal.name)!.add(at, signal.aggregation === 'count' ? 1 : signal.value!(event));
      }
      if (!replaying) this.changed.add(event.livestreamId);
      result.applied++;
    }
    return result;
  }

  /** Seller features from the batch side; the seller's streams are re-emitted with them. */
  setSellerFeatures(sellerId: string, features: SellerFeatures): void {
    this.sellerFeatures.set(sellerId, features);
    for (const [id, entry] of this.streams)
      if (entry.reducer.state.sellerId === sellerId) this.changed.add(id);
  }

  /**
   * Whether a doc of this stream may go out from here: the stream is ours (not lost to another member of
   * the group, not ended and forgotten) and not half rebuilt.
   */
  holds(livestreamId: string): boolean {
    return this.streams.has(livestreamId) && !this.rebuilding.has(livestreamId);
  }

  /** Marks every stream changed, so docs whose windows moved with time alone are re-emitted. */
  touchAll(): void {
    for (const id of this.streams.keys()) if (!this.rebuilding.has(id)) this.changed.add(id);
  }

  /**
   * Starts rebuilding partitions (see rebuildGainedState): what `restore` and `replay` bring in stays out
   * of `takeChanges` until `finishRebuild`, so no half-rebuilt doc (restored state, windows not yet
   * refilled) reaches a sink.
   */
  startRebuild(): void {
    this.replaySeen = new Set();
  }

  finishRebuild(): void {
    this.rebuilding.clear();
    this.replaySeen = undefined;
  }

  /**
   * Docs of streams changed since the last call, streams ended longer ago than the grace period, and (unless
   * `withUserSignals` is false: they keep for a later call) the user signal shares changed.
   */
  takeChanges(withUserSignals = true): DocChanges {
    const upserts: LivestreamDoc[] = [];
    const deletions: string[] = [];
    for (const id of this.changed) {
      const entry = this.streams.get(id)!;
      const endedAt = entry.reducer.state.endedAt;
      if (
        entry.reducer.state.status === 'ended' &&
        endedAt &&
        Date.parse(endedAt) < this.watermarkMs - this.endedGraceMs
      ) {
        deletions.push(id);
        this.streams.delete(id);
      } else {
        upserts.push(this.buildDoc(entry));
      }
    }
    this.changed.clear();
    return { upserts, deletions, userSignals: withUserSignals ? this.users.takeChanges() : [] };
  }

  /** The current doc of a stream, if it is known. */
  doc(livestreamId: string): LivestreamDoc | undefined {
    const entry = this.streams.get(livestreamId);
    return entry && this.buildDoc(entry);
  }

  get streamCount(): number {
    return this.streams.size;
  }

  private entryOf(livestreamId: string): StreamEntry {
    let entry = this.streams.get(livestreamId);
    if (!entry) {
      entry = {
        reducer: new LivestreamStateReducer(livestreamId),
        series: new Map(this.signals.map((s) => [s.name, this.seriesFor(s)])),
        lastEventAt: Number.NEGATIVE_INFINITY,
      };
      this.streams.set(livestreamId, entry);
    }
    return entry;
  }

  private seriesFor(signal: WindowSignalDefinition): SignalSeries {
    switch (signal.aggregation) {
      case 'count':
      case 'sum':
        return new SumSeries();
      case 'distinct':
        return new DistinctSeries(this.exactDistinctLimit);
      case 'last':
        return new LastValueSeries();
    }
  }

  private buildDoc(entry: StreamEntry): LivestreamDoc {
    const now = this.watermarkMs;
    const signals: Record<string, WindowValues> = {};
    for (const [name, series] of entry.series) {
      signals[name] = Object.fromEntries(WINDOWS.map((w) => [w, series.read(w, now)])) as WindowValues;
    }
    const engagement = (window: '1m' | '5m') =>
      ENGAGEMENT_SIGNALS.reduce((sum, name) => sum + (signals[name]?.[window] ?? 0), 0);
    const state = entry.reducer.state;
    const momentum = momentumOf(engagement('1m'), engagement('5m'));
    return {
      ...structuredClone(state),
      signals,
      momentum,
      hotness: hotnessOf(signals, state.currentViewers, momentum),
      seller: (state.sellerId && this.sellerFeatures.get(state.sellerId)) || NO_SELLER,
      lastEventAt: new Date(entry.lastEventAt).toISOString(),
      asOf: new Date(now).toISOString(),
      version: entry.lastEventAt,
      checkpoint: entry.reducer.checkpoint(),
    };
  }
}

import { EventType, type MarketplaceEvent } from '@crest/event-schemas';

const WINDOW_SECONDS = 60;

interface StreamActivity {
  livestreamId: string;
  sellerId: string;
  title: string;
  categoryIds: string[];
  /** Engagement per second over the last minute, as a ring indexed by epoch second. */
  perSecond: Int32Array;
  seconds: Float64Array;
}

export interface ActivitySnapshot {
  at: string;
  liveStreams: number;
  eventsPerSecondLast10s: number;
  eventsLast10sByType: Record<string, number>;
  hottestLastMinute: Array<{ livestreamId: string; title: string; categoryIds: string[]; events: number }>;
}

/**
 * A live view of the simulated marketplace for embedded mode until the home feed lands: which streams are
 * live, how busy each was in the last minute, and the event mix of the last ten seconds. Arrival time, not
 * event time: this is an operator's view, not a signal.
 */
export class MarketplaceActivity {
  private readonly live = new Map<string, StreamActivity>();
  private readonly typeCounts = new Map<string, { seconds: Float64Array; counts: Int32Array }>();

  constructor(private readonly now: () => number = Date.now) {}

  record(events: readonly MarketplaceEvent[]): void {
    const second = Math.floor(this.now() / 1000);
    for (const event of events) {
      bump(this.typeSeries(event.type), second, 1);
      if (event.type === EventType.LivestreamStatusChanged) {
        if (event.payload.status === 'live') {
          this.live.set(event.livestreamId, {
            livestreamId: event.livestreamId,
            sellerId: event.sellerId,
            title: event.payload.title,
            categoryIds: event.payload.categoryIds,
            perSecond: new Int32Array(WINDOW_SECONDS),
            seconds: new Float64Array(WINDOW_SECONDS),
          });
        } else if (event.payload.status === 'ended') {
          this.live.delete(event.livestreamId);
        }
        continue;
      }
      const stream = 'livestreamId' in event ? this.live.get(event.livestreamId) : undefined;
      if (stream) bump({ counts: stream.perSecond, seconds: stream.seconds }, second, 1);
    }
  }

  snapshot(top = 10): ActivitySnapshot {
    const second = Math.floor(this.now() / 1000);
    const byType: Record<string, number> = {};
    let last10 = 0;
    for (const [type, series] of this.typeCounts) {
      const count = sumSince(series, second - 9);
      if (count > 0) byType[type] = count;
      last10 += count;
    }
    const hottest = [...this.live.values()]
      .map((s) => ({
        livestreamId: s.livestreamId,
        title: s.title,
        categoryIds: s.categoryIds,
        events: sumSince({ counts: s.perSecond, seconds: s.seconds }, second - WINDOW_SECONDS + 1),
      }))
      .sort((a, b) => b.events - a.events || a.livestreamId.localeCompare(b.livestreamId))
      .slice(0, top);
    return {
      at: new Date(this.now()).toISOString(),
      liveStreams: this.live.size,
      eventsPerSecondLast10s: Math.round(last10 / 10),
      eventsLast10sByType: byType,
      hottestLastMinute: hottest,
    };
  }

  private typeSeries(type: string): { seconds: Float64Array; counts: Int32Array } {
    let series = this.typeCounts.get(type);
    if (!series) {
      series = { seconds: new Float64Array(WINDOW_SECONDS), counts: new Int32Array(WINDOW_SECONDS) };
      this.typeCounts.set(type, series);
    }
    return series;
  }
}

function bump(series: { seconds: Float64Array; counts: Int32Array }, second: number, by: number): void {
  const slot = second % WINDOW_SECONDS;
  if (series.seconds[slot] !== second) {
    series.seconds[slot] = second;
    series.counts[slot] = 0;
  }
  series.counts[slot]! += by;
}

function sumSince(series: { seconds: Float64Array; counts: Int32Array }, fromSecond: number): number {
  let total = 0;
  for (let i = 0; i < WINDOW_SECONDS; i++) if (series.seconds[i]! >= fromSecond) total += series.counts[i]!;
  return total;
}

import { EventType, type MarketplaceEvent } from '@crest/event-schemas';
import { makeEvent } from '@crest/testing';

import { type MarketplaceEventSink } from './event-sink.port';
import { EventSinkLane } from './event-sink-lane';

const events = (n: number, tag: string): MarketplaceEvent[] =>
  Array.from({ length: n }, (_, i) =>
    makeEvent(EventType.ChatSent, { eventId: `${tag}-${i}`, livestreamId: `stream-${tag}` }),
  );
const ids = (batch: readonly MarketplaceEvent[]) => batch.map((e) => e.eventId);

/** A sink whose writes finish when the test says so, or fail while `failing` is set. */
class HeldSink implements MarketplaceEventSink {
  readonly name = 'held';
  readonly writes: string[][] = [];
  private releases: Array<() => void> = [];
  failing = 0;

  write(batch: readonly MarketplaceEvent[]): Promise<void> {
    this.writes.push(ids(batch));
    if (this.failing > 0) {
      this.failing--;
      return Promise.reject(new Error('store unavailable'));
    }
    return new Promise((resolve) => this.releases.push(resolve));
  }

  release(): void {
    this.releases.shift()?.();
  }
}

const settled = () => new Promise((resolve) => setImmediate(resolve));

describe('EventSinkLane', () => {
  it('writes one batch at a time, and what arrives meanwhile goes out together in the next write', async () => {
    const sink = new HeldSink();
    const lane = new EventSinkLane(sink);
    const taken: string[] = [];
    const a = lane.write(events(2, 'a')).then(() => taken.push('a'));
    const b = lane.write(events(1, 'b')).then(() => taken.push('b'));
    const c = lane.write(events(2, 'c')).then(() => taken.push('c'));
    await settled();
    expect(sink.writes).toEqual([['a-0', 'a-1']]);

    sink.release();
    await a;
    await settled();
    expect(taken).toEqual(['a']);
    expect(sink.writes).toEqual([
      ['a-0', 'a-1'],
      ['b-0', 'c-0', 'c-1'],
    ]);

    sink.release();
    await Promise.all([b, c]);
    expect(taken).toEqual(['a', 'b', 'c']);
  });

  it('retries a failed write until the sink takes it, losing nothing, and reports each failure', async () => {
    const sink = new HeldSink();
    sink.failing = 2;
    const errors: string[] = [];
    const lane = new EventSinkLane(sink, {
      maxBackoffMs: 1,
      onError: (error, name) => errors.push(`${name}: ${(error as Error).message}`),
    });
    const written = lane.write(events(3, 'a'));
    while (sink.writes.length < 3) await new Promise((resolve) => setTimeout(resolve, 2));
    sink.release();
    await written;
    expect(sink.writes).toEqual([
      ['a-0', 'a-1', 'a-2'],
      ['a-0', 'a-1', 'a-2'],
      ['a-0', 'a-1', 'a-2'],
    ]);
    expect(errors).toEqual(['held: store unavailable', 'held: store unavailable']);
  });

  it('merges whole batches up to the write limit; a batch over the limit goes alone', async () => {
    const sink = new HeldSink();
    const lane = new EventSinkLane(sink, { maxEventsPerWrite: 3 });
    const all = [
      lane.write(events(1, 'first')),
      lane.write(events(2, 'a')),
      lane.write(events(1, 'b')),
      lane.write(events(4, 'big')),
      lane.write(events(1, 'c')),
    ];
    for (let i = 0; i < 4; i++) {
      await settled();
      sink.release();
    }
    await Promise.all(all);
    expect(sink.writes.map((w) => w.length)).toEqual([1, 3, 4, 1]);
    expect(sink.writes.flat().sort()).toEqual(
      [
        ...ids(events(1, 'first')),
        ...ids(events(2, 'a')),
        ...ids(events(1, 'b')),
        ...ids(events(4, 'big')),
        ...ids(events(1, 'c')),
      ].sort(),
    );
  });

  it('answers an empty batch at once, without a write', async () => {
    const sink = new HeldSink();
    await new EventSinkLane(sink).write([]);
    expect(sink.writes).toEqual([]);
  });
});

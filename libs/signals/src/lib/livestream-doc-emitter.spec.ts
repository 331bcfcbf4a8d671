import { LivestreamDocEmitter } from './livestream-doc-emitter';
import { bidAt, STREAM } from './scenarios/scenario-events';
import { SignalPipeline } from './signal-pipeline';
import { type LivestreamDocSink } from './sinks/livestream-doc-sink.port';
import { MemoryDocSink } from './sinks/memory-doc.sink';

describe('LivestreamDocEmitter', () => {
  it('retries a failed write on the next emission and releases waiters only after it succeeds', async () => {
    const pipeline = new SignalPipeline();
    const memory = new MemoryDocSink();
    let failNext = true;
    const flaky: LivestreamDocSink = {
      name: 'flaky',
      write: async () => {
        if (failNext) {
          failNext = false;
          throw new Error('index unavailable');
        }
      },
    };
    const errors: string[] = [];
    const sut = new LivestreamDocEmitter(pipeline, [memory, flaky], {
      onError: (error, sink) => errors.push(`${sink}: ${(error as Error).message}`),
    });
    pipeline.ingest([bidAt(10)]);
    let released = false;
    const waiter = sut.afterNextEmission().then(() => (released = true));

    await sut.emit();
    expect([errors, released]).toEqual([['flaky: index unavailable'], false]);
    await sut.emit();
    await waiter;
    expect(released).toBe(true);
    expect(memory.get(STREAM)?.signals['bids']!['1m']).toBe(1);
  });

  it('sends each changed stream at most once per emission, and nothing when nothing changed', async () => {
    const pipeline = new SignalPipeline();
    const writes: number[] = [];
    const shareWrites: number[] = [];
    const counting: LivestreamDocSink = {
      name: 'counting',
      write: async (c) => {
        if (c.userSignals.length > 0) shareWrites.push(c.userSignals.length);
        else writes.push(c.upserts.length);
      },
    };
    const sut = new LivestreamDocEmitter(pipeline, [counting], { refreshIntervalMs: 60_000 });
    pipeline.ingest([bidAt(1), bidAt(2), bidAt(3)]);
    await sut.emit();
    await sut.emit();
    await sut.stop();
    expect(writes).toEqual([1]);
    // The bidder's user signals share, in a write of its own.
    expect(shareWrites).toEqual([1]);
  });

  it('keeps a fast sink fresh while a slow one writes, then gives the slow one the newest doc in one write', async () => {
    const pipeline = new SignalPipeline();
    const fast = new MemoryDocSink();
    const slowWrites: number[] = [];
    let finishSlowWrite = (): void => undefined;
    const slow: LivestreamDocSink = {
      name: 'slow',
      write: (changes) => {
        if (changes.userSignals.length > 0) return Promise.resolve(); // the bidder's share, written apart
        slowWrites.push(changes.upserts[0]?.signals['bids']!['1m'] ?? -1);
        return new Promise((resolve) => (finishSlowWrite = resolve));
      },
    };
    const sut = new LivestreamDocEmitter(pipeline, [fast, slow], { refreshIntervalMs: 60_000 });
    pipeline.ingest([bidAt(10)]);
    const firstTick = sut.emit();
    const waiter = sut.afterNextEmission();
    let released = false;
    void waiter.then(() => (released = true));
    pipeline.ingest([bidAt(11)]);
    void sut.emit();
    pipeline.ingest([bidAt(12)]);
    void sut.emit();
    await new Promise((resolve) => setImmediate(resolve));

    // The fast sink has every tick while the slow one is still on its first write.
    expect(fast.get(STREAM)?.signals['bids']!['1m']).toBe(3);
    expect([slowWrites, released]).toEqual([[1], false]);

    finishSlowWrite();
    await new Promise((resolve) => setImmediate(resolve));
    // Both waiting ticks gathered into one write of the newest doc.
    expect(slowWrites).toEqual([1, 3]);
    finishSlowWrite();
    await firstTick;
    await waiter;
    expect(released).toBe(true);
  });

  it('does not retry the doc of a stream that another member of the group took over meanwhile', async () => {
    const pipeline = new SignalPipeline();
    let fail = true;
    const written: string[] = [];
    const flaky: LivestreamDocSink = {
      name: 'flaky',
      write: async (changes) => {
        if (fail) throw new Error('index unavailable');
        written.push(...changes.upserts.map((doc) => doc.livestreamId));
      },
    };
    const sut = new LivestreamDocEmitter(pipeline, [flaky], { refreshIntervalMs: 60_000 });
    pipeline.ingest([bidAt(10)]);
    await sut.emit();
    pipeline.forgetStreams((id) => id === STREAM);
    fail = false;
    await sut.emit();
    expect(written).toEqual([]);
  });
});

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

  it('sends each changed stream at most once per emission', async () => {
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
    expect(writes).toEqual([1, 0, 0]);
    // The bidder's user signals share, in a write of its own.
    expect(shareWrites).toEqual([1]);
  });
});

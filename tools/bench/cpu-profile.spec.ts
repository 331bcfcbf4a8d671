import { type CpuProfile, formatSummary, packageOf, summarizeCpuProfile } from './cpu-profile';

/** Four frames, sampled every 10 ms: idle, the app's bundle, grpc-js, GC. */
function profileOf(samples: number[]): CpuProfile {
  return {
    nodes: [
      { id: 1, callFrame: { functionName: '(idle)', url: '', lineNumber: -1 } },
      {
        id: 2,
        callFrame: {
          functionName: 'rankColumns',
          url: 'file:///repo/dist/apps/ranking-service/main.js',
          lineNumber: 41,
        },
      },
      {
        id: 3,
        callFrame: {
          functionName: 'write',
          url: 'file:///repo/node_modules/@grpc/grpc-js/build/src/call.js',
          lineNumber: 9,
        },
      },
      { id: 4, callFrame: { functionName: '(garbage collector)', url: '', lineNumber: -1 } },
    ],
    startTime: 0,
    endTime: samples.length * 10_000,
    samples,
    timeDeltas: samples.map(() => 10_000),
  };
}

describe('summarizeCpuProfile', () => {
  it('counts self time per package and function, busy apart from idle', () => {
    const summary = summarizeCpuProfile(profileOf([1, 2, 2, 2, 3, 4, 1, 1]));
    expect(summary.busyMs).toBe(50);
    expect(summary.idleMs).toBe(30);
    expect(summary.byPackage).toEqual([
      { name: 'app:ranking-service', ms: 30, share: 0.6 },
      { name: '@grpc/grpc-js', ms: 10, share: 0.2 },
      { name: '(garbage collector)', ms: 10, share: 0.2 },
    ]);
    expect(summary.byFunction[0]).toEqual({
      name: 'rankColumns ranking-service/main.js:42',
      ms: 30,
      share: 0.6,
    });
  });

  it('summarizes only the window asked for, while the timeline covers the whole profile', () => {
    // 50 ms of start-up work, then 50 ms of load in which only GC and idle run.
    const summary = summarizeCpuProfile(profileOf([2, 2, 2, 2, 2, 4, 1, 4, 1, 1]), {
      fromMs: 50,
      bucketMs: 50,
    });
    expect(summary.busyMs).toBe(20);
    expect(summary.idleMs).toBe(30);
    expect(summary.byPackage.map((p) => p.name)).toEqual(['(garbage collector)']);
    expect(summary.timeline).toEqual([
      { atMs: 0, busy: 1 },
      { atMs: 50, busy: 0.4 },
    ]);
    expect(formatSummary('x', summary)).toContain('busy 20 ms of 50 ms (40.0 %)');
  });
});

describe('packageOf', () => {
  it.each([
    ['file:///r/node_modules/@bufbuild/protobuf/dist/cjs/wire/x.js', '@bufbuild/protobuf'],
    ['file:///r/node_modules/kafkajs/src/producer/index.js', 'kafkajs'],
    ['node:internal/http2/core', 'node:internal/http2'],
    ['node:events', 'node:events'],
    ['file:///r/dist/apps/feed-api/main.js', 'app:feed-api'],
    ['file:///r/libs/ranking/src/model.ts', 'crest'],
  ])('%s is %s', (url, name) => expect(packageOf({ functionName: 'f', url })).toBe(name));

  it('names V8 pseudo-frames as themselves and other frames without a file as native', () => {
    expect(packageOf({ functionName: '(garbage collector)', url: '' })).toBe('(garbage collector)');
    expect(packageOf({ functionName: 'JSON.parse', url: '' })).toBe('(native)');
  });
});

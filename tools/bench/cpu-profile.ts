/**
 * Reading V8 CPU profiles (`node --cpu-prof`, the `.cpuprofile` JSON) into where the time went: self time
 * per package and per function, and how busy the process was over time, so a bench's load window can be
 * told from the process's start.
 */

/** The parts of the `.cpuprofile` format (Chrome DevTools protocol `Profiler.Profile`) read here. */
export interface CpuProfile {
  nodes: Array<{
    id: number;
    callFrame: { functionName: string; url: string; lineNumber: number };
  }>;
  /** Microseconds. */
  startTime: number;
  endTime: number;
  /** The node id on top of the stack at each sample. */
  samples: number[];
  /** Microseconds since the previous sample (the first: since startTime). */
  timeDeltas: number[];
}

export interface ProfileShare {
  name: string;
  ms: number;
  /** Of the busy time (idle excluded). */
  share: number;
}

export interface ProfileSummary {
  /** The window summarized, in ms since the profile's start. */
  fromMs: number;
  toMs: number;
  busyMs: number;
  idleMs: number;
  /** Self time by package (`@grpc/grpc-js`, `node:internal/http2`, `app` for the bundle, …), GC and V8's own. */
  byPackage: ProfileShare[];
  byFunction: ProfileShare[];
  /** Busy share of the process per `bucketMs`, over the whole profile. */
  timeline: Array<{ atMs: number; busy: number }>;
}

/** V8's pseudo-frames: counted under their own names, idle not counted as busy. */
const IDLE = '(idle)';

export function summarizeCpuProfile(
  profile: CpuProfile,
  options: { fromMs?: number; toMs?: number; bucketMs?: number; top?: number } = {},
): ProfileSummary {
  const fromMs = options.fromMs ?? 0;
  const toMs = options.toMs ?? (profile.endTime - profile.startTime) / 1000;
  const bucketMs = options.bucketMs ?? 5_000;
  const frames = new Map(profile.nodes.map((node) => [node.id, node.callFrame]));
  const packages = new Map<string, number>();
  const functions = new Map<string, number>();
  const buckets: Array<{ busy: number; all: number }> = [];
  let busyMs = 0;
  let idleMs = 0;
  let atUs = 0;
  profile.samples.forEach((id, i) => {
    // A sample stands for the interval since the previous one; it is placed at that interval's start.
    const atMs = atUs / 1000;
    const deltaMs = (profile.timeDeltas[i] ?? 0) / 1000;
    atUs += profile.timeDeltas[i] ?? 0;
    const frame = frames.get(id);
    if (!frame) return;
    const idle = frame.functionName === IDLE;
    const bucket = (buckets[Math.floor(atMs / bucketMs)] ??= { busy: 0, all: 0 });
    bucket.all += deltaMs;
    if (!idle) bucket.busy += deltaMs;
    if (atMs < fromMs || atMs >= toMs) return;
    if (idle) {
      idleMs += deltaMs;
      return;
    }
    busyMs += deltaMs;
    add(packages, packageOf(frame), deltaMs);
    add(
      functions,
      `${frame.functionName || '(anonymous)'} ${shortUrl(frame.url)}:${frame.lineNumber + 1}`,
      deltaMs,
    );
  });
  const ranked = (totals: Map<string, number>) =>
    [...totals]
      .sort((a, b) => b[1] - a[1])
      .slice(0, options.top ?? 25)
      .map(([name, ms]) => ({ name, ms, share: busyMs > 0 ? ms / busyMs : 0 }));
  return {
    fromMs,
    toMs,
    busyMs,
    idleMs,
    byPackage: ranked(packages),
    byFunction: ranked(functions),
    timeline: Array.from(buckets, (bucket, i) => ({
      atMs: i * bucketMs,
      busy: bucket && bucket.all > 0 ? bucket.busy / bucket.all : 0,
    })),
  };
}

function add(totals: Map<string, number>, key: string, ms: number): void {
  totals.set(key, (totals.get(key) ?? 0) + ms);
}

/**
 * The package a frame belongs to: an npm package (scoped or not) by its node_modules path, a Node core
 * module by its `node:` area, the app's webpack bundle (`dist/apps/<app>/main.js`) as `app:<app>`, other
 * project files as `crest`, and V8's pseudo-frames ((garbage collector), (program)) as themselves.
 */
export function packageOf(frame: { functionName: string; url: string }): string {
  const url = frame.url;
  if (!url) return frame.functionName.startsWith('(') ? frame.functionName : '(native)';
  const inModules = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (inModules) return inModules[1]!;
  const core = /^node:(internal\/[^/]+|[^/]+)/.exec(url);
  if (core) return `node:${core[1]!.replace(/\.js$/, '')}`;
  const bundle = /dist\/apps\/([^/]+)\/main\.js$/.exec(url);
  if (bundle) return `app:${bundle[1]!}`;
  return 'crest';
}

function shortUrl(url: string): string {
  return url
    .replace(/^file:\/\//, '')
    .replace(/.*node_modules\//, '')
    .split('/')
    .slice(-2)
    .join('/');
}

/** A summary as text: the window, busy and idle time, then the two rankings. */
export function formatSummary(label: string, summary: ProfileSummary): string {
  const pct = (share: number) => `${(share * 100).toFixed(1).padStart(5)} %`;
  const rows = (shares: ProfileShare[]) =>
    shares.map((s) => `  ${pct(s.share)} ${s.ms.toFixed(0).padStart(7)} ms  ${s.name}`).join('\n');
  const window = `${(summary.fromMs / 1000).toFixed(1)}-${(summary.toMs / 1000).toFixed(1)} s`;
  const total = summary.busyMs + summary.idleMs;
  return [
    `${label}: window ${window}, busy ${summary.busyMs.toFixed(0)} ms of ${total.toFixed(0)} ms (${pct(total > 0 ? summary.busyMs / total : 0).trim()})`,
    `busy per ${summary.timeline.length > 1 ? summary.timeline[1]!.atMs / 1000 : 5} s: ${summary.timeline
      .map((b) => `${Math.round(b.busy * 100)}`)
      .join(' ')}`,
    'self time by package:',
    rows(summary.byPackage),
    'self time by function:',
    rows(summary.byFunction),
  ].join('\n');
}

import { type EventBus } from '@crest/messaging';
import { type Client } from '@elastic/elasticsearch';

import { type LivestreamDoc } from '../livestream-doc';
import { ElasticsearchDocSink, type ElasticsearchDocSinkOptions } from './elasticsearch-doc.sink';
import { readLatestDocs } from './state-topic-doc.sink';

export interface ElasticsearchRebuildOptions extends ElasticsearchDocSinkOptions {
  bus: EventBus;
  client: Client;
  /** The compacted livestream state topic the docs come from. Default `discovery.livestream-state.v1`. */
  stateTopic?: string;
  /** Docs per bulk write. Default 5,000. */
  batchSize?: number;
  /**
   * Wait after the alias moved before the catch-up pass: an ingestor may have written a doc to the old
   * index just before the swap and to the state topic just after the first read. Default 2 s.
   */
  settleMs?: number;
  /** Progress, for a CLI; awaited, so a caller can hold a phase back. */
  onProgress?: (message: string) => void | Promise<void>;
}

export interface ElasticsearchRebuildReport {
  index: string;
  /** Indices the alias pointed at before, now deleted. */
  replaced: string[];
  /** Docs read from the state topic and written in the first pass. */
  docs: number;
  /** Docs that changed on the topic during the first pass, written in the catch-up pass. */
  caughtUp: number;
  /** Streams deleted (tombstoned) during the first pass, deleted in the catch-up pass. */
  deleted: number;
  readMs: number;
  loadMs: number;
  catchUpMs: number;
  totalMs: number;
}

/**
 * Rebuilds the Elasticsearch index from the compacted state topic, the source of truth for every replica:
 * reads the newest doc of each stream, bulk-loads them into a fresh `<alias>-r<time>` index (refresh off
 * while loading), moves the alias to it atomically (readers see the old index until then, or nothing if
 * it was wiped), deletes the old indices, then reads the topic again and writes what changed meanwhile
 * through the alias, so nothing the ingestor wrote during the rebuild is lost (external versions keep the
 * newest doc either way).
 */
export async function rebuildElasticsearchIndex(
  options: ElasticsearchRebuildOptions,
): Promise<ElasticsearchRebuildReport> {
  const { bus, client } = options;
  const started = performance.now();
  const progress = options.onProgress ?? (() => undefined);
  const live = new ElasticsearchDocSink(client, options);
  const alias = live.alias;
  await live.ensureTemplate();

  let phase = performance.now();
  const docs = await readLatestDocs(bus, { topic: options.stateTopic });
  const readMs = performance.now() - phase;
  await progress(`read ${docs.size} docs from the state topic in ${Math.round(readMs)} ms`);

  phase = performance.now();
  const index = `${alias}-r${Date.now()}`;
  await client.indices.create({ index, settings: { refresh_interval: '-1' } });
  const target = new ElasticsearchDocSink(client, { ...options, alias: index });
  await writeAll(target, [...docs.values()], options.batchSize ?? 5_000, (n) =>
    progress(`loaded ${n} / ${docs.size}`),
  );
  await client.indices.putSettings({ index, settings: { refresh_interval: live.refreshInterval } });
  await client.indices.refresh({ index });
  const loadMs = performance.now() - phase;

  const current = await client.indices
    .getAlias({ name: alias })
    .catch((error: { meta?: { statusCode?: number } }) => {
      if (error.meta?.statusCode === 404) return {};
      throw error;
    });
  const replaced = Object.keys(current);
  await client.indices.updateAliases({
    actions: [
      ...replaced.map((old) => ({ remove: { index: old, alias } })),
      { add: { index, alias, is_write_index: true } },
    ],
  });
  if (replaced.length > 0) await client.indices.delete({ index: replaced });
  await progress(
    `alias ${alias} now on ${index}${replaced.length > 0 ? `; deleted ${replaced.join(', ')}` : ''}`,
  );

  phase = performance.now();
  await new Promise((resolve) => setTimeout(resolve, options.settleMs ?? 2_000));
  const again = await readLatestDocs(bus, { topic: options.stateTopic });
  const changed = [...again.values()].filter((doc) => docs.get(doc.livestreamId)?.version !== doc.version);
  const deleted = [...docs.keys()].filter((id) => !again.has(id));
  await writeAll(live, changed, options.batchSize ?? 5_000, () => undefined);
  if (deleted.length > 0) await live.write({ upserts: [], deletions: deleted, userSignals: [] });
  const catchUpMs = performance.now() - phase;
  await progress(
    `caught up in ${Math.round(catchUpMs)} ms: ${changed.length} docs changed and ${deleted.length} ` +
      'deleted during the rebuild',
  );

  return {
    index,
    replaced,
    docs: docs.size,
    caughtUp: changed.length,
    deleted: deleted.length,
    readMs: Math.round(readMs),
    loadMs: Math.round(loadMs),
    catchUpMs: Math.round(catchUpMs),
    totalMs: Math.round(performance.now() - started),
  };
}

async function writeAll(
  sink: ElasticsearchDocSink,
  docs: LivestreamDoc[],
  batchSize: number,
  onBatch: (written: number) => void | Promise<void>,
): Promise<void> {
  for (let i = 0; i < docs.length; i += batchSize) {
    await sink.write({ upserts: docs.slice(i, i + batchSize), deletions: [], userSignals: [] });
    await onBatch(Math.min(i + batchSize, docs.length));
  }
}

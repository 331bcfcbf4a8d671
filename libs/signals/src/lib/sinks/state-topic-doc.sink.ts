import { LIVESTREAM_STATE_TOPIC, USER_SIGNALS_TOPIC } from '@crest/event-schemas';
import { type EventBus } from '@crest/messaging';

import { type LivestreamDoc } from '../livestream-doc';
import { type DocChanges } from '../signal-pipeline';
import { type LivestreamDocSink } from './livestream-doc-sink.port';

/** Header with the doc version, so a replica can drop an older doc without parsing it. */
export const DOC_VERSION_HEADER = 'crest.doc-version';

/**
 * Publishes docs to the compacted state topic, keyed by stream id, and a tombstone for each deleted
 * stream; and user signal shares to their compacted topic, keyed `<userId>|<source>`. Replicas rebuild
 * the whole live set by reading the topics from the beginning.
 */
export class StateTopicDocSink implements LivestreamDocSink {
  readonly name = 'state-topic';

  constructor(
    private readonly bus: EventBus,
    private readonly topic = LIVESTREAM_STATE_TOPIC,
    private readonly userSignalsTopic = USER_SIGNALS_TOPIC,
  ) {}

  ensureTopic(partitions = 6): Promise<void> {
    return this.bus.ensureTopics([
      { name: this.topic, partitions, compacted: true },
      { name: this.userSignalsTopic, partitions, compacted: true },
    ]);
  }

  async write(changes: DocChanges): Promise<void> {
    const { upserts, deletions, userSignals } = changes;
    if (upserts.length === 0 && deletions.length === 0 && userSignals.length === 0) return;
    await this.bus.publish([
      ...userSignals.map((share) => ({
        topic: this.userSignalsTopic,
        key: `${share.userId}|${share.source}`,
        value: JSON.stringify(share),
      })),
      ...changes.upserts.map((doc) => ({
        topic: this.topic,
        key: doc.livestreamId,
        value: JSON.stringify(doc),
        headers: { [DOC_VERSION_HEADER]: String(doc.version) },
      })),
      ...changes.deletions.map((id) => ({ topic: this.topic, key: id, value: null })),
    ]);
  }
}

/**
 * The newest doc of each stream on a livestream state topic, read from its start to its current end (a
 * tombstone removes the stream). `include` filters by key before a doc is parsed.
 */
export async function readLatestDocs(
  bus: EventBus,
  options: { topic?: string; include?: (livestreamId: string) => boolean } = {},
): Promise<Map<string, LivestreamDoc>> {
  const topic = options.topic ?? LIVESTREAM_STATE_TOPIC;
  const include = options.include ?? (() => true);
  const latest = new Map<string, LivestreamDoc | null>();
  const partitions = await bus.partitionCount(topic);
  await bus.readRange(
    Array.from({ length: partitions }, (_, partition) => ({ topic, partition })),
    (messages) => {
      for (const message of messages) {
        if (message.key === null || !include(message.key)) continue;
        latest.set(
          message.key,
          message.tombstone ? null : (JSON.parse(message.value.toString()) as LivestreamDoc),
        );
      }
    },
  );
  const docs = new Map<string, LivestreamDoc>();
  for (const [id, doc] of latest) if (doc) docs.set(id, doc);
  return docs;
}

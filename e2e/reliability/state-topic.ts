import { LIVESTREAM_STATE_TOPIC } from '@crest/event-schemas';
import { type EventBus } from '@crest/messaging';
import { type LivestreamDoc } from '@crest/signals';

/** The newest doc per stream among `streamIds` on the ingestor's state topic (a tombstone removes it). */
export async function latestStateDocs(
  bus: EventBus,
  streamIds: Iterable<string>,
): Promise<Map<string, LivestreamDoc>> {
  const wanted = new Set(streamIds);
  const latest = new Map<string, LivestreamDoc | null>();
  const partitions = await bus.partitionCount(LIVESTREAM_STATE_TOPIC);
  await bus.readRange(
    Array.from({ length: partitions }, (_, partition) => ({ topic: LIVESTREAM_STATE_TOPIC, partition })),
    (messages) => {
      for (const m of messages) {
        if (m.key === null || !wanted.has(m.key)) continue;
        latest.set(m.key, m.tombstone ? null : (JSON.parse(m.value.toString()) as LivestreamDoc));
      }
    },
  );
  return new Map([...latest].filter((entry): entry is [string, LivestreamDoc] => entry[1] !== null));
}

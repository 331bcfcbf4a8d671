import { type EventBus } from '@crest/messaging';
import { type LivestreamDoc, readLatestDocs } from '@crest/signals';

/** The newest doc per stream among `streamIds` on the ingestor's state topic (a tombstone removes it). */
export function latestStateDocs(
  bus: EventBus,
  streamIds: Iterable<string>,
): Promise<Map<string, LivestreamDoc>> {
  const wanted = new Set(streamIds);
  return readLatestDocs(bus, { include: (id) => wanted.has(id) });
}

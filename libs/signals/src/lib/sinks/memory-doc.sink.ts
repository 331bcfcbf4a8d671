import { type LivestreamDoc } from '../livestream-doc';
import { type DocChanges } from '../signal-pipeline';
import { type LivestreamDocSink } from './livestream-doc-sink.port';

/** The in-process sink: the latest doc of every stream in a map, for embedded mode and tests. */
export class MemoryDocSink implements LivestreamDocSink {
  readonly name = 'memory';
  private readonly docs = new Map<string, LivestreamDoc>();

  async write(changes: DocChanges): Promise<void> {
    for (const doc of changes.upserts) {
      const current = this.docs.get(doc.livestreamId);
      if (!current || current.version <= doc.version) this.docs.set(doc.livestreamId, doc);
    }
    for (const id of changes.deletions) this.docs.delete(id);
  }

  get(livestreamId: string): LivestreamDoc | undefined {
    return this.docs.get(livestreamId);
  }

  all(): LivestreamDoc[] {
    return [...this.docs.values()];
  }

  get size(): number {
    return this.docs.size;
  }
}

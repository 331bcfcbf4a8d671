import { type DocChanges, type LivestreamDocSink } from '@crest/signals';
import rockset, { type MainApi } from '@rockset/client';

import { toRetrievedDoc } from '../retrieval-request';
import { type RocksetConnection, toRocksetError } from './rockset.retriever';

/**
 * Writes livestream docs to a Rockset collection through the write API (`_id` = livestream id, the doc
 * without the ingestor's checkpoint), and deletes removed streams. Rockset replaces a document by `_id`
 * without comparing versions: a delayed older batch could overwrite a newer doc on hosted Rockset; the
 * local server keeps the newer `version` like the other sinks.
 */
export class RocksetDocSink implements LivestreamDocSink {
  readonly name = 'rockset';
  private readonly client: MainApi;
  private readonly workspace: string;

  constructor(
    connection: RocksetConnection,
    private readonly collection = 'livestreams',
  ) {
    this.client = rockset(connection.apiKey, connection.host);
    this.workspace = connection.workspace ?? 'commons';
  }

  async write(changes: Pick<DocChanges, 'upserts' | 'deletions'>): Promise<void> {
    try {
      if (changes.upserts.length > 0) {
        const response = await this.client.documents.addDocuments(this.workspace, this.collection, {
          data: changes.upserts.map((doc) => ({ _id: doc.livestreamId, ...toRetrievedDoc(doc) })),
        });
        const failed = (response.data ?? []).filter((status) => status.error);
        if (failed.length > 0)
          throw new Error(
            `Rockset refused ${failed.length} docs: ${failed
              .slice(0, 3)
              .map((f) => f.error?.message)
              .join('; ')}`,
          );
      }
      if (changes.deletions.length > 0)
        await this.client.documents.deleteDocuments(this.workspace, this.collection, {
          data: changes.deletions.map((id) => ({ _id: id })),
        });
    } catch (error) {
      throw toRocksetError(error);
    }
  }
}

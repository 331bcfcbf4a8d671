import { type Client } from '@elastic/elasticsearch';

import { type LivestreamDoc } from '../livestream-doc';
import { type DocChanges } from '../signal-pipeline';
import { type LivestreamDocSink } from './livestream-doc-sink.port';

export interface ElasticsearchDocSinkOptions {
  /** Readers query the alias; the sink writes through it to the current index. Default `crest-livestreams`. */
  alias?: string;
  /** Dimensions of seller embeddings (dense_vector). Default 16. */
  embeddingDims?: number;
  /** Index refresh interval: bounds how soon a write is searchable. Default 500 ms. */
  refreshInterval?: string;
}

/**
 * Writes docs to Elasticsearch with the bulk helper. Versioning is external (`external_gte` on the doc's
 * `version`), so a doc built from older events never replaces a newer one, and a replayed doc with the
 * same version is a harmless rewrite. Conflicts (409) mean "a newer doc is there" and count as written.
 */
export class ElasticsearchDocSink implements LivestreamDocSink {
  readonly name = 'elasticsearch';
  readonly alias: string;
  private readonly options: Required<ElasticsearchDocSinkOptions>;

  constructor(
    private readonly client: Client,
    options: ElasticsearchDocSinkOptions = {},
  ) {
    this.options = { alias: 'crest-livestreams', embeddingDims: 16, refreshInterval: '500ms', ...options };
    this.alias = this.options.alias;
  }

  /** Creates the index template, the first index and the alias when they do not exist. */
  async ensureIndex(): Promise<void> {
    await this.ensureTemplate();
    const exists = await this.client.indices.existsAlias({ name: this.alias });
    if (!exists)
      await this.client.indices.create({
        index: `${this.alias}-v1`,
        aliases: { [this.alias]: { is_write_index: true } },
      });
  }

  /** How soon a write becomes searchable, as the template sets it. */
  get refreshInterval(): string {
    return this.options.refreshInterval;
  }

  /** Creates or updates the template every `<alias>-*` index is made from (mappings and settings). */
  async ensureTemplate(): Promise<void> {
    const { alias, embeddingDims, refreshInterval } = this.options;
    await this.client.indices.putIndexTemplate({
      name: `${alias}-template`,
      index_patterns: [`${alias}-*`],
      template: {
        settings: { number_of_shards: 1, number_of_replicas: 0, refresh_interval: refreshInterval },
        mappings: {
          dynamic: 'false',
          properties: {
            livestreamId: { type: 'keyword' },
            sellerId: { type: 'keyword' },
            status: { type: 'keyword' },
            title: { type: 'text' },
            categoryIds: { type: 'keyword' },
            startedAt: { type: 'date' },
            endedAt: { type: 'date' },
            lastEventAt: { type: 'date' },
            asOf: { type: 'date' },
            currentViewers: { type: 'integer' },
            momentum: { type: 'float' },
            hotness: { type: 'float' },
            auction: {
              properties: {
                auctionId: { type: 'keyword' },
                currentBidMinor: { type: 'long' },
                endsAt: { type: 'date' },
              },
            },
            giveaway: { properties: { giveawayId: { type: 'keyword' }, endsAt: { type: 'date' } } },
            signals: { type: 'object', dynamic: 'true' },
            seller: {
              properties: {
                score: { type: 'float' },
                // Plain HNSW, not the int8 quantization 8.x picks by default: at a few dozen dimensions the
                // float vectors cost little, and quantized scores would differ from the other backends'.
                embedding: {
                  type: 'dense_vector',
                  dims: embeddingDims,
                  index: true,
                  similarity: 'cosine',
                  index_options: { type: 'hnsw' },
                },
              },
            },
            version: { type: 'long' },
          },
        },
      },
    });
  }

  async write(changes: DocChanges): Promise<void> {
    if (changes.upserts.length === 0 && changes.deletions.length === 0) return;
    const failures: string[] = [];
    type Item = { kind: 'upsert'; doc: LivestreamDoc } | { kind: 'delete'; id: string };
    const items: Item[] = [
      ...changes.upserts.map((doc) => ({ kind: 'upsert' as const, doc })),
      ...changes.deletions.map((id) => ({ kind: 'delete' as const, id })),
    ];
    await this.client.helpers.bulk<Item>({
      datasource: items,
      flushBytes: 5_000_000,
      concurrency: 2,
      retries: 3,
      wait: 200,
      refreshOnCompletion: false,
      onDocument: (item) =>
        item.kind === 'upsert'
          ? [
              {
                index: {
                  _index: this.alias,
                  _id: item.doc.livestreamId,
                  version: item.doc.version,
                  version_type: 'external_gte',
                },
              },
              withoutNullEmbedding(item.doc),
            ]
          : { delete: { _index: this.alias, _id: item.id } },
      onDrop: (drop) => {
        // 409: a newer version is already indexed. 404 on delete: already gone. Both are the desired end state.
        if (drop.status === 409 || drop.status === 404) return;
        failures.push(`${drop.status} ${JSON.stringify(drop.error)}`);
      },
    });
    if (failures.length > 0)
      throw new Error(`Elasticsearch rejected ${failures.length} docs: ${failures.slice(0, 3).join('; ')}`);
  }
}

// dense_vector refuses null; a doc without seller features simply has no embedding field.
function withoutNullEmbedding(doc: LivestreamDoc): object {
  if (doc.seller.embedding) return doc;
  return { ...doc, seller: { score: doc.seller.score } };
}

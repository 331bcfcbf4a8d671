import { randomUUID } from 'node:crypto';

import { ElasticsearchDocSink, type LivestreamDoc } from '@crest/signals';
import { Client } from '@elastic/elasticsearch';

import { describeRetrieverContract } from '../retriever.contract';
import { ElasticsearchRetriever } from './elasticsearch.retriever';

const node = process.env['ELASTICSEARCH_URL'] ?? 'http://127.0.0.1:9200';

describeRetrieverContract('elasticsearch', () => {
  const client = new Client({ node });
  const aliases: string[] = [];
  return {
    async load(docs: LivestreamDoc[]) {
      // A fresh alias per load: the contract replaces what the backend held.
      const alias = `crest-int-retrieval-${randomUUID().slice(0, 8)}`;
      aliases.push(alias);
      // The contract's embeddings have 4 dimensions.
      const sink = new ElasticsearchDocSink(client, { alias, embeddingDims: 4 });
      await sink.ensureIndex();
      await sink.write({ upserts: docs, deletions: [], userSignals: [] });
      await client.indices.refresh({ index: alias });
      return new ElasticsearchRetriever(client, { index: alias });
    },
    async close() {
      for (const alias of aliases) {
        await client.indices.delete({ index: `${alias}-*`, ignore_unavailable: true });
        await client.indices.deleteIndexTemplate({ name: `${alias}-template` });
      }
      await client.close();
    },
  };
});

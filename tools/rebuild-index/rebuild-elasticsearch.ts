/**
 * Rebuilds the Elasticsearch index of live streams from the compacted state topic: after the index was
 * wiped or corrupted, or to apply a changed mapping. Safe while the ingestor runs (see
 * rebuildElasticsearchIndex): readers keep the old index until the alias moves.
 *   npx tsx tools/rebuild-index/rebuild-elasticsearch.ts [--alias crest-livestreams] [--state-topic discovery.livestream-state.v1]
 * Env: KAFKA_BROKERS (default 127.0.0.1:9092), ELASTICSEARCH_URL (default http://127.0.0.1:9200).
 */
import { parseArgs } from 'node:util';

import { LIVESTREAM_STATE_TOPIC } from '@crest/event-schemas';
import { KafkaEventBus } from '@crest/messaging';
import { rebuildElasticsearchIndex } from '@crest/signals';
import { Client } from '@elastic/elasticsearch';

const { values } = parseArgs({
  options: {
    alias: { type: 'string', default: 'crest-livestreams' },
    'state-topic': { type: 'string', default: LIVESTREAM_STATE_TOPIC },
  },
});
if (!/^[a-z0-9._-]+$/.test(values.alias)) {
  console.error(`--alias must be a lowercase index name (got "${values.alias}")`);
  process.exit(2);
}

const bus = new KafkaEventBus({
  brokers: (process.env['KAFKA_BROKERS'] ?? '127.0.0.1:9092').split(','),
  clientId: 'crest-rebuild-elasticsearch',
});
const client = new Client({ node: process.env['ELASTICSEARCH_URL'] ?? 'http://127.0.0.1:9200' });
rebuildElasticsearchIndex({
  bus,
  client,
  alias: values.alias,
  stateTopic: values['state-topic'],
  onProgress: (message) => console.error(`[rebuild] ${message}`),
})
  .then((report) => console.log(JSON.stringify(report)))
  .catch((error: unknown) => {
    console.error(`[rebuild] failed: ${(error as Error).message}`);
    process.exitCode = 1;
  })
  .finally(() => Promise.all([bus.close(), client.close()]));

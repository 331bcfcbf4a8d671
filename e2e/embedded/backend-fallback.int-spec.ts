import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { Client } from '@elastic/elasticsearch';

import { eventually, FeedApiProcess, payloadWithBudgets } from '../app-process';

/**
 * feed-api in embedded mode with Elasticsearch as every carousel's fallback (its signal pipeline indexes
 * the simulated marketplace there too), and the memory backend switched off by the operator's kill switch:
 * every carousel must be served by the fallback, say so, and still fill.
 */
const elasticsearchUrl = process.env['ELASTICSEARCH_URL'] ?? 'http://127.0.0.1:9200';
const alias = `crest-e2e-fallback-${randomUUID().slice(0, 8)}`;

interface CarouselNode {
  id: string;
  servedBy: { retrieval: string | null; retrievalReason: string | null; ranking: string | null };
  items: { edges: Array<{ node: { id: string; status: string } }> };
}
const HOME = `{ homeFeed(first: 10) { edges { node {
  id servedBy { retrieval retrievalReason ranking }
  items { edges { node { id status } } }
} } } }`;

describe('home feed end to end, memory backend forced off (real Elasticsearch as the fallback)', () => {
  let feed: FeedApiProcess | undefined;
  const es = new Client({ node: elasticsearchUrl });

  const payloadFile = join(tmpdir(), `${alias}.json`);

  afterAll(async () => {
    await feed?.stop();
    rmSync(payloadFile, { force: true });
    await es.indices.delete({ index: `${alias}-*`, ignore_unavailable: true });
    await es.indices.deleteIndexTemplate({ name: `${alias}-template` }).catch(() => undefined);
    await es.close();
  });

  it('serves every carousel from the fallback, says why, and still answers with live streams', async () => {
    feed = await FeedApiProcess.startFeedApi(29_721, {
      SIMULATOR_EVENTS_PER_SECOND: '1000',
      SIMULATOR_LIVE_STREAMS: '300',
      GROWTHBOOK_PAYLOAD_FILE: payloadWithBudgets(payloadFile),
      RATE_LIMIT_PER_SECOND: '0',
      ELASTICSEARCH_URL: elasticsearchUrl,
      ELASTICSEARCH_INDEX_ALIAS: alias,
      RETRIEVAL_BACKENDS_OFF: 'memory',
    });
    const carousels = await eventually(
      'a feed whose carousels have items',
      async () => {
        const answer = await feed!.graphql<{ homeFeed: { edges: Array<{ node: CarouselNode }> } }>(HOME);
        const nodes = answer.data?.homeFeed.edges.map((e) => e.node) ?? [];
        return nodes.length > 0 && nodes.every((c) => c.items.edges.length > 0) ? nodes : undefined;
      },
      30_000,
      250,
    );

    for (const carousel of carousels) {
      expect(carousel.servedBy).toEqual({
        retrieval: 'elasticsearch',
        retrievalReason: 'fallback-circuit-open',
        ranking: 'in-process',
      });
      for (const { node } of carousel.items.edges) expect(node.status).toBe('live');
    }
    const metrics = await fetch(`${feed.url}/metrics`).then((r) => r.text());
    expect(metrics).toMatch(/crest_retrieval_circuit_state\{backend="memory"\} 3/);
  });
});

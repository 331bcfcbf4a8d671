import { randomUUID } from 'node:crypto';

import { Client } from '@elastic/elasticsearch';

import { type LivestreamDoc } from '../livestream-doc';
import { bidAt, chatAt, STREAM } from '../scenarios/scenario-events';
import { SignalPipeline } from '../signal-pipeline';
import { ElasticsearchDocSink } from './elasticsearch-doc.sink';

const node = process.env['ELASTICSEARCH_URL'] ?? 'http://127.0.0.1:9200';

describe('ElasticsearchDocSink on a real Elasticsearch', () => {
  const client = new Client({ node });
  const alias = `crest-int-livestreams-${randomUUID().slice(0, 8)}`;
  const sut = new ElasticsearchDocSink(client, { alias });

  beforeAll(() => sut.ensureIndex());
  afterAll(async () => {
    await client.indices.delete({ index: `${alias}-*`, ignore_unavailable: true });
    await client.indices.deleteIndexTemplate({ name: `${alias}-template` });
    await client.close();
  });

  const docAfter = (events: Parameters<SignalPipeline['ingest']>[0]): LivestreamDoc => {
    const pipeline = new SignalPipeline();
    pipeline.ingest(events);
    return pipeline.doc(STREAM)!;
  };

  it('creates the index behind an alias, idempotently', async () => {
    await sut.ensureIndex();
    const aliases = await client.indices.getAlias({ name: alias });
    expect(Object.keys(aliases)).toEqual([`${alias}-v1`]);
  });

  it('indexes docs, keeps the newer when an older one arrives, and deletes', async () => {
    const older = docAfter([bidAt(10), chatAt(20)]);
    const newer = docAfter([bidAt(10), chatAt(20), bidAt(30), bidAt(31)]);
    await sut.write({ upserts: [newer], deletions: [], userSignals: [] });
    await sut.write({ upserts: [older], deletions: [], userSignals: [] });
    await client.indices.refresh({ index: alias });
    const stored = await client.get<LivestreamDoc>({ index: alias, id: STREAM });
    expect([stored._version, stored._source?.signals['bids']?.['1m']]).toEqual([newer.version, 3]);

    const sameAgain = docAfter([bidAt(10), chatAt(20), bidAt(30), bidAt(31)]);
    await expect(
      sut.write({ upserts: [sameAgain], deletions: [], userSignals: [] }),
    ).resolves.toBeUndefined();

    await sut.write({ upserts: [], deletions: [STREAM, 'never-indexed'], userSignals: [] });
    await client.indices.refresh({ index: alias });
    expect(await client.exists({ index: alias, id: STREAM })).toBe(false);
  });

  it('finds live docs by category, hottest first', async () => {
    const quiet = {
      ...docAfter([chatAt(10)]),
      livestreamId: 'quiet',
      hotness: 0.5,
      status: 'live' as const,
      categoryIds: ['trading-cards'],
    };
    const busy = {
      ...docAfter([chatAt(10)]),
      livestreamId: 'busy',
      hotness: 4.2,
      status: 'live' as const,
      categoryIds: ['trading-cards'],
    };
    await sut.write({ upserts: [quiet, busy], deletions: [], userSignals: [] });
    await client.indices.refresh({ index: alias });
    const result = await client.search<LivestreamDoc>({
      index: alias,
      query: {
        bool: { filter: [{ term: { status: 'live' } }, { terms: { categoryIds: ['trading-cards'] } }] },
      },
      sort: [{ hotness: 'desc' }],
    });
    expect(result.hits.hits.map((h) => h._id)).toEqual(['busy', 'quiet']);
  });
});

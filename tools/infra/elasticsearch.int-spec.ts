import { randomUUID } from 'node:crypto';

import { Client, errors, type estypes } from '@elastic/elasticsearch';

const node = process.env['ELASTICSEARCH_URL'] ?? 'http://127.0.0.1:9200';

describe('Elasticsearch from tools/infra', () => {
  const sut = new Client({ node });
  const index = `crest-int-${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    await sut.indices.create({
      index,
      settings: { number_of_shards: 1, number_of_replicas: 0, refresh_interval: '1s' },
      mappings: {
        properties: {
          status: { type: 'keyword' },
          categoryIds: { type: 'keyword' },
          momentum: { type: 'float' },
          title: { type: 'text' },
        },
      },
    });
  });

  afterAll(async () => {
    await sut.indices.delete({ index, ignore_unavailable: true });
    await sut.close();
  });

  it('is healthy', async () => {
    expect(['green', 'yellow']).toContain((await sut.cluster.health()).status);
  });

  it('indexes, updates with external versions, refuses an older version, and searches', async () => {
    const doc = (momentum: number, status = 'live') => ({
      status,
      categoryIds: ['sneakers'],
      momentum,
      title: 'Air max drop',
    });
    await sut.index({ index, id: 'stream-a', version: 10, version_type: 'external', document: doc(1) });
    await sut.index({ index, id: 'stream-b', version: 10, version_type: 'external', document: doc(5) });
    await sut.index({
      index,
      id: 'stream-c',
      version: 10,
      version_type: 'external',
      document: doc(9, 'ended'),
    });
    await sut.index({ index, id: 'stream-a', version: 12, version_type: 'external', document: doc(7) });

    const stale = sut.index({
      index,
      id: 'stream-a',
      version: 11,
      version_type: 'external',
      document: doc(0),
    });
    await expect(stale).rejects.toBeInstanceOf(errors.ResponseError);
    await expect(stale).rejects.toMatchObject({ meta: { statusCode: 409 } });

    await sut.indices.refresh({ index });
    const byMomentum: estypes.QueryDslQueryContainer = {
      function_score: {
        query: {
          bool: { filter: [{ term: { status: 'live' } }, { terms: { categoryIds: ['sneakers'] } }] },
        },
        functions: [{ field_value_factor: { field: 'momentum', missing: 0 } }],
        boost_mode: 'replace',
      },
    };
    const result = await sut.search<{ momentum: number }>({ index, query: byMomentum });
    expect(result.hits.hits.map((hit) => [hit._id, hit._version ?? null, hit._source?.momentum])).toEqual([
      ['stream-a', null, 7],
      ['stream-b', null, 5],
    ]);
    expect((await sut.get({ index, id: 'stream-a' }))._version).toBe(12);
  });
});

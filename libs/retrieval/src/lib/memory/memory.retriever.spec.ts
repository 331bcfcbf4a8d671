import { describeRetrieverContract } from '../retriever.contract';
import { LivestreamIndex } from './livestream-index';
import { MemoryRetriever } from './memory.retriever';

describeRetrieverContract('memory', () => ({
  async load(docs) {
    const index = new LivestreamIndex();
    await index.write({ upserts: docs, deletions: [] });
    return new MemoryRetriever(index);
  },
}));

describe('MemoryRetriever', () => {
  it('rejects at once when the signal is already aborted', async () => {
    const sut = new MemoryRetriever(new LivestreamIndex());
    const controller = new AbortController();
    controller.abort();

    await expect(
      sut.retrieve(
        { userId: 'u', followedSellers: [], categoryAffinities: {}, strategy: 'trending', limit: 5, now: 0 },
        { signal: controller.signal },
      ),
    ).rejects.toThrow('aborted');
  });
});

import { randomUUID } from 'node:crypto';

import { describeRetrieverContract } from '../retriever.contract';
import { LocalRocksetServer } from './local-rockset-server';
import { RocksetRetriever } from './rockset.retriever';
import { RocksetDocSink } from './rockset-doc.sink';

const API_KEY = 'contract-key';

describeRetrieverContract('rockset', () => {
  let server: LocalRocksetServer | undefined;
  return {
    async load(docs) {
      server ??= await LocalRocksetServer.start({ apiKey: API_KEY });
      // A fresh workspace per load: the contract replaces what the backend held.
      const connection = {
        apiKey: API_KEY,
        host: server.url,
        workspace: `contract_${randomUUID().slice(0, 8)}`,
      };
      await new RocksetDocSink(connection).write({ upserts: docs, deletions: [] });
      return new RocksetRetriever(connection);
    },
    async close() {
      await server?.close();
    },
  };
});

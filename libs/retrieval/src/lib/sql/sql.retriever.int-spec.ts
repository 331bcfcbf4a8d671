import { randomUUID } from 'node:crypto';

import { describeRetrieverContract } from '../retriever.contract';
import { SqlRetriever } from './sql.retriever';
import { SqlDocSink } from './sql-doc.sink';
import { SqlStore } from './sql-store';

export const PULL_MODEL_DATABASE_URL =
  process.env['PULL_MODEL_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';

describeRetrieverContract('sql', () => {
  const stores: SqlStore[] = [];
  return {
    async load(docs) {
      // A fresh schema per load: the contract replaces what the backend held.
      const store = new SqlStore({
        connectionString: PULL_MODEL_DATABASE_URL,
        schema: `crest_contract_${randomUUID().slice(0, 8)}`,
      });
      stores.push(store);
      await store.migrate();
      await new SqlDocSink(store).write({ upserts: docs, deletions: [] });
      return new SqlRetriever(store);
    },
    async close() {
      for (const store of stores) {
        await store.dropSchema();
        await store.close();
      }
    },
  };
});

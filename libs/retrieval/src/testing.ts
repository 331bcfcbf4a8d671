export * from './lib/retriever.contract';

export * from './lib/resilience/faulty-retriever';
export * from './lib/retriever.contract';
export * from './lib/rockset/local-rockset-server';
export * from './lib/simulated-retrieval-data';

export * from './lib/resilience/faulty-retriever';
export * from './lib/retriever.contract';
export * from './lib/simulated-retrieval-data';

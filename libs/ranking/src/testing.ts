export * from './lib/ranking.fixtures';

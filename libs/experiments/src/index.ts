export * from './lib/experiments';
export * from './lib/exposure-log';
export * from './lib/home-feed-config';

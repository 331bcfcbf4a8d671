export * from './lib/carousel-pipeline';
export * from './lib/feed-context';
export * from './lib/home-feed-composer';
export * from './lib/home-feed-explanation';

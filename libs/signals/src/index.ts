export * from './lib/livestream-doc';
export * from './lib/livestream-state';
export * from './lib/signal-definitions';
export * from './lib/signal-pipeline';
export * from './lib/windows/distinct-counter';
export * from './lib/windows/signal-series';
export * from './lib/windows/window.constants';

export * from './lib/base-app.config';
export * from './lib/bootstrap';
export * from './lib/config-validators';
export * from './lib/health.controller';
export * from './lib/load-config';
export * from './lib/platform.module';
export * from './lib/scrape-gauge';

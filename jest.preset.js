// Shared Jest settings for every project. Nest 12 ships ESM only and Jest cannot load ESM from
// node_modules untransformed, so swc transforms both our TypeScript and those packages.
const nxPreset = require('@nx/jest/preset').default;

/** @type {import('@swc/core').Config} */
const swcConfig = {
  jsc: {
    parser: { syntax: 'typescript', decorators: true, dynamicImport: true },
    transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
    target: 'es2022',
    keepClassNames: true,
  },
  module: { type: 'commonjs' },
  sourceMaps: 'inline',
};

const esmOnlyPackages = [
  '@nestjs',
  '@fastify',
  'fastify',
  'content-disposition',
  'cookie',
  'file-type',
  'strtok3',
  'token-types',
  'uint8array-extras',
];

module.exports = {
  ...nxPreset,
  testEnvironment: 'node',
  transform: {
    '^.+\\.(t|j|mj)s$': ['@swc/jest', swcConfig],
  },
  transformIgnorePatterns: [`/node_modules/(?!(${esmOnlyPackages.join('|')})/)`],
  moduleFileExtensions: ['ts', 'js', 'mjs', 'json'],
  testMatch: ['**/?(*.)+(spec).ts'],
  reporters: ['default', require.resolve('./tools/jest/results-file-reporter.js')],
  collectCoverageFrom: ['src/**/*.ts', '!src/**/*.spec.ts', '!src/main.ts'],
};

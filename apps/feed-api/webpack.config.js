const { NxAppWebpackPlugin } = require('@nx/webpack/app-plugin');
const { join } = require('node:path');

// Node dependencies stay external (Nest 12 is ESM and loads through Node's require(esm)); only our own
// TypeScript, including the libs, is compiled into the bundle. tsc keeps the decorator metadata Nest needs.
module.exports = {
  output: { path: join(__dirname, '../../dist/apps/feed-api') },
  plugins: [
    new NxAppWebpackPlugin({
      target: 'node',
      compiler: 'tsc',
      main: './src/main.ts',
      tsConfig: './tsconfig.app.json',
      optimization: false,
      outputHashing: 'none',
      generatePackageJson: false,
      sourceMap: true,
    }),
  ],
};

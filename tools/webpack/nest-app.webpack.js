const { NxAppWebpackPlugin } = require('@nx/webpack/app-plugin');
const { join } = require('node:path');

/**
 * Webpack config of a Nest app in apps/<name>. Node dependencies stay external (Nest 12 is ESM and loads
 * through Node's require(esm)); only our TypeScript, libs included, goes into the bundle. The tsc compiler
 * keeps the decorator metadata Nest's injection needs (esbuild would drop it).
 */
function nestAppWebpackConfig(appDir, { assets = [] } = {}) {
  const name = require('node:path').basename(appDir);
  return {
    output: { path: join(appDir, '../../dist/apps', name) },
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
        // Files an app serves as they are (admin's console pages), copied to dist/apps/<name>/assets.
        assets,
      }),
    ],
  };
}

module.exports = { nestAppWebpackConfig };

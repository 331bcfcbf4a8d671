const { nestAppWebpackConfig } = require('../../tools/webpack/nest-app.webpack');

// The console's pages, and uPlot (its chart) beside them: the bundle serves them from dist/apps/admin/assets.
module.exports = nestAppWebpackConfig(__dirname, {
  assets: [
    './src/assets',
    { glob: 'uPlot.{iife.min.js,min.css}', input: 'node_modules/uplot/dist', output: 'assets/console' },
  ],
});

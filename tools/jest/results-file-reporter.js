// Writes each project's test counts next to its coverage output, which Nx declares as the test target's
// output. So a cached test run restores the file too, and the workspace summary adds up every project.
const { mkdirSync, writeFileSync } = require('node:fs');
const { join, relative } = require('node:path');

const workspaceRoot = join(__dirname, '../..');

class ResultsFileReporter {
  constructor(globalConfig, options = {}) {
    this.rootDir = globalConfig.rootDir;
    this.suffix = options.suffix ? `-${options.suffix}` : '';
  }

  onRunComplete(_contexts, results) {
    const dir = join(workspaceRoot, 'coverage', relative(workspaceRoot, this.rootDir));
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, `test-results${this.suffix}.json`),
      JSON.stringify({
        project: `${relative(workspaceRoot, this.rootDir)}${this.suffix ? ` (${this.suffix.slice(1)})` : ''}`,
        passed: results.numPassedTests,
        failed: results.numFailedTests,
        skipped: results.numPendingTests + results.numTodoTests,
        suitesFailed: results.numFailedTestSuites + results.numRuntimeErrorTestSuites,
      }),
    );
  }
}

module.exports = ResultsFileReporter;

// Writes each project's test counts next to its coverage output, which Nx declares as the test target's
// output. So a cached test run restores the file too, and the workspace summary adds up every project.
const { mkdirSync, writeFileSync } = require('node:fs');
const { join, relative } = require('node:path');

const workspaceRoot = join(__dirname, '../..');

class ResultsFileReporter {
  constructor(globalConfig) {
    this.rootDir = globalConfig.rootDir;
  }

  onRunComplete(_contexts, results) {
    const dir = join(workspaceRoot, 'coverage', relative(workspaceRoot, this.rootDir));
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, 'test-results.json'),
      JSON.stringify({
        project: relative(workspaceRoot, this.rootDir),
        passed: results.numPassedTests,
        failed: results.numFailedTests,
        skipped: results.numPendingTests + results.numTodoTests,
        suitesFailed: results.numFailedTestSuites + results.numRuntimeErrorTestSuites,
      }),
    );
  }
}

module.exports = ResultsFileReporter;

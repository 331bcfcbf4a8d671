// Proves the module-boundary rule bites: writes imports that the tags forbid into real projects, lints
// them, and fails unless ESLint reports @nx/enforce-module-boundaries for each. The files are removed after.
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { ESLint } from 'eslint';

const root = join(import.meta.dirname, '../..');
const cases = [
  {
    why: 'a types lib importing a util lib',
    file: 'libs/event-schemas/src/lib/__boundary-probe__.ts',
    code: "import { loadConfig } from '@crest/platform';\n\nexport const probe = loadConfig;\n",
    expect: 'tagged with "type:types" can only depend on libs tagged with "type:types"',
  },
  {
    why: 'a util lib importing an adapter',
    file: 'libs/platform/src/lib/__boundary-probe__.ts',
    code: "import { InProcessEventBus } from '@crest/messaging';\n\nexport const probe = InProcessEventBus;\n",
    expect: 'tagged with "type:util" can only depend on libs tagged with "type:util", "type:types"',
  },
  {
    why: 'an app reaching into another app by path',
    file: 'apps/admin/src/app/__boundary-probe__.ts',
    code: "import { loadFeedApiConfig } from '../../../feed-api/src/app/feed-api.config';\n\nexport const probe = loadFeedApiConfig;\n",
    expect: 'Projects cannot be imported by a relative or absolute path',
  },
];

const eslint = new ESLint({ cwd: root });
let failures = 0;
for (const probe of cases) {
  const path = join(root, probe.file);
  writeFileSync(path, probe.code);
  try {
    const [result] = await eslint.lintFiles([path]);
    const hits = result.messages.filter(
      (m) => m.ruleId === '@nx/enforce-module-boundaries' && m.message.includes(probe.expect),
    );
    if (hits.length > 0) console.log(`ok   refused ${probe.why}: ${hits[0].message.split('\n')[0]}`);
    else {
      failures++;
      console.error(`FAIL ${probe.why} was not refused (${JSON.stringify(result.messages)})`);
    }
  } finally {
    rmSync(path, { force: true });
  }
}
process.exit(failures > 0 ? 1 : 0);

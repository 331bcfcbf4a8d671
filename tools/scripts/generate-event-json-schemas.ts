/**
 * Writes one JSON Schema file per event type and version to libs/event-schemas/json-schema, generated from
 * the event classes. `--check` exits non-zero when the committed files differ from what would be written.
 */
import 'reflect-metadata';

import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { eventJsonSchemas } from '@crest/event-schemas';

const outDir = join(__dirname, '../../libs/event-schemas/json-schema');
const check = process.argv.includes('--check');

const expected = new Map(
  Object.entries(eventJsonSchemas()).map(([key, schema]) => [
    `${key}.schema.json`,
    `${JSON.stringify(schema, null, 2)}\n`,
  ]),
);

if (check) {
  const present = new Set(readdirSync(outDir).filter((f) => f.endsWith('.schema.json')));
  const stale = [...expected].filter(
    ([file, text]) => !present.has(file) || readFileSync(join(outDir, file), 'utf8') !== text,
  );
  const extra = [...present].filter((file) => !expected.has(file));
  if (stale.length || extra.length) {
    console.error(
      `JSON Schemas are out of date (${[...stale.map(([f]) => f), ...extra].join(', ')}). ` +
        'Run `npx nx run event-schemas:generate-json-schema` and commit the result.',
    );
    process.exit(1);
  }
  console.log(`${expected.size} JSON Schemas up to date`);
} else {
  mkdirSync(outDir, { recursive: true });
  for (const file of readdirSync(outDir)) if (file.endsWith('.schema.json')) rmSync(join(outDir, file));
  for (const [file, text] of expected) writeFileSync(join(outDir, file), text);
  console.log(`wrote ${expected.size} JSON Schemas to ${outDir}`);
}

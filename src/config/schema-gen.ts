// node dist/src/config/schema-gen.js --write | --check
// Writes config.schema.json from the real distribution, or fails when the checked-in file is stale.
import { parseArgs } from 'node:util';
import { loadDistribution, SCHEMA_FILE, schemaFileState, writeSchemaFile } from './schema-file.js';

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { write: { type: 'boolean' }, check: { type: 'boolean' } } });
  if (values.write === values.check) {
    process.stderr.write('usage: schema-gen (--write | --check)\n');
    return 2;
  }
  const distribution = await loadDistribution();
  if (distribution === undefined) {
    process.stderr.write('schema-gen: src/distribution.ts is not built yet (dist/src/distribution.js is missing)\n');
    return 1;
  }
  if (values.write === true) {
    writeSchemaFile(distribution);
    process.stdout.write(`wrote ${SCHEMA_FILE}\n`);
    return 0;
  }
  const state = schemaFileState(distribution);
  switch (state.kind) {
    case 'fresh':
      return 0;
    case 'missing':
      process.stderr.write(`${SCHEMA_FILE} is missing; run \`npm run schema\`\n`);
      return 1;
    case 'stale':
      process.stderr.write(
        `${SCHEMA_FILE} is stale (first difference at line ${state.firstDifferentLine}); run \`npm run schema\`\n`,
      );
      return 1;
  }
}

process.exitCode = await main();

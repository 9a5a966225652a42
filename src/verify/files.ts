// Reading the verifier's rule files (schema files, statsd_exporter mappings) with input errors that name the file.
import { readFileSync } from 'node:fs';
import { VerifyInputError } from './input.js';
import { parseMappingFile, parseSchemaFile, type RenameRules, type StatsdMappingRule } from './normalize.js';

function readText(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new VerifyInputError(
      `cannot read ${what} ${file}: ${code === 'ENOENT' ? 'no such file' : (e as Error).message}`,
    );
  }
}

export function readSchema(file: string, into: RenameRules): RenameRules {
  return parseSchemaFile(readText(file, 'schema file'), file, into);
}

export function readMapping(file: string): StatsdMappingRule[] {
  return parseMappingFile(readText(file, 'mapping file'), file);
}

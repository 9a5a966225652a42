// The checked-in config.schema.json: rendering it from a distribution, and the drift check.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { buildJsonSchema } from './json-schema.js';
import type { Distribution } from './sections.js';

/** `config.schema.json` at the repo root (this module runs from dist/src/config/). */
export const SCHEMA_FILE = fileURLToPath(new URL('../../../config.schema.json', import.meta.url));

export function renderJsonSchema(distribution: Distribution): string {
  return `${JSON.stringify(buildJsonSchema(distribution), null, 2)}\n`;
}

export type SchemaFileState =
  | { readonly kind: 'fresh' }
  | { readonly kind: 'missing' }
  | { readonly kind: 'stale'; readonly firstDifferentLine: number };

export function schemaFileState(distribution: Distribution, path: string = SCHEMA_FILE): SchemaFileState {
  if (!existsSync(path)) return { kind: 'missing' };
  const want = renderJsonSchema(distribution);
  const have = readFileSync(path, 'utf8');
  if (have === want) return { kind: 'fresh' };
  const a = have.split('\n');
  const b = want.split('\n');
  const line = a.findIndex((l, i) => l !== b[i]);
  return { kind: 'stale', firstDifferentLine: (line < 0 ? Math.min(a.length, b.length) : line) + 1 };
}

export function writeSchemaFile(distribution: Distribution, path: string = SCHEMA_FILE): void {
  writeFileSync(path, renderJsonSchema(distribution));
}

/**
 * The real distribution (src/distribution.ts, `export const distribution`), or undefined while
 * that module does not exist yet. Loaded dynamically so this layer does not depend on it.
 */
export async function loadDistribution(): Promise<Distribution | undefined> {
  const url = new URL('../distribution.js', import.meta.url);
  if (!existsSync(fileURLToPath(url))) return undefined;
  const mod: unknown = await import(url.href);
  const candidate = isRecord(mod) ? mod['distribution'] : undefined;
  if (!isDistribution(candidate))
    throw new Error(`${url.pathname} does not export a Distribution named "distribution"`);
  return candidate;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function isDistribution(value: unknown): value is Distribution {
  return (
    isRecord(value) && ['receivers', 'processors', 'exporters', 'extensions'].every((k) => Array.isArray(value[k]))
  );
}

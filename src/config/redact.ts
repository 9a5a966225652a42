// Secrets out of anything shown to a person (print-config, status pages, logs): values whose
// schema says `x-sensitive: true`, and every value of a `headers` map. For a component whose
// type is unknown there is no schema, so keys that look like secrets are redacted instead.
import type { AnyFactory } from '../component/component.js';
import { parseComponentId } from '../component/id.js';
import { isPlainObject } from './located.js';
import { childSchemas, isSensitive, type SchemaObject, SENSITIVE } from './schema-walk.js';
import { COMPONENT_SECTIONS, type Distribution, sectionFactories } from './sections.js';

export const REDACTED = '[REDACTED]';

const SECRET_NAME = /pass(word)?|secret|token|api_?key|authorization|credential|private_key/i;

/** A copy of a merged config with every secret replaced by "[REDACTED]". */
export function redactConfig(merged: unknown, distribution: Distribution): unknown {
  if (!isPlainObject(merged)) return structuredClone(merged);
  return mapObject(merged, (key, value) => {
    const section = COMPONENT_SECTIONS.find((s) => s === key);
    return section !== undefined && isPlainObject(value)
      ? redactSection(value, sectionFactories(distribution, section))
      : redactValue(value, []);
  });
}

function redactSection(components: Record<string, unknown>, factories: readonly AnyFactory[]): unknown {
  return mapObject(components, (key, value) => {
    const id = parseComponentId(key);
    const factory = typeof id === 'string' ? undefined : factories.find((f) => f.type === id.type);
    return redactValue(value, factory === undefined ? undefined : [factory.configSchema as SchemaObject]);
  });
}

/** `schemas` undefined means "no schema known": fall back to secret-looking key names. */
function redactValue(value: unknown, schemas: readonly SchemaObject[] | undefined): unknown {
  if (Array.isArray(value))
    return value.map((v, i) =>
      redactValue(
        v,
        schemas?.flatMap((s) => childSchemas(s, i)),
      ),
    );
  if (typeof value === 'string') return redactUrl(value);
  if (!isPlainObject(value)) return value;
  return mapObject(value, (key, v) => {
    const found = schemas?.flatMap((s) => childSchemas(s, key));
    // A schema that says nothing about the value (`{}`: free-form blocks such as discovery
    // configs) is no schema: fall back to secret-looking key names below it too.
    const children = found === undefined || found.every(isOpaque) ? undefined : found;
    const secret = children === undefined ? SECRET_NAME.test(key) : isSensitive(children);
    // Header names stay visible (they help debugging); their values may be credentials.
    if (key === 'headers' && isPlainObject(v)) return mapObject(v, (_, h) => hide(h));
    if (secret) return hide(v);
    return redactValue(v, children);
  });
}

/** A URL's password and query values may be credentials (`?api_key=...`): hide them, keep the
 * rest readable. Strings that are not absolute URLs with either part come back unchanged. */
export function redactUrl(text: string): string {
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(text) || !/[?@]/.test(text)) return text;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return text;
  }
  if (url.password !== '') url.password = REDACTED;
  if (url.search !== '') {
    const params = [...url.searchParams.keys()].map((k) => `${encodeURIComponent(k)}=${REDACTED}`);
    url.search = `?${params.join('&')}`;
  }
  return url.toString();
}

const STRUCTURE_KEYS = [
  SENSITIVE,
  'type',
  'properties',
  'patternProperties',
  'additionalProperties',
  'items',
  'anyOf',
  'oneOf',
  'allOf',
  'const',
  'enum',
];

function isOpaque(schema: SchemaObject): boolean {
  return !STRUCTURE_KEYS.some((k) => schema[k] !== undefined);
}

function hide(value: unknown): unknown {
  return value === null || value === undefined || value === '' ? value : REDACTED;
}

function mapObject(
  obj: Record<string, unknown>,
  fn: (key: string, value: unknown) => unknown,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(obj)) {
    Object.defineProperty(out, key, { value: fn(key, value), enumerable: true, writable: true, configurable: true });
  }
  return out;
}

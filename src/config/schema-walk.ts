// Reading JSON Schemas (as TypeBox builds them) alongside a value: which sub-schema applies to a
// key or an index, whether a position wants an object, whether a value is a secret.
import type { PathSegment } from './located.js';

export type SchemaObject = Readonly<Record<string, unknown>>;

/** The annotation that marks a secret: `Type.String({ 'x-sensitive': true })`. */
export const SENSITIVE = 'x-sensitive';

export function asSchema(value: unknown): SchemaObject | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as SchemaObject) : undefined;
}

function schemaList(value: unknown): SchemaObject[] {
  return Array.isArray(value) ? value.map(asSchema).filter((s) => s !== undefined) : [];
}

/** The schema and every branch of its anyOf/oneOf/allOf, recursively. */
export function branches(schema: SchemaObject | undefined): SchemaObject[] {
  if (schema === undefined) return [];
  const nested = [...schemaList(schema['anyOf']), ...schemaList(schema['oneOf']), ...schemaList(schema['allOf'])];
  return [schema, ...nested.flatMap(branches)];
}

/** Every sub-schema that may apply to `segment` of a value validated by `schema`. */
export function childSchemas(schema: SchemaObject | undefined, segment: PathSegment): SchemaObject[] {
  return branches(schema).flatMap((s) =>
    typeof segment === 'number' ? itemSchemas(s, segment) : propertySchemas(s, segment),
  );
}

function itemSchemas(schema: SchemaObject, index: number): SchemaObject[] {
  const items = schema['items'];
  if (Array.isArray(items)) return schemaList([items[index]]);
  const prefix = schema['prefixItems'];
  if (Array.isArray(prefix) && index < prefix.length) return schemaList([prefix[index]]);
  return schemaList([items]);
}

function propertySchemas(schema: SchemaObject, key: string): SchemaObject[] {
  const own = asSchema(schema['properties'])?.[key];
  if (own !== undefined) return schemaList([own]);
  const patterns = asSchema(schema['patternProperties']) ?? {};
  const matched = Object.entries(patterns)
    .filter(([pattern]) => safeRegExp(pattern)?.test(key) === true)
    .map(([, s]) => s);
  if (matched.length > 0) return schemaList(matched);
  return schemaList([schema['additionalProperties']]);
}

function safeRegExp(pattern: string): RegExp | undefined {
  try {
    return new RegExp(pattern, 'u');
  } catch {
    return undefined;
  }
}

function types(schema: SchemaObject): readonly unknown[] {
  const t = schema['type'];
  return Array.isArray(t) ? t : t === undefined ? [] : [t];
}

/** True when some branch declares `type` (so a null here can stand for "an empty object"). */
export function wantsType(schema: SchemaObject | undefined, type: string): boolean {
  return branches(schema).some((s) => types(s).includes(type));
}

export function acceptsNull(schema: SchemaObject | undefined): boolean {
  return branches(schema).some((s) => types(s).includes('null') || s['const'] === null || s['nullable'] === true);
}

export function isSensitive(schemas: readonly SchemaObject[]): boolean {
  return schemas.some((s) => branches(s).some((b) => b[SENSITIVE] === true));
}

// Defaults-then-overlay, as the Collector unmarshals: the factory's default config with the
// user's map laid over it. Maps merge, lists and scalars replace, and a null (`tls:`) keeps the
// default; where there is no default but the schema wants an object, a null becomes `{}` so the
// schema's own defaults fill it.
import { isPlainObject, type PathSegment } from './located.js';
import { acceptsNull, childSchemas, type SchemaObject, wantsType } from './schema-walk.js';

export function overlay(defaults: unknown, user: unknown, schema: SchemaObject | undefined): unknown {
  if (user === undefined) return clone(defaults);
  if (user === null) return nullValue(defaults, schema);
  if (Array.isArray(user)) return user.map((item, i) => overlay(undefined, item, childOf(schema, i)));
  if (!isPlainObject(user)) return user;
  const base = isPlainObject(defaults) ? defaults : {};
  const out: Record<string, unknown> = {};
  for (const key of new Set([...Object.keys(base), ...Object.keys(user)])) {
    const value = overlay(base[key], user[key], childOf(schema, key));
    if (value !== undefined)
      Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

function nullValue(defaults: unknown, schema: SchemaObject | undefined): unknown {
  if (defaults !== undefined && defaults !== null) return clone(defaults);
  return wantsType(schema, 'object') && !acceptsNull(schema) ? {} : null;
}

function childOf(schema: SchemaObject | undefined, segment: PathSegment): SchemaObject | undefined {
  return childSchemas(schema, segment)[0];
}

function clone<T>(value: T): T {
  return value === undefined ? value : structuredClone(value);
}

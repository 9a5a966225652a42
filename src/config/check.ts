// Validate a value against a JSON Schema with ajv (all errors, defaults filled in) and turn ajv's
// errors into short, actionable messages: unknown keys with the allowed ones and a guess, enums
// with their values, durations with the expected form. Secrets are never echoed.
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { isPlainObject, type Path, type PathSegment } from './located.js';
import { asSchema, type SchemaObject, SENSITIVE } from './schema-walk.js';
import { hint } from './suggest.js';

export interface SchemaProblem {
  /** Path below the validated value. */
  readonly path: Path;
  /** Whether the position to report is the key (an unknown key) or the value. */
  readonly at: 'key' | 'value';
  readonly message: string;
}

export interface CheckResult {
  /** The value with schema defaults filled in (ajv `useDefaults`). */
  readonly value: unknown;
  readonly problems: readonly SchemaProblem[];
}

/** For a value typed from a whole `${env:X}`, the substituted text (see LScalar.text). */
export type TextAt = (path: Path) => string | undefined;

const ajv = new Ajv({ allErrors: true, strict: false, useDefaults: true, verbose: true, logger: false });
ajv.addFormat('duration', true);
ajv.addFormat('endpoint', true);
const compiled = new WeakMap<object, ValidateFunction>();

function validator(schema: object): ValidateFunction {
  let fn = compiled.get(schema);
  if (fn === undefined) {
    fn = ajv.compile(schema);
    compiled.set(schema, fn);
  }
  return fn;
}

export function checkValue(schema: object, value: unknown, textAt: TextAt = () => undefined): CheckResult {
  const data = { root: structuredClone(value) };
  const validate = validator(schema);
  // An env value typed as a number where the schema wants a string is used as written (and a bare
  // `0` duration becomes "0"), then the value is validated again. Each round only turns non-strings into strings, so it ends; the
  // bound is a safety net.
  for (let round = 1; ; round++) {
    if (validate(data.root)) return { value: data.root, problems: [] };
    const errors = validate.errors ?? [];
    if (round === 8 || !useEnvText(data, errors, textAt)) {
      return { value: data.root, problems: describeAll(errors, data.root) };
    }
  }
}

function useEnvText(data: { root: unknown }, errors: readonly ErrorObject[], textAt: TextAt): boolean {
  let changed = false;
  for (const e of errors) {
    if (e.keyword !== 'type' || !typeList(e.params['type']).includes('string')) continue;
    const path = toPath(data.root, e.instancePath);
    // A bare YAML `0` where a duration is expected means "0" (the Collector accepts it).
    const zeroDuration = e.data === 0 && (e.parentSchema as SchemaObject | undefined)?.['format'] === 'duration';
    const text = zeroDuration ? '0' : textAt(path);
    if (text !== undefined && typeof e.data !== 'string') changed = setAt(data, path, text) || changed;
  }
  return changed;
}

function setAt(data: { root: unknown }, path: Path, value: string): boolean {
  if (path.length === 0) {
    data.root = value;
    return true;
  }
  let parent: unknown = data.root;
  for (const segment of path.slice(0, -1)) parent = (parent as Record<PathSegment, unknown> | undefined)?.[segment];
  const last = path[path.length - 1] as PathSegment;
  if (Array.isArray(parent) || isPlainObject(parent)) {
    (parent as Record<PathSegment, unknown>)[last] = value;
    return true;
  }
  return false;
}

/** `/protocols/grpc/0` -> ['protocols', 'grpc', 0] (indexes are numbers where the data is a list). */
function toPath(root: unknown, pointer: string): Path {
  if (pointer === '') return [];
  const out: PathSegment[] = [];
  let node = root;
  for (const raw of pointer.slice(1).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    const segment: PathSegment = Array.isArray(node) ? Number(key) : key;
    out.push(segment);
    node = (node as Record<PathSegment, unknown> | undefined)?.[segment];
  }
  return out;
}

// ------------------------------------------------------------------ messages

function describeAll(errors: readonly ErrorObject[], root: unknown): SchemaProblem[] {
  const kept = dropUnionNoise(errors);
  const seen = new Set<string>();
  const out: SchemaProblem[] = [];
  for (const e of kept) {
    const p = describe(e, toPath(root, e.instancePath));
    const id = `${p.path.join('\u0000')}\u0001${p.message}`;
    if (seen.has(id)) continue;
    seen.add(id);
    out.push(p);
  }
  return out;
}

/**
 * For a failed anyOf, keep the errors of a branch whose type matched (the user meant that one and
 * got something inside it wrong); when no branch matched, keep only the anyOf itself.
 */
function dropUnionNoise(errors: readonly ErrorObject[]): ErrorObject[] {
  const dropped = new Set<ErrorObject>();
  const unions = errors
    .filter((e) => e.keyword === 'anyOf' || e.keyword === 'oneOf')
    .sort((a, b) => a.schemaPath.length - b.schemaPath.length);
  for (const u of unions) {
    if (dropped.has(u)) continue;
    const byBranch = new Map<string, ErrorObject[]>();
    for (const e of errors) {
      if (e === u || !e.schemaPath.startsWith(`${u.schemaPath}/`)) continue;
      // The same schema validates every item of a list: keep to the errors of this union's data.
      if (e.instancePath !== u.instancePath && !e.instancePath.startsWith(`${u.instancePath}/`)) continue;
      const branch = e.schemaPath.slice(u.schemaPath.length + 1).split('/')[0] ?? '';
      byBranch.set(branch, [...(byBranch.get(branch) ?? []), e]);
    }
    // A union of maps told apart by their keys ({sum: {}} | {drop: {}} | ...): the key written picks
    // the branch. One branch picked: its errors are the ones that matter. None or several: only the
    // union itself is reported (unionMessage says which keys are allowed).
    const keyed = keyedBranches(u);
    if (keyed !== undefined && isPlainObject(u.data)) {
      const data = u.data;
      const picked = keyed.flatMap((required, i) => (required.every((k) => k in data) ? [String(i)] : []));
      for (const [branch, list] of byBranch) {
        if (picked.length !== 1 || branch !== picked[0]) for (const e of list) dropped.add(e);
      }
      if (picked.length === 1) dropped.add(u);
      continue;
    }
    const shallow = (list: readonly ErrorObject[]): boolean =>
      list.some((e) => e.instancePath === u.instancePath && ['type', 'const', 'enum'].includes(e.keyword));
    const deep = [...byBranch.values()].find((list) => !shallow(list));
    for (const list of byBranch.values()) {
      if (list !== deep) for (const e of list) dropped.add(e);
    }
    if (deep !== undefined) dropped.add(u);
  }
  return errors.filter((e) => !dropped.has(e));
}

function describe(e: ErrorObject, path: Path): SchemaProblem {
  const params: Readonly<Record<string, unknown>> = e.params;
  const parent = asSchema(e.parentSchema) ?? {};
  const secret = parent[SENSITIVE] === true || path[path.length - 2] === 'headers';
  const shown = show(e.data, secret);
  const value = (message: string): SchemaProblem => ({ path, at: 'value', message });
  switch (e.keyword) {
    case 'additionalProperties': {
      const key = String(params['additionalProperty']);
      return {
        path: [...path, key],
        at: 'key',
        message: `unknown key "${key}"${hint('allowed', key, allowedKeys(parent))}`,
      };
    }
    case 'required':
      return value(`missing required key "${String(params['missingProperty'])}"`);
    case 'type':
      return value(`must be ${typeList(params['type']).map(article).join(' or ')} (got ${shown})`);
    case 'enum':
      return value(notAllowed(e.data, Array.isArray(e.schema) ? e.schema : [], secret));
    case 'const':
      return value(notAllowed(e.data, [e.schema], secret));
    case 'anyOf':
    case 'oneOf':
      return value(unionMessage(e, secret));
    case 'pattern':
      return value(patternMessage(parent, String(params['pattern']), shown));
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return value(`must be ${String(params['comparison'])} ${String(params['limit'])} (got ${shown})`);
    case 'minLength':
    case 'minItems':
    case 'minProperties':
      return value(
        params['limit'] === 1 ? 'must not be empty' : `must have at least ${count(params['limit'], e.keyword)}`,
      );
    case 'maxLength':
    case 'maxItems':
    case 'maxProperties':
      return value(`must have at most ${count(params['limit'], e.keyword)}`);
    case 'uniqueItems':
      return value(`items ${String(params['j'])} and ${String(params['i'])} are the same; each item must be unique`);
    case 'format':
      return value(`must be a valid ${String(params['format'])} (got ${shown})`);
    default:
      return value(e.message ?? `fails the "${e.keyword}" check`);
  }
}

function allowedKeys(schema: SchemaObject): string[] {
  return Object.keys(asSchema(schema['properties']) ?? {});
}

function notAllowed(data: unknown, allowed: readonly unknown[], secret: boolean): string {
  const words = allowed.map((a) => (typeof a === 'string' ? a : JSON.stringify(a)));
  return `invalid value ${show(data, secret)}${hint('allowed', typeof data === 'string' && !secret ? data : undefined, words)}`;
}

/** The required keys of each branch, when every branch is a map with required keys. */
function keyedBranches(u: ErrorObject): string[][] | undefined {
  const branches = Array.isArray(u.schema) ? u.schema.map(asSchema) : [];
  if (branches.length < 2) return undefined;
  const out: string[][] = [];
  for (const b of branches) {
    const required = b?.['required'];
    if (b?.['type'] !== 'object' || !Array.isArray(required) || required.length === 0) return undefined;
    out.push(required.map(String));
  }
  return out;
}

function unionMessage(e: ErrorObject, secret: boolean): string {
  const keyed = keyedBranches(e);
  if (keyed !== undefined && isPlainObject(e.data)) {
    const allowed = [...new Set(keyed.flat())];
    const given = Object.keys(e.data);
    const known = given.filter((k) => allowed.includes(k));
    if (known.length > 1) return `set exactly one of ${allowed.join(', ')} (got ${known.join(' and ')})`;
    const unknown = given.find((k) => !allowed.includes(k));
    if (unknown !== undefined) return `unknown key "${unknown}"${hint('allowed', unknown, allowed)}`;
    return `set one of ${allowed.join(', ')}`;
  }
  const branchSchemas = Array.isArray(e.schema) ? e.schema.map(asSchema) : [];
  const consts = branchSchemas.map((s) => s?.['const']).filter((c) => c !== undefined);
  if (consts.length > 0 && consts.length === branchSchemas.length) return notAllowed(e.data, consts, secret);
  const kinds = [...new Set(branchSchemas.flatMap((s) => typeList(s?.['type'])))].map(article);
  return kinds.length === 0
    ? `matches none of the allowed forms (got ${show(e.data, secret)})`
    : `must be ${kinds.join(' or ')} (got ${show(e.data, secret)})`;
}

function patternMessage(schema: SchemaObject, pattern: string, shown: string): string {
  if (schema['format'] === 'duration') {
    return `invalid duration ${shown} (expected a number with a unit: ns, us, ms, s, m, h; e.g. 200ms, 5s, 1m30s)`;
  }
  if (schema['format'] === 'endpoint') {
    return `invalid endpoint ${shown} (expected host:port with a port from 0 to 65535, e.g. 127.0.0.1:4318; use 0.0.0.0:4318 to listen on every interface)`;
  }
  return `${shown} does not match the pattern ${pattern}`;
}

function count(limit: unknown, keyword: string): string {
  const unit = keyword.endsWith('Length') ? 'character' : keyword.endsWith('Items') ? 'item' : 'key';
  return `${String(limit)} ${unit}${limit === 1 ? '' : 's'}`;
}

function typeList(t: unknown): string[] {
  if (Array.isArray(t)) return t.map(String);
  return typeof t === 'string' ? t.split(',') : [];
}

function article(type: string): string {
  switch (type) {
    case 'object':
      return 'a map';
    case 'array':
      return 'a list';
    case 'null':
      return 'null';
    case 'integer':
      return 'an integer';
    default:
      return `a ${type}`;
  }
}

/** A value as it appears in a message: quoted strings, or only its kind for a secret. */
export function show(data: unknown, secret: boolean): string {
  if (data === null) return 'null';
  if (Array.isArray(data)) return 'a list';
  if (typeof data === 'object') return 'a map';
  if (secret) return `a ${typeof data}`;
  const text = JSON.stringify(data) ?? String(data);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

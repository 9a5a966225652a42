// A config tree that remembers where every value came from. Each YAML source is converted to
// this tree (positions per node, per key), the trees are merged in order, and validation looks
// positions up by path, so an error in a merged config points at the source that set the value.

/** Where a key or value was written. `--set` values have a source but no line. */
export interface Pos {
  readonly source: string;
  readonly line?: number;
  readonly col?: number;
}

export type ScalarValue = string | number | boolean | null;
export type PathSegment = string | number;
export type Path = readonly PathSegment[];

interface LBase {
  readonly pos: Pos;
  /** Set when the value was typed from a whole unquoted `${env:X}`: the substituted text, used
   * instead of the typed value where the schema expects a string (as the Collector does). */
  readonly text?: string;
}

export interface LScalar extends LBase {
  readonly kind: 'scalar';
  readonly value: ScalarValue;
}

export interface LSeq extends LBase {
  readonly kind: 'seq';
  readonly items: readonly LNode[];
}

export interface LEntry {
  readonly keyPos: Pos;
  readonly node: LNode;
}

export interface LMap extends LBase {
  readonly kind: 'map';
  readonly entries: ReadonlyMap<string, LEntry>;
}

export type LNode = LScalar | LSeq | LMap;

export function isNull(node: LNode | undefined): boolean {
  return node === undefined || (node.kind === 'scalar' && node.value === null);
}

/**
 * Merge `over` onto `base` (later sources win): maps merge key by key, lists and scalars replace.
 * A null over a map keeps the map (a bare `otlp:` in a later file does not erase an earlier one).
 */
export function mergeNodes(base: LNode | undefined, over: LNode): LNode {
  if (base === undefined) return over;
  if (base.kind === 'map' && isNull(over)) return base;
  if (base.kind !== 'map' || over.kind !== 'map') return over;
  const entries = new Map(base.entries);
  for (const [key, entry] of over.entries) {
    const prev = entries.get(key);
    if (prev === undefined) {
      entries.set(key, entry);
      continue;
    }
    const node = mergeNodes(prev.node, entry.node);
    // A key both sources wrote keeps the first position unless the later value replaced it.
    entries.set(key, { keyPos: node === entry.node ? entry.keyPos : prev.keyPos, node });
  }
  return { kind: 'map', pos: base.pos, entries };
}

/** Wrap `node` in maps so it sits at `path` (used by `--set a.b=c` and `a::b: c` keys). */
export function nestUnder(path: readonly string[], node: LNode, keyPos: Pos): LNode {
  let out = node;
  for (let i = path.length - 1; i >= 0; i--) {
    out = { kind: 'map', pos: keyPos, entries: new Map([[path[i] as string, { keyPos, node: out }]]) };
  }
  return out;
}

/** The plain JS value of a tree: maps become objects, sequences arrays. */
export function toPlain(node: LNode | undefined): unknown {
  if (node === undefined) return undefined;
  switch (node.kind) {
    case 'scalar':
      return node.value;
    case 'seq':
      return node.items.map(toPlain);
    case 'map':
      return Object.fromEntries([...node.entries].map(([k, e]) => [k, toPlain(e.node)]));
  }
}

/** A tree for a plain value that has a single origin (a typed env value, a default). */
export function fromPlain(value: unknown, pos: Pos): LNode {
  if (Array.isArray(value)) return { kind: 'seq', pos, items: value.map((v) => fromPlain(v, pos)) };
  if (isPlainObject(value)) {
    const entries = new Map(Object.entries(value).map(([k, v]) => [k, { keyPos: pos, node: fromPlain(v, pos) }]));
    return { kind: 'map', pos, entries };
  }
  return { kind: 'scalar', pos, value: toScalar(value) };
}

function toScalar(value: unknown): ScalarValue {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  return String(value);
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function child(node: LNode | undefined, segment: PathSegment): LEntry | undefined {
  if (node === undefined) return undefined;
  if (node.kind === 'map') return node.entries.get(String(segment));
  if (node.kind === 'seq' && typeof segment === 'number') {
    const item = node.items[segment];
    return item === undefined ? undefined : { keyPos: item.pos, node: item };
  }
  return undefined;
}

export function nodeAt(root: LNode | undefined, path: Path): LNode | undefined {
  let node = root;
  for (const segment of path) node = child(node, segment)?.node;
  return node;
}

/**
 * The position of the value (or, with `key`, of the key) at `path`; when the path does not exist
 * in what the user wrote (a default value, a missing key), the nearest ancestor's position.
 */
export function locate(root: LNode | undefined, path: Path, which: 'key' | 'value' = 'value'): Pos | undefined {
  let node = root;
  let pos = root?.pos;
  for (const [i, segment] of path.entries()) {
    const entry = child(node, segment);
    if (entry === undefined) return pos;
    node = entry.node;
    pos = which === 'key' && i === path.length - 1 ? entry.keyPos : entry.node.pos;
  }
  return pos;
}

/** `receivers.otlp.protocols.grpc.endpoint`, `service.pipelines.traces.receivers[1]`. */
export function formatPath(path: Path): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else out += out === '' ? segment : `.${segment}`;
  }
  return out;
}

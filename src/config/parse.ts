// YAML text -> located tree, with ${env:...} substituted on the syntax tree (never on text), so a
// quoted scalar stays a string and an unquoted whole reference takes the YAML type of its value.
import {
  type Document,
  isAlias,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  type Pair,
  parseDocument,
  Scalar,
  type YAMLError,
} from 'yaml';
import {
  formatPath,
  fromPlain,
  type LEntry,
  type LMap,
  type LNode,
  mergeNodes,
  nestUnder,
  type Path,
  type Pos,
} from './located.js';
import type { ConfigIssue } from './resolved.js';
import { type Env, expand } from './substitute.js';

export interface ParseOptions {
  /** Name used in positions: a file path, `env:VAR`, `yaml:...`, `--set`. */
  readonly source: string;
  readonly env: Env;
  /** `--set` values have no meaningful line/column. */
  readonly withLines?: boolean;
  /** Split top-level keys on `.` too (the `yaml:` and `--set` shorthand). `::` always splits. */
  readonly splitDots?: boolean;
}

export interface ParsedSource {
  /** Undefined for an empty document. */
  readonly root: LNode | undefined;
  readonly issues: readonly ConfigIssue[];
}

const MAX_DEPTH = 200;

export function parseSource(text: string, opts: ParseOptions): ParsedSource {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, merge: true, prettyErrors: true, uniqueKeys: true });
  const issues: ConfigIssue[] = [];
  const at = (offset: number): Pos => {
    if (opts.withLines === false) return { source: opts.source };
    const { line, col } = lineCounter.linePos(offset);
    return { source: opts.source, line, col };
  };
  for (const e of doc.errors) issues.push(yamlIssue(e, 'error', opts));
  for (const w of doc.warnings) issues.push(yamlIssue(w, 'warning', opts));
  if (doc.errors.length > 0) return { root: undefined, issues };
  const walker = new Walker(doc, at, opts, issues);
  const root = doc.contents === null ? undefined : walker.node(doc.contents, at(0), []);
  return { root, issues };
}

function yamlIssue(e: YAMLError, severity: 'error' | 'warning', opts: ParseOptions): ConfigIssue {
  const pos = e.linePos?.[0];
  const message = (e.message.split(' at line ')[0] ?? e.message).split('\n')[0] ?? e.message;
  const where = opts.withLines === false || pos === undefined ? {} : { line: pos.line, col: pos.col };
  return { severity, source: opts.source, ...where, path: '', message: `YAML: ${message}` };
}

class Walker {
  constructor(
    private readonly doc: Document,
    private readonly at: (offset: number) => Pos,
    private readonly opts: ParseOptions,
    private readonly issues: ConfigIssue[],
  ) {}

  /** `depth` counts nesting through aliases too, so a self-referencing alias ends. */
  node(node: unknown, fallback: Pos, path: Path, depth = path.length): LNode {
    if (depth > MAX_DEPTH) return { kind: 'scalar', pos: fallback, value: null };
    if (isAlias(node)) return this.node(node.resolve(this.doc), this.posOf(node, fallback), path, depth + 1);
    if (isMap(node)) return this.map(node.items, this.posOf(node, fallback), path, depth);
    if (isSeq(node)) {
      const pos = this.posOf(node, fallback);
      return { kind: 'seq', pos, items: node.items.map((item, i) => this.node(item, pos, [...path, i], depth + 1)) };
    }
    // An implicit null (`otlp:`) has no text of its own: it sits where its key is.
    if (isScalar(node) && node.value === null && !node.source) return { kind: 'scalar', pos: fallback, value: null };
    if (isScalar(node)) return this.scalar(node, this.posOf(node, fallback), path);
    return { kind: 'scalar', pos: fallback, value: null };
  }

  private posOf(node: Node, fallback: Pos): Pos {
    return node.range === undefined || node.range === null ? fallback : this.at(node.range[0]);
  }

  private map(pairs: readonly Pair<unknown, unknown>[], pos: Pos, path: Path, depth: number): LNode {
    let explicit: LNode = { kind: 'map', pos, entries: new Map<string, LEntry>() };
    const merged: LNode[] = [];
    for (const pair of pairs) {
      const keyPos = isScalar(pair.key) || isMap(pair.key) || isSeq(pair.key) ? this.posOf(pair.key, pos) : pos;
      if (isMergeKey(pair.key)) {
        merged.push(...this.mergeSources(this.node(pair.value, keyPos, path, depth + 1)));
        continue;
      }
      const key = this.keyText(pair.key, keyPos, path);
      if (key === undefined) continue;
      const segments = this.splitKey(key, path.length);
      const value = this.node(pair.value, keyPos, [...path, ...segments], depth + 1);
      const entry = nestUnder(segments.slice(1), value, keyPos);
      explicit = mergeNodes(explicit, singleEntry(pos, segments[0] as string, keyPos, entry));
    }
    // `<<: *base` fills keys the map does not set itself.
    return merged.reduceRight<LNode>((acc, base) => mergeNodes(base, acc), explicit);
  }

  private mergeSources(value: LNode): LNode[] {
    if (value.kind === 'map') return [value];
    if (value.kind === 'seq') return value.items.filter((i) => i.kind === 'map').reverse();
    return [];
  }

  private keyText(key: unknown, keyPos: Pos, path: Path): string | undefined {
    if (isScalar(key) && key.value !== null && typeof key.value !== 'object') return String(key.value);
    this.issues.push({
      severity: 'error',
      ...keyPos,
      path: formatPath(path),
      message: 'keys must be strings or numbers',
    });
    return undefined;
  }

  private splitKey(key: string, depth: number): string[] {
    if (key.includes('::')) return key.split('::');
    if (depth === 0 && this.opts.splitDots === true && key.includes('.')) return key.split('.');
    return [key];
  }

  private scalar(node: Scalar, pos: Pos, path: Path): LNode {
    const value = node.value;
    if (typeof value !== 'string') {
      return { kind: 'scalar', pos, value: typeof value === 'number' || typeof value === 'boolean' ? value : null };
    }
    const { expansion, problems } = expand(value, this.opts.env);
    for (const p of problems)
      this.issues.push({ severity: p.severity, ...pos, path: formatPath(path), message: p.message });
    const typed = expansion.kind === 'whole' && node.type === Scalar.PLAIN && node.tag === undefined;
    return typed ? typedValue(expansion.text, pos) : { kind: 'scalar', pos, value: expansion.text };
  }
}

function singleEntry(pos: Pos, key: string, keyPos: Pos, node: LNode): LMap {
  return { kind: 'map', pos, entries: new Map([[key, { keyPos, node }]]) };
}

function isMergeKey(key: unknown): boolean {
  return isScalar(key) && typeof key.value === 'symbol';
}

/** The YAML type of a substituted value: `8080` -> number, `true` -> boolean, `{a: 1}` -> map.
 * An empty value stays an empty string; text that is not valid YAML, or that YAML reads as null
 * without saying `null` or `~` (`#x` is a comment), stays a string. */
function typedValue(text: string, pos: Pos): LNode {
  const asString: LNode = { kind: 'scalar', pos, value: text };
  if (text.trim() === '') return asString;
  const doc = parseDocument(text, { logLevel: 'silent' });
  if (doc.errors.length > 0) return asString;
  const parsed: unknown = doc.toJS();
  if (typeof parsed === 'string') return { kind: 'scalar', pos, value: parsed };
  if ((parsed === null || parsed === undefined) && !/^\s*(null|Null|NULL|~)\s*$/.test(text)) return asString;
  return { ...fromPlain(parsed, pos), text };
}

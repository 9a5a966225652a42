// Trace assembly: spans from ResourceSpans grouped by trace id into repaired trees, each span labelled
// ⟨service, kind, normalized operation⟩, each trace reduced to a loop-tolerant shape and a set of label paths.
//
// Repairs (each one counted in SideIntegrity):
// - exact duplicate spans (same id, parent, name and times) are dropped;
// - spans sharing an id (Zipkin/B3 shared client+server spans) are chained: the CLIENT/PRODUCER copy first, the other
//   copies as its children, and the children of that id hang under the last copy;
// - orphans (parent id set but not in the trace) hang under a synthetic `(missing parent)` node below the root; a trace
//   with no root and a single orphan takes that orphan as its root; with several parentless tops a synthetic
//   `(missing root)` / `(several roots)` root adopts them;
// - parent cycles are broken at the earliest-starting span of the cycle, which then counts as an orphan.

import type { KeyValue, ResourceSpans, Span } from '../../pdata/model.js';
import {
  effectiveKind,
  errorTag,
  type KindName,
  labelText,
  normalizeOperation,
  type SpanLabel,
  serviceName,
} from './label.js';

export interface PathInfo {
  /** Parent path id, -1 at a root. */
  readonly parent: number;
  readonly label: number;
  readonly depth: number;
}

export interface ShapeInfo {
  readonly label: number;
  /** Distinct child shapes; `many` = the subtree occurred more than once under this node (a loop). */
  readonly kids: readonly { readonly shape: number; readonly many: boolean }[];
}

/** Interns labels, paths and shapes so that baseline and candidate share ids. */
export class Catalog {
  readonly labels: SpanLabel[] = [];
  readonly paths: PathInfo[] = [];
  readonly shapes: ShapeInfo[] = [];
  private readonly labelIds = new Map<string, number>();
  private readonly pathIds = new Map<string, number>();
  private readonly shapeIds = new Map<string, number>();

  label(service: string, kind: KindName, op: string): number {
    const key = `${service}\t${kind}\t${op}`;
    let id = this.labelIds.get(key);
    if (id === undefined) {
      id = this.labels.length;
      this.labels.push({ service, kind, op });
      this.labelIds.set(key, id);
    }
    return id;
  }

  path(parent: number, label: number): number {
    const key = `${parent}/${label}`;
    let id = this.pathIds.get(key);
    if (id === undefined) {
      id = this.paths.length;
      this.paths.push({ parent, label, depth: parent < 0 ? 0 : (this.paths[parent] as PathInfo).depth + 1 });
      this.pathIds.set(key, id);
    }
    return id;
  }

  /** `kidShapes` is sorted in place. */
  shape(label: number, kidShapes: number[]): number {
    kidShapes.sort((a, b) => a - b);
    const kids: { shape: number; many: boolean }[] = [];
    let key = `${label}(`;
    for (let i = 0; i < kidShapes.length; ) {
      const s = kidShapes[i] as number;
      let j = i + 1;
      while (j < kidShapes.length && kidShapes[j] === s) j++;
      const many = j - i > 1;
      kids.push({ shape: s, many });
      key += many ? `${s}*,` : `${s},`;
      i = j;
    }
    key += ')';
    let id = this.shapeIds.get(key);
    if (id === undefined) {
      id = this.shapes.length;
      this.shapes.push({ label, kids });
      this.shapeIds.set(key, id);
    }
    return id;
  }

  labelText(id: number): string {
    return labelText(this.labels[id] as SpanLabel);
  }

  /** `a > b > c`: the labels from the root down to this path. */
  pathText(id: number): string {
    const parts: string[] = [];
    for (let p = id; p >= 0; p = (this.paths[p] as PathInfo).parent)
      parts.push(this.labelText((this.paths[p] as PathInfo).label));
    return parts.reverse().join(' > ');
  }

  /** `root [child, looped*[grandchild]]`, cut at `max` characters. */
  shapeText(id: number, max = 400): string {
    let out = '';
    const walk = (s: number): void => {
      if (out.length > max) return;
      const info = this.shapes[s] as ShapeInfo;
      out += this.labelText(info.label);
      if (info.kids.length === 0) return;
      out += ' [';
      info.kids.forEach((k, i) => {
        if (i > 0) out += ', ';
        walk(k.shape);
        if (k.many) out += ' *';
      });
      out += ']';
    };
    walk(id);
    return out.length > max ? `${out.slice(0, max - 1)}…` : out;
  }
}

export interface PathAcc {
  /** Traces in which the path occurs at least once. */
  traces: number;
  lastTrace: number;
  spans: number;
  /** Span durations in milliseconds; the spans of one trace are contiguous. */
  readonly durations: number[];
  errors: number;
  /** Per trace in which the path occurs: index of its first span in `durations`. */
  readonly traceStarts: number[];
  /** Per trace in which the path occurs: its spans with status ERROR (spans of one trace are not independent). */
  readonly traceErrors: number[];
  /** A uniform sample (reservoir) of the spans' own attribute lists, at most ATTRIBUTE_SAMPLE of them. */
  readonly attrSample: (readonly KeyValue[])[];
  /** Resource index -> spans of this path from that resource. */
  readonly resources: Map<number, number>;
  /** Cross-service parent->child edges without a CLIENT->SERVER or PRODUCER->CONSUMER pair. */
  boundary: number;
  boundaryExample: string;
  /** Spans whose kind came from a `span.kind` tag rather than the span's kind field. */
  kindFromTag: number;
  orphans: number;
}

export interface RootAcc {
  traces: number;
  readonly shapes: Map<number, number>;
  /** Up to three trace ids per shape. */
  readonly exemplars: Map<number, string[]>;
}

export interface SideIntegrity {
  traces: number;
  spans: number;
  /** Spans whose parent id named a span missing from the trace (and spans cut out of a parent cycle). */
  orphans: number;
  /** Exact duplicate spans dropped. */
  duplicates: number;
  /** Extra copies of a span id kept as children of the first copy (shared client/server ids). */
  sharedIds: number;
  cyclesBroken: number;
  /** Traces with no parentless span. */
  missingRoot: number;
  /** Traces with more than one parentless span. */
  severalRoots: number;
  /** Spans skipped because their trace id or span id was empty or all zero. */
  invalidIds: number;
  /** Spans whose kind was read from a `span.kind` tag (OpenTracing instrumentation). */
  kindFromTag: number;
  /** Spans deeper than MAX_DEPTH levels, counted at the path of their ancestor at that depth. */
  depthCapped: number;
}

export interface Side {
  readonly roots: Map<number, RootAcc>;
  readonly paths: Map<number, PathAcc>;
  readonly integrity: SideIntegrity;
  /** Resource attributes by resource index (one per ResourceSpans). */
  readonly resources: readonly (readonly KeyValue[])[];
}

interface Raw {
  readonly span: Span;
  readonly rs: number;
  readonly label: number;
  readonly kind: KindName;
  readonly kindFromTag: boolean;
  readonly error: boolean;
  readonly attributes: readonly KeyValue[];
  readonly id: string;
  readonly parent: string;
}

const HEX: string[] = [];
for (let i = 0; i < 256; i++) HEX.push(i.toString(16).padStart(2, '0'));

/** Ids as short latin1 strings (one char per byte): cheap map keys. `keyHex` turns them back into hex. */
function key(b: Uint8Array): string {
  if (b.length === 8) return String.fromCharCode(b[0]!, b[1]!, b[2]!, b[3]!, b[4]!, b[5]!, b[6]!, b[7]!);
  let s = '';
  for (let i = 0; i < b.length; i++) s += String.fromCharCode(b[i] as number);
  return s;
}

function keyHex(k: string): string {
  let s = '';
  for (let i = 0; i < k.length; i++) s += HEX[k.charCodeAt(i) & 0xff];
  return s;
}

function allZero(b: Uint8Array): boolean {
  for (let i = 0; i < b.length; i++) if (b[i] !== 0) return false;
  return true;
}

const KIND_INDEX: Readonly<Record<KindName, number>> = {
  UNSPECIFIED: 0,
  INTERNAL: 1,
  SERVER: 2,
  CLIENT: 3,
  PRODUCER: 4,
  CONSUMER: 5,
  SYNTHETIC: 6,
};

const KIND_ORDER: Readonly<Record<KindName, number>> = {
  CLIENT: 0,
  PRODUCER: 0,
  SERVER: 1,
  CONSUMER: 1,
  INTERNAL: 2,
  UNSPECIFIED: 2,
  SYNTHETIC: 3,
};

/** What makes two spans with the same id exact duplicates: label, parent, kind and times. */
function signature(r: Raw): string {
  return `${r.id}\0${r.label}\0${r.parent}\0${r.span.kind}\0${r.span.startTimeUnixNano}\0${r.span.endTimeUnixNano}`;
}

/** Attributes without the tags that were read as kind or status (they are not attributes of the new spans). */
function ownAttributes(attrs: readonly KeyValue[], dropKind: boolean, dropError: boolean): readonly KeyValue[] {
  if (!dropKind && !dropError) return attrs;
  return attrs.filter((a) => !((dropKind && a.key === 'span.kind') || (dropError && a.key === 'error')));
}

function hasBoolishError(attrs: readonly KeyValue[]): boolean {
  for (const a of attrs) {
    if (a.key === 'error') return typeof a.value === 'boolean' || a.value === 'true' || a.value === 'false';
  }
  return false;
}

/** Per-trace working arrays, grown as needed and reused across traces. */
class Scratch {
  parentOf = new Int32Array(64);
  firstChild = new Int32Array(64);
  nextSibling = new Int32Array(64);
  pathOf = new Int32Array(64);
  shapeOf = new Int32Array(64);
  orphan = new Uint8Array(64);
  seen = new Uint8Array(64);

  ensure(n: number): void {
    if (n <= this.parentOf.length) return;
    const size = Math.max(n, 2 * this.parentOf.length);
    this.parentOf = new Int32Array(size);
    this.firstChild = new Int32Array(size);
    this.nextSibling = new Int32Array(size);
    this.pathOf = new Int32Array(size);
    this.shapeOf = new Int32Array(size);
    this.orphan = new Uint8Array(size);
    this.seen = new Uint8Array(size);
  }
}
const scratch = new Scratch();

export const SYNTHETIC_MISSING_PARENT = '(missing parent)';
export const SYNTHETIC_MISSING_ROOT = '(missing root)';
export const SYNTHETIC_SEVERAL_ROOTS = '(several roots)';

const STATUS_ERROR = 2;

/**
 * Spans per path whose attributes are profiled (a uniform reservoir sample): key presence, types and distinct values
 * are estimated from the same sample size on both sides, so distinct-value counts stay comparable.
 */
export const ATTRIBUTE_SAMPLE = 2000;

/** Paths deeper than this many levels below the root are folded into their ancestor at this depth. */
export const MAX_DEPTH = 200;

/** Assembles one side (baseline or candidate) into per-root and per-path accumulators. */
export function assemble(input: readonly ResourceSpans[], catalog: Catalog): Side {
  const integrity: SideIntegrity = {
    traces: 0,
    spans: 0,
    orphans: 0,
    duplicates: 0,
    sharedIds: 0,
    cyclesBroken: 0,
    missingRoot: 0,
    severalRoots: 0,
    invalidIds: 0,
    kindFromTag: 0,
    depthCapped: 0,
  };
  const resources: (readonly KeyValue[])[] = [];
  const byTrace = new Map<string, Raw[]>();
  for (const rs of input) {
    const rsIndex = resources.length;
    const resAttrs = rs.resource?.attributes ?? [];
    resources.push(resAttrs);
    const service = serviceName(resAttrs);
    // Span name -> label id per kind, for this resource (one service).
    const labels = new Map<string, number[]>();
    for (const ss of rs.scopeSpans) {
      for (const span of ss.spans) {
        if (span.traceId.length === 0 || allZero(span.traceId) || span.spanId.length === 0 || allZero(span.spanId)) {
          integrity.invalidIds++;
          continue;
        }
        const { kind, fromTag } = effectiveKind(span.kind, span.attributes);
        const statusCode = span.status?.code ?? 0;
        const tagged = statusCode === 0 && hasBoolishError(span.attributes);
        let byKind = labels.get(span.name);
        if (byKind === undefined) {
          byKind = [];
          labels.set(span.name, byKind);
        }
        const ki = KIND_INDEX[kind];
        let label = byKind[ki];
        if (label === undefined) {
          label = catalog.label(service, kind, normalizeOperation(span.name));
          byKind[ki] = label;
        }
        const raw: Raw = {
          span,
          rs: rsIndex,
          label,
          kind,
          kindFromTag: fromTag,
          error: statusCode === STATUS_ERROR || (tagged && errorTag(span.attributes)),
          attributes: ownAttributes(span.attributes, fromTag, tagged),
          id: key(span.spanId),
          parent: span.parentSpanId.length === 0 || allZero(span.parentSpanId) ? '' : key(span.parentSpanId),
        };
        const t = key(span.traceId);
        const list = byTrace.get(t);
        if (list === undefined) byTrace.set(t, [raw]);
        else list.push(raw);
      }
    }
  }

  const roots = new Map<number, RootAcc>();
  const paths = new Map<number, PathAcc>();
  let seed = 0x5eed;
  // xorshift32: a fixed sequence, so the same input always gives the same sample.
  const rand = (): number => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) / 4294967296;
  };
  const missingParentLabel = catalog.label('', 'SYNTHETIC', SYNTHETIC_MISSING_PARENT);
  const missingRootLabel = catalog.label('', 'SYNTHETIC', SYNTHETIC_MISSING_ROOT);
  const severalRootsLabel = catalog.label('', 'SYNTHETIC', SYNTHETIC_SEVERAL_ROOTS);
  let serial = 0;

  const sc = scratch;
  const childShapes: number[] = [];
  for (const [traceKey, listIn] of byTrace) {
    serial++;
    const list = listIn.length > 1 ? dedupe(listIn, integrity) : listIn;
    const n = list.length;
    sc.ensure(n + 2);
    // Nodes 0..n-1 are spans; n and n+1 are reserved for synthetic nodes. Children are singly linked lists.
    const { parentOf, firstChild, nextSibling, orphan, seen, pathOf, shapeOf } = sc;
    parentOf.fill(-1, 0, n + 2);
    firstChild.fill(-1, 0, n + 2);
    orphan.fill(0, 0, n + 2);
    seen.fill(0, 0, n + 2);
    const byId = new Map<string, number>();
    let shared: Map<string, number[]> | undefined;
    for (let i = 0; i < n; i++) {
      const id = (list[i] as Raw).id;
      const prev = byId.get(id);
      if (prev === undefined) byId.set(id, i);
      else {
        shared ??= new Map();
        const c = shared.get(id);
        if (c === undefined) shared.set(id, [prev, i]);
        else c.push(i);
      }
    }
    const chainedTo = new Map<number, number>();
    if (shared !== undefined) {
      for (const [id, idxs] of shared) {
        idxs.sort(
          (a, b) =>
            KIND_ORDER[(list[a] as Raw).kind] - KIND_ORDER[(list[b] as Raw).kind] ||
            Number((list[a] as Raw).span.startTimeUnixNano - (list[b] as Raw).span.startTimeUnixNano),
        );
        for (let k = 1; k < idxs.length; k++) chainedTo.set(idxs[k] as number, idxs[k - 1] as number);
        integrity.sharedIds += idxs.length - 1;
        byId.set(id, idxs[idxs.length - 1] as number);
      }
    }
    const link = (child: number, parent: number): void => {
      parentOf[child] = parent;
      nextSibling[child] = firstChild[parent] as number;
      firstChild[parent] = child;
    };
    const tops: number[] = [];
    const orphans: number[] = [];
    for (let i = 0; i < n; i++) {
      const r = list[i] as Raw;
      const chained = shared === undefined ? undefined : chainedTo.get(i);
      if (chained !== undefined) link(i, chained);
      else if (r.parent === '') tops.push(i);
      else {
        const p = byId.get(r.parent);
        if (p === undefined) {
          orphans.push(i);
          orphan[i] = 1;
        } else link(i, p);
      }
    }
    // Reachability from tops and orphans; whatever is left sits on a parent cycle.
    let reached = 0;
    const stack: number[] = [];
    const reach = (start: number): void => {
      stack.push(start);
      seen[start] = 1;
      reached++;
      while (stack.length > 0) {
        const v = stack.pop() as number;
        for (let c = firstChild[v] as number; c >= 0; c = nextSibling[c] as number) {
          if (seen[c] === 0) {
            seen[c] = 1;
            reached++;
            stack.push(c);
          }
        }
      }
    };
    for (const t of tops) reach(t);
    for (const o of orphans) reach(o);
    // Every span left unreached has an unreached parent: each such component holds exactly one cycle. Walk up from
    // an unreached span until the walk meets itself, cut the earliest-starting span of that cycle, and reach the
    // component from it. Linear: every span is walked at most once.
    const walk: number[] = [];
    for (let i = 0; i < n && reached < n; i++) {
      if (seen[i] !== 0) continue;
      walk.length = 0;
      let v = i;
      while (v >= 0 && v < n && seen[v] === 0) {
        seen[v] = 2;
        walk.push(v);
        v = parentOf[v] as number;
      }
      for (const w of walk) seen[w] = 0;
      if (v < 0 || v >= n || seen[v] !== 0) continue; // not a cycle (cannot happen: unreached parents are unreached)
      let cut = v;
      for (let u = parentOf[v] as number; u !== v; u = parentOf[u] as number)
        if ((list[u] as Raw).span.startTimeUnixNano < (list[cut] as Raw).span.startTimeUnixNano) cut = u;
      const p = parentOf[cut] as number;
      if (firstChild[p] === cut) firstChild[p] = nextSibling[cut] as number;
      else {
        let c = firstChild[p] as number;
        while (nextSibling[c] !== cut) c = nextSibling[c] as number;
        nextSibling[c] = nextSibling[cut] as number;
      }
      parentOf[cut] = -1;
      orphan[cut] = 1;
      orphans.push(cut);
      integrity.cyclesBroken++;
      reach(cut);
    }
    integrity.orphans += orphans.length;

    // Choose the root and place synthetic nodes.
    const SYN_A = n;
    const SYN_B = n + 1;
    let root: number;
    let rootLabel = -1;
    if (tops.length === 1) {
      root = tops[0] as number;
      if (orphans.length > 0) {
        link(SYN_A, root);
        for (const o of orphans) link(o, SYN_A);
      }
    } else if (tops.length === 0 && orphans.length === 1) {
      root = orphans[0] as number;
      integrity.missingRoot++;
    } else {
      if (tops.length === 0) integrity.missingRoot++;
      else integrity.severalRoots++;
      root = SYN_B;
      rootLabel = tops.length === 0 ? missingRootLabel : severalRootsLabel;
      for (const t of tops) link(t, SYN_B);
      for (const o of orphans) link(o, SYN_B);
    }
    const labelOf = (v: number): number =>
      v < n ? (list[v] as Raw).label : v === SYN_A ? missingParentLabel : rootLabel;

    // Top-down: paths and per-span statistics; bottom-up: shapes.
    const order: number[] = [root];
    pathOf[root] = catalog.path(-1, labelOf(root));
    for (let k = 0; k < order.length; k++) {
      const v = order[k] as number;
      const pv = pathOf[v] as number;
      const deep = (catalog.paths[pv] as PathInfo).depth >= MAX_DEPTH;
      for (let c = firstChild[v] as number; c >= 0; c = nextSibling[c] as number) {
        // Below MAX_DEPTH every span counts at the deepest path (recursion chains of thousands of spans).
        if (deep) integrity.depthCapped++;
        pathOf[c] = deep ? pv : catalog.path(pv, labelOf(c));
        order.push(c);
      }
    }
    for (let k = order.length - 1; k >= 0; k--) {
      const v = order[k] as number;
      childShapes.length = 0;
      for (let c = firstChild[v] as number; c >= 0; c = nextSibling[c] as number)
        childShapes.push(shapeOf[c] as number);
      shapeOf[v] = catalog.shape(labelOf(v), childShapes);
    }
    const rootPath = pathOf[root] as number;
    let ra = roots.get(rootPath);
    if (ra === undefined) {
      ra = { traces: 0, shapes: new Map(), exemplars: new Map() };
      roots.set(rootPath, ra);
    }
    ra.traces++;
    const shape = shapeOf[root] as number;
    ra.shapes.set(shape, (ra.shapes.get(shape) ?? 0) + 1);
    const ex = ra.exemplars.get(shape);
    if (ex === undefined) ra.exemplars.set(shape, [keyHex(traceKey)]);
    else if (ex.length < 3) ex.push(keyHex(traceKey));
    integrity.traces++;

    for (const v of order) {
      const pid = pathOf[v] as number;
      let acc = paths.get(pid);
      if (acc === undefined) {
        acc = newPathAcc();
        paths.set(pid, acc);
      }
      if (acc.lastTrace !== serial) {
        acc.lastTrace = serial;
        acc.traces++;
        acc.traceStarts.push(acc.durations.length);
        acc.traceErrors.push(0);
      }
      if (v >= n) continue; // synthetic node: counted per trace, carries no span
      const r = list[v] as Raw;
      acc.spans++;
      const d = Number(r.span.endTimeUnixNano - r.span.startTimeUnixNano) / 1e6;
      acc.durations.push(Math.max(d, 0));
      if (r.error) {
        acc.errors++;
        const last = acc.traceErrors.length - 1;
        acc.traceErrors[last] = (acc.traceErrors[last] as number) + 1;
      }
      if (acc.attrSample.length < ATTRIBUTE_SAMPLE) acc.attrSample.push(r.attributes);
      else {
        const j = Math.floor(rand() * acc.spans);
        if (j < ATTRIBUTE_SAMPLE) acc.attrSample[j] = r.attributes;
      }
      acc.resources.set(r.rs, (acc.resources.get(r.rs) ?? 0) + 1);
      if (r.kindFromTag) {
        acc.kindFromTag++;
        integrity.kindFromTag++;
      }
      if (orphan[v] === 1) acc.orphans++;
      const p = parentOf[v] as number;
      if (p >= 0 && p < n) {
        const pr = list[p] as Raw;
        const ps = (catalog.labels[pr.label] as SpanLabel).service;
        const cs = (catalog.labels[r.label] as SpanLabel).service;
        if (ps !== cs && !wellFormedBoundary(pr.kind, r.kind)) {
          acc.boundary++;
          if (acc.boundaryExample === '') acc.boundaryExample = `${ps} ${pr.kind} -> ${cs} ${r.kind}`;
        }
      }
    }
    integrity.spans += n;
  }
  return { roots, paths, integrity, resources };
}

function newPathAcc(): PathAcc {
  return {
    traces: 0,
    lastTrace: 0,
    spans: 0,
    durations: [],
    errors: 0,
    traceStarts: [],
    traceErrors: [],
    attrSample: [],
    resources: new Map(),
    boundary: 0,
    boundaryExample: '',
    kindFromTag: 0,
    orphans: 0,
  };
}

/** A parent->child edge between two services that says how the process boundary was crossed. */
export function wellFormedBoundary(parent: KindName, child: KindName): boolean {
  return (parent === 'CLIENT' || parent === 'PRODUCER') && (child === 'SERVER' || child === 'CONSUMER');
}

function dedupe(list: Raw[], integrity: SideIntegrity): Raw[] {
  let dup = false;
  const seen = new Set<string>();
  for (const r of list) {
    if (seen.has(r.id)) {
      dup = true;
      break;
    }
    seen.add(r.id);
  }
  if (!dup) return list;
  const kept: Raw[] = [];
  const signatures = new Set<string>();
  for (const r of list) {
    const sig = signature(r);
    if (signatures.has(sig)) integrity.duplicates++;
    else {
      signatures.add(sig);
      kept.push(r);
    }
  }
  return kept;
}

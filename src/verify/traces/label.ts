// Span labels for trace structure comparison: ⟨service, kind, normalized operation⟩.
// Operation names are templated so that ids, numbers and hashes in span names do not split one operation into many.
import type { AnyValue, KeyValue } from '../../pdata/model.js';

export type KindName = 'UNSPECIFIED' | 'INTERNAL' | 'SERVER' | 'CLIENT' | 'PRODUCER' | 'CONSUMER' | 'SYNTHETIC';

const KIND_BY_NUMBER: readonly KindName[] = ['UNSPECIFIED', 'INTERNAL', 'SERVER', 'CLIENT', 'PRODUCER', 'CONSUMER'];

/** SpanKind number (proto) to its name; unknown numbers read as UNSPECIFIED. */
export function kindName(kind: number): KindName {
  return KIND_BY_NUMBER[kind] ?? 'UNSPECIFIED';
}

export interface SpanLabel {
  readonly service: string;
  readonly kind: KindName;
  readonly op: string;
}

/** `frontend SERVER GET /orders/{id}`: the form used in reports and finding messages. */
export function labelText(l: SpanLabel): string {
  if (l.kind === 'SYNTHETIC') return l.op;
  return `${l.service || '(no service)'} ${l.kind} ${l.op}`;
}

const MAX_OP_LENGTH = 160;
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;
// Runs of 16+ hex digits (trace/span ids, hashes) standing alone.
const HEX_RUN = /(?<![A-Za-z0-9])[0-9a-f]{16,}(?![A-Za-z0-9])|(?<![A-Za-z0-9])[0-9A-F]{16,}(?![A-Za-z0-9])/g;
// Long tokens mixing letters and at least four digits (ULIDs, base64 ids, session keys).
const OPAQUE = /(?<![A-Za-z0-9_-])[A-Za-z0-9_-]{16,}(?![A-Za-z0-9_-])/g;
// Numbers (with dotted parts) standing alone: a path segment becomes {id}, anything else {n}.
const NUMBER = /(?<![A-Za-z0-9_.{])\d+(?:\.\d+)*(?![A-Za-z0-9_}])/g;

function opaque(token: string): string {
  let digits = 0;
  for (let i = 0; i < token.length; i++) {
    const c = token.charCodeAt(i);
    if (c >= 48 && c <= 57) digits++;
  }
  return digits >= 4 && digits < token.length ? '{id}' : token;
}

const normalized = new Map<string, string>();
const NORMALIZED_CACHE_MAX = 50_000;

/**
 * Templates a span name: UUIDs -> `{uuid}`, 16+ hex digits -> `{hex}`, long tokens with 4+ digits -> `{id}`,
 * numbers in a path segment -> `{id}` and other numbers -> `{n}`. `GET /users/123` -> `GET /users/{id}`.
 * Empty names read `(unnamed)`; very long names are cut to 160 characters (marked with `…`).
 */
export function normalizeOperation(name: string): string {
  const hit = normalized.get(name);
  if (hit !== undefined) return hit;
  let out = name.trim();
  if (out === '') out = '(unnamed)';
  else if (/[0-9]/.test(out)) {
    out = out
      .replace(UUID, '{uuid}')
      .replace(HEX_RUN, (m: string) => (/[a-f]/i.test(m) ? '{hex}' : m))
      .replace(OPAQUE, opaque)
      .replace(NUMBER, (_m: string, offset: number, whole: string) => (whole[offset - 1] === '/' ? '{id}' : '{n}'));
  }
  if (out.length > MAX_OP_LENGTH) out = `${out.slice(0, MAX_OP_LENGTH - 1)}…`;
  if (normalized.size >= NORMALIZED_CACHE_MAX) normalized.clear();
  normalized.set(name, out);
  return out;
}

const KIND_TAGS: Readonly<Record<string, KindName>> = {
  client: 'CLIENT',
  server: 'SERVER',
  producer: 'PRODUCER',
  consumer: 'CONSUMER',
};

/**
 * The kind a span means. OpenTracing-era spans (and the OpenTracing shim, which never maps the tag) are INTERNAL with a
 * `span.kind` tag of client/server/producer/consumer: that tag is taken as the kind, and `fromTag` says so.
 * UNSPECIFIED without a usable tag reads as INTERNAL (the specification's default; the Jaeger and Zipkin translations
 * give UNSPECIFIED to spans without a kind tag).
 */
export function effectiveKind(kind: number, attributes: readonly KeyValue[]): { kind: KindName; fromTag: boolean } {
  const k = kindName(kind);
  if (k !== 'INTERNAL' && k !== 'UNSPECIFIED') return { kind: k, fromTag: false };
  for (const a of attributes) {
    if (a.key === 'span.kind' && typeof a.value === 'string') {
      const tagged = KIND_TAGS[a.value.toLowerCase()];
      if (tagged !== undefined) return { kind: tagged, fromTag: true };
    }
  }
  return { kind: 'INTERNAL', fromTag: false };
}

/** An OpenTracing `error` tag that means "this span failed" (the shim keeps initial tags as attributes). */
export function errorTag(attributes: readonly KeyValue[]): boolean {
  for (const a of attributes) {
    if (a.key === 'error') return a.value === true || a.value === 'true';
  }
  return false;
}

/** The `service.name` resource attribute, or '' when there is none (or it is not a string). */
export function serviceName(resource: readonly KeyValue[] | undefined): string {
  if (resource === undefined) return '';
  for (const a of resource) {
    if (a.key === 'service.name') return typeof a.value === 'string' ? a.value : stringish(a.value);
  }
  return '';
}

function stringish(v: AnyValue): string {
  if (v === null) return '';
  if (typeof v === 'bigint' || typeof v === 'number' || typeof v === 'boolean') return String(v);
  return '';
}

// StatsD / DogStatsD datagram parser: pure functions, no regular expressions, one string decode per packet.
//
// Line grammar (metrics.md §3.8/§3.9):
//   <name>:<value>[:<value>...]|<type>[|@<rate>][|#<tag>,<tag>...][|c:<container-id>][|T<unix-seconds>]
// The `|` fields after the type may come in any order. Unknown or empty fields are ignored (forward compatible,
// e.g. DogStatsD `|e:` external data). Lines are separated by `\n`; a trailing `\r` and surrounding spaces/tabs are
// stripped; blank lines are skipped silently. Names and tags are kept raw (no sanitizing here).
//
// Semantics chosen here (the aggregator decides the rest):
// - Gauges follow Etsy statsd: a value with a leading `+` or `-` is a delta (`delta: true`), a plain value sets the
//   gauge. A packed gauge line whose values mix both kinds is emitted as several metrics, one per run, in order.
// - Sets take the raw member string (everything between the first `:` and the first `|`, trimmed); `values` is empty.
// - Packed values (DogStatsD v1.1) are accepted for every type except sets.
// - `|T` is accepted for every type; DogStatsD only defines it for gauges and counts, so the consumer may ignore it.
// - Sample rate must satisfy 0 < r <= 1 and 1/r <= 2^53 - 1 (a usable weight); it is recorded for every type (meaningful for c/ms/h/d only).
// - DogStatsD events (`_e{...`) and service checks (`_sc|...`) are reported as 'unsupported'.

export type StatsdType = 'c' | 'g' | 'ms' | 'h' | 'd' | 's';

export type ParseErrorReason =
  | 'empty'
  | 'bad_name'
  | 'bad_value'
  | 'bad_type'
  | 'bad_sample_rate'
  | 'bad_tags'
  | 'bad_container_id'
  | 'bad_timestamp'
  | 'unsupported';

export interface StatsdMetric {
  /** Raw metric name (not sanitized). */
  name: string;
  type: StatsdType;
  /** Numeric values; several for DogStatsD packed lines. Empty for sets. */
  values: number[];
  /** Gauges only: the values carried an explicit `+`/`-` sign and are deltas (Etsy semantics). */
  delta: boolean;
  /** Sets only: the raw member string. */
  member: string | undefined;
  /** 0 < sampleRate <= 1; 1 when absent. */
  sampleRate: number;
  /** Tags from `|#k:v,flag`; a tag without ':' has value ''. Split at the first ':'. */
  tags: [string, string][];
  /** The raw text of the tag field(s), '' when absent (several `|#` fields are joined with ','). */
  rawTags: string;
  /** Some tag had no ':' (a DogStatsD "simple tag" such as `#flag`). */
  simpleTags: boolean;
  /** From `|c:<id>`. */
  containerId: string | undefined;
  /** From DogStatsD `|T<unix seconds>`. */
  timestamp: number | undefined;
}

export type MetricCallback = (m: StatsdMetric) => void;
export type ErrorCallback = (line: number, reason: ParseErrorReason, message: string) => void;

const CR = 13;
const TAB = 9;
const SPACE = 32;
const COLON = 58;
const PLUS = 43;
const MINUS = 45;
const DOT = 46;
const D0 = 48;
const D9 = 57;
const LOWER_E = 101;
const UPPER_E = 69;
const AT = 64;
const HASH = 35;
const LOWER_C = 99;
const UPPER_T = 84;

// Exact powers of ten; a double division mant / 10^k with mant < 2^53 and k <= 22 is correctly rounded.
const POW10: readonly number[] = [
  1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20,
  1e21, 1e22,
];

function isWs(c: number): boolean {
  return c === SPACE || c === TAB || c === CR;
}

/**
 * Parses a decimal number in s[start, end) (already trimmed). Grammar:
 * `[+-]? (digits [. digits?] | . digits) ([eE] [+-]? digits)?`. Returns NaN when malformed or not finite.
 * Hex, `Infinity`, `NaN`, inner whitespace and empty input are rejected.
 */
export function parseNumber(s: string, start: number, end: number): number {
  let i = start;
  if (i >= end) return Number.NaN;
  let neg = false;
  let c = s.charCodeAt(i);
  if (c === PLUS || c === MINUS) {
    neg = c === MINUS;
    i++;
  }
  let mant = 0;
  let digits = 0; // significant digits accumulated into mant
  let intDigits = 0;
  let fracDigits = 0;
  while (i < end) {
    c = s.charCodeAt(i);
    if (c < D0 || c > D9) break;
    if (mant !== 0 || c !== D0) digits++;
    mant = mant * 10 + (c - D0);
    intDigits++;
    i++;
  }
  if (i < end && s.charCodeAt(i) === DOT) {
    i++;
    while (i < end) {
      c = s.charCodeAt(i);
      if (c < D0 || c > D9) break;
      if (mant !== 0 || c !== D0) digits++;
      mant = mant * 10 + (c - D0);
      fracDigits++;
      i++;
    }
  }
  if (intDigits + fracDigits === 0) return Number.NaN;
  if (i === end) {
    if (digits <= 15 && fracDigits <= 22) {
      const v = fracDigits === 0 ? mant : mant / POW10[fracDigits]!;
      return neg ? -v : v;
    }
    const v = Number(s.slice(start, end));
    return Number.isFinite(v) ? v : Number.NaN;
  }
  // Exponent part: validate, then let Number() do the correctly rounded conversion.
  c = s.charCodeAt(i);
  if (c !== LOWER_E && c !== UPPER_E) return Number.NaN;
  i++;
  if (i < end) {
    c = s.charCodeAt(i);
    if (c === PLUS || c === MINUS) i++;
  }
  const expStart = i;
  while (i < end) {
    c = s.charCodeAt(i);
    if (c < D0 || c > D9) return Number.NaN;
    i++;
  }
  if (i === expStart) return Number.NaN;
  const v = Number(s.slice(start, end));
  return Number.isFinite(v) ? v : Number.NaN;
}

// Per-value "explicit sign" flags for gauge lines; grown on demand, reused across calls.
let signScratch = new Uint8Array(64);
// Set by parseTags when an entry has no ':'; reset per line.
let sawSimpleTag = false;

/**
 * Parses one datagram. Every valid line produces `onMetric` (a fresh object the callee may keep); every invalid line
 * produces exactly one `onError` with its 1-based line number within the packet, and never affects other lines.
 * A zero-length datagram is reported as 'empty' on line 1; blank lines inside a packet are skipped silently.
 */
export function parsePacket(buf: Buffer, onMetric: MetricCallback, onError: ErrorCallback): void {
  if (buf.length === 0) {
    onError(1, 'empty', 'empty datagram');
    return;
  }
  parseText(buf.toString('utf8'), onMetric, onError);
}

/** Same as parsePacket, for text already decoded (e.g. a TCP stream split on newlines). */
export function parseText(s: string, onMetric: MetricCallback, onError: ErrorCallback): void {
  const len = s.length;
  let line = 1;
  let start = 0;
  while (start <= len) {
    let end = s.indexOf('\n', start);
    if (end === -1) end = len;
    parseLine(s, start, end, line, onMetric, onError);
    if (end === len) break;
    start = end + 1;
    line++;
  }
}

function typeOf(s: string, a: number, b: number): StatsdType | undefined {
  const n = b - a;
  const c0 = s.charCodeAt(a);
  if (n === 1) {
    switch (c0) {
      case 99: // c
        return 'c';
      case 103: // g
        return 'g';
      case 104: // h
        return 'h';
      case 100: // d
        return 'd';
      case 115: // s
        return 's';
      default:
        return undefined;
    }
  }
  if (n === 2 && c0 === 109 && s.charCodeAt(a + 1) === 115) return 'ms';
  return undefined;
}

function parseLine(
  s: string,
  lineStart: number,
  lineEnd: number,
  line: number,
  onMetric: MetricCallback,
  onError: ErrorCallback,
): void {
  let start = lineStart;
  let end = lineEnd;
  while (start < end && isWs(s.charCodeAt(start))) start++;
  while (end > start && isWs(s.charCodeAt(end - 1))) end--;
  if (start === end) return;

  const c0 = s.charCodeAt(start);
  if (c0 === 95 /* _ */ && (s.startsWith('_e{', start) || s.startsWith('_sc|', start))) {
    onError(line, 'unsupported', 'DogStatsD events and service checks are not metrics');
    return;
  }

  let colon = s.indexOf(':', start);
  if (colon >= end) colon = -1;
  let pipe = s.indexOf('|', start);
  if (pipe >= end) pipe = -1;
  if (colon === -1 || (pipe !== -1 && pipe < colon)) {
    if (pipe === start || colon === start) {
      onError(line, 'bad_name', 'empty metric name');
    } else {
      onError(line, 'bad_value', "missing ':' between name and value");
    }
    return;
  }
  if (colon === start) {
    onError(line, 'bad_name', 'empty metric name');
    return;
  }
  if (pipe === -1) {
    onError(line, 'bad_type', "missing '|<type>'");
    return;
  }

  // Type field.
  let typeEnd = s.indexOf('|', pipe + 1);
  if (typeEnd === -1 || typeEnd > end) typeEnd = end;
  let ta = pipe + 1;
  let tb = typeEnd;
  while (ta < tb && isWs(s.charCodeAt(ta))) ta++;
  while (tb > ta && isWs(s.charCodeAt(tb - 1))) tb--;
  const type = ta < tb ? typeOf(s, ta, tb) : undefined;
  if (type === undefined) {
    onError(line, 'bad_type', `unknown metric type '${s.slice(ta, tb)}'`);
    return;
  }

  // Values.
  let values: number[];
  let member: string | undefined;
  let mixedSigns = false;
  let anySign = false;
  if (type === 's') {
    let a = colon + 1;
    let b = pipe;
    while (a < b && isWs(s.charCodeAt(a))) a++;
    while (b > a && isWs(s.charCodeAt(b - 1))) b--;
    if (a === b) {
      onError(line, 'bad_value', 'empty set member');
      return;
    }
    member = s.slice(a, b);
    values = [];
  } else {
    values = [];
    const isGauge = type === 'g';
    let a = colon + 1;
    let n = 0;
    for (;;) {
      let b = s.indexOf(':', a);
      if (b === -1 || b > pipe) b = pipe;
      let va = a;
      let vb = b;
      while (va < vb && isWs(s.charCodeAt(va))) va++;
      while (vb > va && isWs(s.charCodeAt(vb - 1))) vb--;
      const v = parseNumber(s, va, vb);
      if (Number.isNaN(v)) {
        onError(line, 'bad_value', `invalid value '${s.slice(va, vb)}'`);
        return;
      }
      values.push(v);
      if (isGauge) {
        const cs = va < vb ? s.charCodeAt(va) : 0;
        const signed = cs === PLUS || cs === MINUS ? 1 : 0;
        if (n === signScratch.length) {
          const grown = new Uint8Array(n * 2);
          grown.set(signScratch);
          signScratch = grown;
        }
        signScratch[n] = signed;
        if (n === 0) anySign = signed === 1;
        else if ((signed === 1) !== anySign) mixedSigns = true;
      }
      n++;
      if (b === pipe) break;
      a = b + 1;
    }
  }

  // Optional fields after the type, in any order.
  let sampleRate = 1;
  let haveRate = false;
  let tags: [string, string][] | undefined;
  let rawTags = '';
  sawSimpleTag = false;
  let containerId: string | undefined;
  let timestamp: number | undefined;
  let f = typeEnd;
  while (f < end) {
    let fa = f + 1;
    let fb = s.indexOf('|', fa);
    if (fb === -1 || fb > end) fb = end;
    f = fb;
    while (fa < fb && isWs(s.charCodeAt(fa))) fa++;
    while (fb > fa && isWs(s.charCodeAt(fb - 1))) fb--;
    if (fa === fb) continue; // empty field: ignore
    const fc = s.charCodeAt(fa);
    if (fc === AT) {
      const r = parseNumber(s, fa + 1, fb);
      // 1/r is the weight of each value: it must stay a safe integer range (histogram increments) and finite.
      if (haveRate || !(r > 0 && r <= 1) || !(1 / r <= Number.MAX_SAFE_INTEGER)) {
        onError(
          line,
          'bad_sample_rate',
          haveRate
            ? 'duplicate sample rate'
            : `sample rate '${s.slice(fa + 1, fb)}' not in (0, 1] or below 1/(2^53 - 1)`,
        );
        return;
      }
      sampleRate = r;
      haveRate = true;
    } else if (fc === HASH) {
      if (tags === undefined) tags = [];
      if (!parseTags(s, fa + 1, fb, tags)) {
        onError(line, 'bad_tags', `invalid tags '${s.slice(fa + 1, fb)}'`);
        return;
      }
      rawTags = rawTags === '' ? s.slice(fa + 1, fb) : rawTags + ',' + s.slice(fa + 1, fb);
    } else if (fc === LOWER_C && fb - fa >= 2 && s.charCodeAt(fa + 1) === COLON) {
      if (containerId !== undefined || fb - fa === 2) {
        onError(line, 'bad_container_id', containerId !== undefined ? 'duplicate container id' : 'empty container id');
        return;
      }
      containerId = s.slice(fa + 2, fb);
    } else if (fc === UPPER_T) {
      const t = parseTimestamp(s, fa + 1, fb);
      if (timestamp !== undefined || t <= 0) {
        onError(
          line,
          'bad_timestamp',
          timestamp !== undefined ? 'duplicate timestamp' : `invalid timestamp '${s.slice(fa + 1, fb)}'`,
        );
        return;
      }
      timestamp = t;
    }
    // anything else: unknown field, ignored
  }

  const name = s.slice(start, colon);
  const tagList = tags ?? [];
  if (!mixedSigns) {
    onMetric({
      name,
      type,
      values,
      delta: anySign,
      member,
      sampleRate,
      tags: tagList,
      rawTags,
      simpleTags: sawSimpleTag,
      containerId,
      timestamp,
    });
    return;
  }
  // Mixed explicit/implicit signs in a packed gauge line: emit one metric per run, in order.
  let runStart = 0;
  for (let i = 1; i <= values.length; i++) {
    if (i === values.length || signScratch[i] !== signScratch[runStart]) {
      onMetric({
        name,
        type,
        values: values.slice(runStart, i),
        delta: signScratch[runStart] === 1,
        member,
        sampleRate,
        tags: runStart === 0 ? tagList : tagList.slice(),
        rawTags,
        simpleTags: sawSimpleTag,
        containerId,
        timestamp,
      });
      runStart = i;
    }
  }
}

/** Appends tags from s[a, b) to out. Empty entries are skipped; an entry with an empty key is invalid. */
function parseTags(s: string, a: number, b: number, out: [string, string][]): boolean {
  let i = a;
  while (i < b) {
    let e = s.indexOf(',', i);
    if (e === -1 || e > b) e = b;
    if (e > i) {
      let k = s.indexOf(':', i);
      if (k === -1 || k > e) k = e;
      if (k === i) return false;
      if (k === e) sawSimpleTag = true;
      out.push([s.slice(i, k), k === e ? '' : s.slice(k + 1, e)]);
    }
    i = e + 1;
  }
  return true;
}

/** Unsigned decimal integer in s[a, b); -1 when malformed or not a safe integer. */
function parseTimestamp(s: string, a: number, b: number): number {
  if (a >= b || b - a > 15) return -1;
  let v = 0;
  for (let i = a; i < b; i++) {
    const c = s.charCodeAt(i);
    if (c < D0 || c > D9) return -1;
    v = v * 10 + (c - D0);
  }
  return v;
}

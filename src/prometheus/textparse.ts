/**
 * Parser for the Prometheus text exposition format 0.0.4 and OpenMetrics 1.0 text.
 *
 * The input is scanned with indexOf/charCodeAt, one line at a time; no regular expressions run per line. A bad line
 * is reported as a {@link ParseProblem} (1-based line number + message) and skipped; the rest of the page still
 * parses. In OpenMetrics a malformed exposition is invalid as a whole: callers MUST reject the page when `errors` is
 * non-empty, but every problem is still reported and the good lines are still returned.
 *
 * Not handled: quoted UTF-8 metric/label names (`{"my.metric"}`), native histograms, cross-sample validation
 * of histogram/summary families (ascending `le`, `+Inf` bucket == `_count`, `_sum`/`_count` pairing).
 */

export type MetricType =
  | 'counter'
  | 'gauge'
  | 'histogram'
  | 'summary'
  | 'untyped'
  | 'unknown'
  | 'gaugehistogram'
  | 'stateset'
  | 'info';

/** A label as `[name, value]`; label values are unescaped. */
export type Label = [name: string, value: string];

export interface Exemplar {
  labels: Label[];
  value: number;
  /** Milliseconds since the epoch (converted from OpenMetrics float seconds, rounded to the millisecond). */
  timestampMs?: number;
}

export interface Sample {
  /** Full sample name, including any `_bucket`/`_count`/`_sum`/`_total`/`_created`... suffix. */
  name: string;
  /** Labels in the order written. */
  labels: Label[];
  value: number;
  /** Milliseconds since the epoch. 0.0.4: integer ms as written; OpenMetrics: float seconds × 1000, rounded. */
  timestampMs?: number;
  exemplar?: Exemplar;
  /** With `seriesText`: the sample's name and label text exactly as written (`a_total{x="1"}`),
   * a key for callers that remember per-series work between scrapes. A slice of the body. */
  series?: string;
}

export interface MetricFamily {
  name: string;
  /** `untyped` (0.0.4) / `unknown` (OpenMetrics) when there is no TYPE line. */
  type: MetricType;
  help?: string;
  /** OpenMetrics `# UNIT`. */
  unit?: string;
  samples: Sample[];
}

export interface ParseProblem {
  /** 1-based line number. */
  line: number;
  message: string;
}

export interface ParseOptions {
  /** true: OpenMetrics 1.0 text; false: Prometheus text 0.0.4. */
  openMetrics: boolean;
  /** Set `Sample.series`. */
  seriesText?: boolean;
  /** With `seriesText`: series the caller already knows (by their text). Their labels are not
   * parsed again (`labels` is empty; the text was checked when it was first seen). */
  known?: (series: string) => boolean;
}

export interface ParseResult {
  families: MetricFamily[];
  errors: ParseProblem[];
}

const TYPES_004: ReadonlySet<string> = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);
const TYPES_OM: ReadonlySet<string> = new Set([
  'counter',
  'gauge',
  'histogram',
  'summary',
  'unknown',
  'gaugehistogram',
  'stateset',
  'info',
]);

/** Suffixes tried (longest-ambiguity first is irrelevant: each is checked against the family's allowed list). */
const KNOWN_SUFFIXES = ['_total', '_created', '_bucket', '_count', '_sum', '_gcount', '_gsum', '_info'] as const;

function allowedSuffixes(type: MetricType, om: boolean): readonly string[] {
  switch (type) {
    case 'counter':
      return om ? ['_total', '_created'] : ['', '_total'];
    case 'histogram':
      return om ? ['_bucket', '_count', '_sum', '_created'] : ['_bucket', '_count', '_sum'];
    case 'summary':
      return om ? ['', '_count', '_sum', '_created'] : ['', '_count', '_sum'];
    case 'gaugehistogram':
      return ['_bucket', '_gcount', '_gsum'];
    case 'info':
      return ['_info'];
    default:
      return [''];
  }
}

interface FamilyState {
  fam: MetricFamily;
  suffixes: readonly string[];
  /** Full sample names, parallel to `suffixes`. */
  names: string[];
  hasType: boolean;
  hasHelp: boolean;
  hasUnit: boolean;
}

/** Thrown for a bad line; caught per line. Only bad lines pay for it. */
class LineError extends Error {}

/** The labels of a sample whose label text was not parsed again (see ParseOptions.known). */
const NO_LABELS: Label[] = [];

const C_TAB = 9;
const C_SPACE = 32;
const C_QUOTE = 34;
const C_HASH = 35;
const C_PLUS = 43;
const C_COMMA = 44;
const C_MINUS = 45;
const C_DOT = 46;
const C_EQ = 61;
const C_BACKSLASH = 92;
const C_LBRACE = 123;
const C_RBRACE = 125;
const C_CR = 13;

function isNameStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || c === 58;
}
function isNameChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95 || c === 58;
}
function isLabelStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95;
}
function isLabelChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95;
}
function isWs(c: number): boolean {
  return c === C_SPACE || c === C_TAB;
}

function quote(s: string): string {
  return JSON.stringify(s.length > 60 ? s.slice(0, 57) + '...' : s);
}

function isValidMetricName(s: string): boolean {
  if (s.length === 0 || !isNameStart(s.charCodeAt(0))) return false;
  for (let i = 1; i < s.length; i++) if (!isNameChar(s.charCodeAt(i))) return false;
  return true;
}

/** Parses a float token `s[a,b)`: decimal/exponent forms, and case-insensitive NaN / [+-]Inf / [+-]Infinity. */
function parseFloatToken(s: string, a: number, b: number, what: string): number {
  let plain = true;
  for (let i = a; i < b; i++) {
    const c = s.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || c === C_DOT || c === C_MINUS || c === C_PLUS || c === 101 || c === 69)) {
      plain = false;
      break;
    }
  }
  const tok = s.slice(a, b);
  if (plain) {
    const v = Number(tok);
    if (!Number.isNaN(v)) return v;
  } else {
    switch (tok.toLowerCase()) {
      case 'nan':
        return Number.NaN;
      case 'inf':
      case '+inf':
      case 'infinity':
      case '+infinity':
        return Number.POSITIVE_INFINITY;
      case '-inf':
      case '-infinity':
        return Number.NEGATIVE_INFINITY;
    }
  }
  throw new LineError(`invalid ${what} ${quote(tok)}`);
}

function parseTimestamp(s: string, a: number, b: number, om: boolean, what: string): number {
  if (om) {
    const sec = parseFloatToken(s, a, b, what);
    if (!Number.isFinite(sec)) throw new LineError(`invalid ${what} ${quote(s.slice(a, b))}`);
    return Math.round(sec * 1000);
  }
  let i = a;
  const c0 = s.charCodeAt(i);
  if (c0 === C_MINUS || c0 === C_PLUS) i++;
  if (i === b) throw new LineError(`invalid ${what} ${quote(s.slice(a, b))}`);
  for (; i < b; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57)
      throw new LineError(`invalid ${what} ${quote(s.slice(a, b))} (expected integer milliseconds)`);
  }
  const v = Number(s.slice(a, b));
  if (!Number.isSafeInteger(v)) throw new LineError(`${what} ${quote(s.slice(a, b))} out of range`);
  return v;
}

/**
 * Unescapes `s[a,b)`. `\\`, `\n` always; `\"` when `quoteEscape`. Other escapes: kept verbatim (0.0.4) or the
 * backslash is dropped (OpenMetrics: `\a` ≡ `a`). Builds from chunks, never per character.
 */
function unescapeText(s: string, a: number, b: number, quoteEscape: boolean, om: boolean): string {
  let out = '';
  let from = a;
  let i = s.indexOf('\\', a);
  while (i >= 0 && i < b) {
    out += s.slice(from, i);
    const c = i + 1 < b ? s.charCodeAt(i + 1) : -1;
    if (c === C_BACKSLASH) out += '\\';
    else if (c === 110) out += '\n';
    else if (c === C_QUOTE && quoteEscape) out += '"';
    else if (c === -1) out += '\\';
    else out += om ? s[i + 1] : s.slice(i, i + 2);
    from = c === -1 ? b : i + 2;
    i = s.indexOf('\\', from);
  }
  return out + s.slice(from, b);
}

class Parser {
  readonly s: string;
  readonly om: boolean;
  seriesText = false;
  known: ((series: string) => boolean) | undefined;
  readonly families: MetricFamily[] = [];
  readonly errors: ParseProblem[] = [];
  private readonly byName = new Map<string, FamilyState>();
  private readonly interned = new Map<string, string>();
  private cur: FamilyState | undefined;
  private prevLabels: Label[] = [];
  /** End of the current (trimmed) line. */
  private end = 0;

  constructor(s: string, om: boolean) {
    this.s = s;
    this.om = om;
  }

  private intern(str: string): string {
    const hit = this.interned.get(str);
    if (hit !== undefined) return hit;
    this.interned.set(str, str);
    return str;
  }

  run(): void {
    const s = this.s;
    const len = s.length;
    const om = this.om;
    let pos = 0;
    let line = 0;
    let sawEof = false;
    if (om && s.charCodeAt(0) === 0xfeff) {
      this.errors.push({ line: 1, message: 'byte order mark is not allowed in OpenMetrics' });
      pos = 1;
    }
    while (pos < len) {
      line++;
      let nl = s.indexOf('\n', pos);
      if (nl < 0) nl = len;
      let a = pos;
      let b = nl;
      pos = nl + 1;
      if (sawEof) {
        this.errors.push({ line, message: 'content after "# EOF"' });
        return;
      }
      if (b > a && s.charCodeAt(b - 1) === C_CR) {
        if (om) {
          this.errors.push({ line, message: 'carriage return is not allowed in OpenMetrics' });
          continue;
        }
        b--;
      }
      while (a < b && isWs(s.charCodeAt(a))) a++;
      while (b > a && isWs(s.charCodeAt(b - 1))) b--;
      if (a === b) {
        if (om) this.errors.push({ line, message: 'empty line is not allowed in OpenMetrics' });
        continue;
      }
      this.end = b;
      try {
        if (s.charCodeAt(a) === C_HASH) {
          if (this.comment(a + 1)) sawEof = true;
        } else {
          this.sample(a);
        }
      } catch (e) {
        if (!(e instanceof LineError)) throw e;
        this.errors.push({ line, message: e.message });
      }
    }
    if (om && !sawEof)
      this.errors.push({ line: line + 1, message: 'missing "# EOF" at end of OpenMetrics exposition' });
  }

  // ---- comments / metadata -------------------------------------------------------------------------------------

  /** Returns true for `# EOF`. */
  private comment(p: number): boolean {
    const s = this.s;
    const end = this.end;
    const om = this.om;
    let i = p;
    while (i < end && isWs(s.charCodeAt(i))) i++;
    if (i === p) {
      if (om) throw new LineError('comment lines are not allowed in OpenMetrics (only HELP, TYPE, UNIT, EOF)');
      return false;
    }
    let w = i;
    while (w < end && !isWs(s.charCodeAt(w))) w++;
    const kw = s.slice(i, w);
    if (om && kw === 'EOF' && w === end) return true;
    if (kw !== 'HELP' && kw !== 'TYPE' && !(om && kw === 'UNIT')) {
      if (om) throw new LineError('comment lines are not allowed in OpenMetrics (only HELP, TYPE, UNIT, EOF)');
      return false;
    }
    let n = w;
    while (n < end && isWs(s.charCodeAt(n))) n++;
    let ne = n;
    while (ne < end && !isWs(s.charCodeAt(ne))) ne++;
    const name = s.slice(n, ne);
    if (name.length === 0) throw new LineError(`${kw} line without a metric name`);
    if (!isValidMetricName(name)) throw new LineError(`invalid metric name ${quote(name)} in ${kw} line`);
    let r = ne;
    if (r < end) r++; // exactly one separator; the rest belongs to the text
    if (kw !== 'HELP') while (r < end && isWs(s.charCodeAt(r))) r++;

    const text = s.slice(r, end);
    if (kw === 'TYPE') {
      if (text.length === 0) throw new LineError(`TYPE line for ${quote(name)} without a type`);
      if (!(om ? TYPES_OM : TYPES_004).has(text)) {
        throw new LineError(`unknown metric type ${quote(text)} for ${quote(name)}`);
      }
    } else if (kw === 'UNIT' && text.length > 0 && !name.endsWith('_' + text)) {
      throw new LineError(`metric name ${quote(name)} must end with its unit "_${text}"`);
    }
    const st = this.byName.get(name);
    if (kw === 'HELP') {
      if (st?.hasHelp) throw new LineError(`duplicate HELP for ${quote(name)}`);
    } else if (kw === 'TYPE') {
      if (st?.hasType) throw new LineError(`duplicate TYPE for ${quote(name)}`);
      if (st !== undefined && st.fam.samples.length > 0) {
        throw new LineError(`TYPE for ${quote(name)} must come before its samples`);
      }
    } else if (st?.hasUnit) {
      throw new LineError(`duplicate UNIT for ${quote(name)}`);
    }
    if (st !== undefined && st !== this.cur && om) {
      throw new LineError(`${kw} for ${quote(name)} is separated from the rest of its family`);
    }
    const f = st ?? this.newFamily(name);
    this.cur = f;
    if (kw === 'HELP') {
      f.hasHelp = true;
      f.fam.help = unescapeText(s, r, end, om, om);
    } else if (kw === 'TYPE') {
      f.hasType = true;
      this.setType(f, text as MetricType);
    } else {
      f.hasUnit = true;
      f.fam.unit = text;
    }
    return false;
  }

  private newFamily(name: string): FamilyState {
    const fam: MetricFamily = { name: this.intern(name), type: this.om ? 'unknown' : 'untyped', samples: [] };
    const st: FamilyState = { fam, suffixes: [], names: [], hasType: false, hasHelp: false, hasUnit: false };
    this.setType(st, fam.type);
    this.byName.set(fam.name, st);
    this.families.push(fam);
    return st;
  }

  private setType(st: FamilyState, t: MetricType): void {
    st.fam.type = t;
    st.suffixes = allowedSuffixes(t, this.om);
    st.names = st.suffixes.map((x) => this.intern(st.fam.name + x));
  }

  // ---- samples -------------------------------------------------------------------------------------------------

  private sample(a: number): void {
    const s = this.s;
    const end = this.end;
    const om = this.om;
    if (!isNameStart(s.charCodeAt(a))) throw new LineError(`invalid metric name at ${quote(s.slice(a, end))}`);
    let i = a + 1;
    while (i < end && isNameChar(s.charCodeAt(i))) i++;
    const ne = i;
    if (i === end) throw new LineError(`sample ${quote(s.slice(a, ne))} has no value`);
    let c = s.charCodeAt(i);
    if (c !== C_LBRACE && !isWs(c)) throw new LineError(`invalid character ${quote(s[i] ?? '')} in metric name`);

    // Resolve the family: fast path compares against the current family in place, without slicing.
    let st: FamilyState | undefined;
    let suffix = '';
    let name = '';
    const cur = this.cur;
    if (cur !== undefined) {
      const fn = cur.fam.name;
      if (ne - a >= fn.length && s.startsWith(fn, a)) {
        const sl = ne - a - fn.length;
        const sfx = cur.suffixes;
        for (let k = 0; k < sfx.length; k++) {
          const x = sfx[k]!;
          if (x.length === sl && (sl === 0 || s.startsWith(x, a + fn.length))) {
            st = cur;
            suffix = x;
            name = cur.names[k]!;
            break;
          }
        }
      }
    }
    let prevLabels = this.prevLabels;
    let isNew = false;
    if (st === undefined) {
      const full = s.slice(a, ne);
      const r = this.resolve(full);
      st = r.st;
      suffix = r.suffix;
      name = r.name;
      if (st === undefined) {
        isNew = true;
        prevLabels = [];
      } else if (st !== cur) {
        const n = st.fam.samples.length;
        if (om && n > 0) {
          throw new LineError(`sample ${quote(full)} is not contiguous with the rest of family ${quote(st.fam.name)}`);
        }
        prevLabels = n > 0 ? st.fam.samples[n - 1]!.labels : [];
      }
    }
    const type: MetricType = st === undefined ? (om ? 'unknown' : 'untyped') : st.fam.type;

    while (i < end && isWs(s.charCodeAt(i))) i++;
    let labels: Label[] = NO_LABELS;
    let skipped = false;
    let seriesText: string | undefined;
    if (s.charCodeAt(i) === C_LBRACE && this.known !== undefined) {
      const close = this.labelsEnd(i + 1);
      const text = close > 0 && close < end && isWs(s.charCodeAt(close)) ? s.slice(a, close) : undefined;
      if (text !== undefined && this.known(text)) {
        skipped = true;
        // The same string object again for the caller's lookup: its hash is computed already.
        seriesText = text;
        i = close;
        while (i < end && isWs(s.charCodeAt(i))) i++;
      }
    }
    if (skipped) {
      // The caller knows this series: its labels stay unparsed.
    } else if (s.charCodeAt(i) === C_LBRACE) {
      labels = [];
      i = this.labels(i + 1, labels, prevLabels);
      if (i < end) {
        c = s.charCodeAt(i);
        if (!isWs(c)) throw new LineError(`expected space after labels, got ${quote(s[i] ?? '')}`);
      }
      while (i < end && isWs(s.charCodeAt(i))) i++;
    } else {
      labels = [];
    }
    if (i === end) throw new LineError(`sample ${quote(name)} has no value`);
    let seriesEnd = i;
    while (seriesEnd > ne && isWs(s.charCodeAt(seriesEnd - 1))) seriesEnd--;
    let ve = i;
    while (ve < end && !isWs(s.charCodeAt(ve))) ve++;
    const value = parseFloatToken(s, i, ve, 'sample value');
    const smp: Sample = { name, labels, value };
    if (this.seriesText) smp.series = seriesText ?? s.slice(a, seriesEnd);
    i = ve;
    while (i < end && isWs(s.charCodeAt(i))) i++;
    if (i < end && s.charCodeAt(i) !== C_HASH) {
      let te = i;
      while (te < end && !isWs(s.charCodeAt(te))) te++;
      smp.timestampMs = parseTimestamp(s, i, te, om, 'timestamp');
      i = te;
      while (i < end && isWs(s.charCodeAt(i))) i++;
    }
    if (i < end) {
      if (s.charCodeAt(i) !== C_HASH) throw new LineError(`unexpected text ${quote(s.slice(i, end))} after timestamp`);
      if (!om) throw new LineError('exemplars are only allowed in OpenMetrics');
      if (suffix !== '_bucket' && !(suffix === '_total' && type === 'counter')) {
        throw new LineError(`exemplar not allowed on ${quote(name)} (only counter _total and histogram buckets)`);
      }
      smp.exemplar = this.exemplar(i + 1);
    }

    // Per-type label requirements.
    if (skipped) {
      // Checked when the series was first seen.
    } else if (suffix === '_bucket') {
      this.floatLabel(labels, 'le', name);
    } else if (suffix === '' && type === 'summary') {
      this.floatLabel(labels, 'quantile', name);
    }
    // Commit: only a fully parsed line creates a family or moves the current family.
    if (isNew || st === undefined) {
      st = this.newFamily(name);
      smp.name = st.fam.name;
    }
    if (st !== cur) {
      this.cur = st;
      this.prevLabels = prevLabels;
    }
    if (labels.length > 0) this.prevLabels = labels;
    st.fam.samples.push(smp);
  }

  /** Finds the family of sample name `full`; `st` undefined means a new untyped/unknown family named `full`. */
  private resolve(full: string): { st: FamilyState | undefined; suffix: string; name: string } {
    const exact = this.byName.get(full);
    if (exact?.suffixes.includes('')) return { st: exact, suffix: '', name: exact.fam.name };
    for (const x of KNOWN_SUFFIXES) {
      if (full.length > x.length && full.endsWith(x)) {
        const base = this.byName.get(full.slice(0, full.length - x.length));
        if (base !== undefined) {
          const k = base.suffixes.indexOf(x);
          if (k >= 0) return { st: base, suffix: x, name: base.names[k]! };
        }
      }
    }
    if (exact !== undefined) {
      const expected = exact.suffixes.map((x) => exact.fam.name + x).join(', ');
      throw new LineError(
        `sample name ${quote(full)} is not valid for ${exact.fam.type} family (expected ${expected})`,
      );
    }
    return { st: undefined, suffix: '', name: full };
  }

  private floatLabel(labels: Label[], key: string, name: string): void {
    for (const l of labels) {
      if (l[0] === key) {
        const v = l[1];
        const t = v.trim();
        if (t.length === 0 || t.length !== v.length) throw new LineError(`invalid ${key} value ${quote(v)}`);
        parseFloatToken(v, 0, v.length, `${key} value`);
        return;
      }
    }
    throw new LineError(`sample ${quote(name)} is missing the "${key}" label`);
  }

  /** Index after the `}` closing the label set that starts at `p` (after `{`), -1 if none. */
  private labelsEnd(p: number): number {
    const s = this.s;
    const end = this.end;
    let inQuote = false;
    for (let i = p; i < end; i++) {
      const c = s.charCodeAt(i);
      if (inQuote) {
        if (c === C_BACKSLASH) i++;
        else if (c === C_QUOTE) inQuote = false;
      } else if (c === C_QUOTE) inQuote = true;
      else if (c === C_RBRACE) return i + 1;
    }
    return -1;
  }

  /** Parses labels after `{`; returns the index after `}`. */
  private labels(p: number, out: Label[], prev: Label[]): number {
    const s = this.s;
    const end = this.end;
    const om = this.om;
    let i = p;
    for (;;) {
      while (i < end && isWs(s.charCodeAt(i))) i++;
      if (i >= end) throw new LineError('unterminated label set (missing "}")');
      let c = s.charCodeAt(i);
      if (c === C_RBRACE) return i + 1;
      // Label name: reuse the previous sample's name at the same position when the text matches (no slice).
      let lname: string | undefined;
      const cand = prev[out.length];
      let ne: number;
      if (cand !== undefined && s.startsWith(cand[0], i) && !isLabelChar(s.charCodeAt(i + cand[0].length))) {
        lname = cand[0];
        ne = i + lname.length;
      } else {
        if (!isLabelStart(c)) throw new LineError(`invalid label name at ${quote(s.slice(i, end))}`);
        ne = i + 1;
        while (ne < end && isLabelChar(s.charCodeAt(ne))) ne++;
        lname = this.intern(s.slice(i, ne));
      }
      i = ne;
      while (i < end && isWs(s.charCodeAt(i))) i++;
      if (s.charCodeAt(i) !== C_EQ) {
        if (i === ne && i < end)
          throw new LineError(`invalid character ${quote(s[i] ?? '')} in label name ${quote(lname)}`);
        throw new LineError(`expected "=" after label name ${quote(lname)}`);
      }
      i++;
      while (i < end && isWs(s.charCodeAt(i))) i++;
      if (s.charCodeAt(i) !== C_QUOTE) throw new LineError(`expected '"' to start the value of label ${quote(lname)}`);
      i++;
      const vs = i;
      let escaped = false;
      for (;;) {
        if (i >= end) throw new LineError(`unterminated value for label ${quote(lname)}`);
        c = s.charCodeAt(i);
        if (c === C_QUOTE) break;
        if (c === C_BACKSLASH) {
          escaped = true;
          i += 2;
        } else {
          i++;
        }
      }
      const value = escaped ? unescapeText(s, vs, i, true, om) : s.slice(vs, i);
      for (let k = 0; k < out.length; k++) {
        if (out[k]![0] === lname) throw new LineError(`duplicate label ${quote(lname)}`);
      }
      out.push([lname, value]);
      i++;
      while (i < end && isWs(s.charCodeAt(i))) i++;
      c = s.charCodeAt(i);
      if (c === C_COMMA) {
        i++;
      } else if (c === C_RBRACE) {
        return i + 1;
      } else if (i >= end) {
        throw new LineError('unterminated label set (missing "}")');
      } else {
        throw new LineError(`expected "," or "}" after label ${quote(lname)}, got ${quote(s[i] ?? '')}`);
      }
    }
  }

  /** Parses ` {labels} value [timestamp]` after the `#` of an exemplar. */
  private exemplar(p: number): Exemplar {
    const s = this.s;
    const end = this.end;
    let i = p;
    while (i < end && isWs(s.charCodeAt(i))) i++;
    if (s.charCodeAt(i) !== C_LBRACE) throw new LineError('exemplar must start with a label set "{...}"');
    const labels: Label[] = [];
    i = this.labels(i + 1, labels, []);
    let n = 0;
    for (const [k, v] of labels) n += k.length + v.length;
    if (n > 128) {
      n = 0;
      for (const [k, v] of labels) n += [...k].length + [...v].length;
      if (n > 128) throw new LineError(`exemplar label set is ${n} characters long (limit 128)`);
    }
    while (i < end && isWs(s.charCodeAt(i))) i++;
    if (i === end) throw new LineError('exemplar has no value');
    let ve = i;
    while (ve < end && !isWs(s.charCodeAt(ve))) ve++;
    const ex: Exemplar = { labels, value: parseFloatToken(s, i, ve, 'exemplar value') };
    i = ve;
    while (i < end && isWs(s.charCodeAt(i))) i++;
    if (i < end) {
      let te = i;
      while (te < end && !isWs(s.charCodeAt(te))) te++;
      ex.timestampMs = parseTimestamp(s, i, te, true, 'exemplar timestamp');
      if (te < end) throw new LineError(`unexpected text ${quote(s.slice(te, end).trim())} after exemplar`);
    }
    return ex;
  }
}

/**
 * Parses a Prometheus text exposition (0.0.4) or an OpenMetrics 1.0 text exposition.
 *
 * Samples are grouped into families by HELP/TYPE/UNIT metadata and name suffixes; samples without metadata form
 * their own `untyped`/`unknown` family. Families appear in order of first mention.
 */
export function parseExposition(text: string, opts: ParseOptions): ParseResult {
  const p = new Parser(text, opts.openMetrics);
  p.seriesText = opts.seriesText === true;
  p.known = p.seriesText ? opts.known : undefined;
  p.run();
  return { families: p.families, errors: p.errors };
}
